import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from ashyq.logs import JSONFormatter, RequestIdFilter, request_id

PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "x7Tq9vLm2Rk8Yp4Ws6Nz1Bc3Df5Gh0Jk-production-like-secret-key",
    "ALLOWED_HOSTS": "ashyq.example",
    "SITE_URL": "https://ashyq.example",
    "SMS_BACKEND": "http",
    "SMS_HTTP_URL": "https://sms.example/send",
    "IDENTITY_CHECK_BACKEND": "accounts.identity.StateRegistry",
    "IDENTITY_REGISTRY_URL": "https://registry.example/check",
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "REDIS_URL"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=Path(settings.BASE_DIR),
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deploy_check(tmp_path):
    env = {**PRODUCTION_ENV, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}

    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(("setting", "threshold"), [("", "0"), ("1", "0"), ("0", "None")])
def test_prepared_statements_can_be_turned_off_for_a_pooler(setting, threshold):
    env = {
        "DATABASE_URL": "postgres://ashyq@db.example:5432/ashyq",
        "DATABASE_PREPARED_STATEMENTS": setting,
    }
    show = "from django.conf import settings as s; print(s.DATABASES['default']['OPTIONS'].get('prepare_threshold'))"  # noqa: E501

    result = manage("shell", "-c", show, env=env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == threshold


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("SECRET_KEY", "SECRET_KEY must be set when DEBUG is off."),
        ("SMS_HTTP_URL", "SMS_BACKEND=http needs an http(s) SMS_HTTP_URL."),
    ],
)
def test_production_refuses_to_start_without(missing, message, tmp_path):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"

    result = manage("check", env=env)

    assert result.returncode != 0
    assert message in result.stderr


def identity_env(tmp_path, **changes: str) -> dict[str, str]:
    env = {**PRODUCTION_ENV, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", **changes}
    return {name: value for name, value in env.items() if value}


def test_production_refuses_first_claim_wins_unless_chosen(tmp_path):
    env = identity_env(tmp_path, IDENTITY_CHECK_BACKEND="", IDENTITY_REGISTRY_URL="")

    result = manage("check", "--deploy", env=env)

    assert result.returncode != 0
    assert "accounts.E001" in result.stderr
    assert "ALLOW_UNVERIFIED_IIN_CLAIMS=1" in result.stderr


def test_the_web_process_refuses_to_start_on_first_claim_wins(tmp_path):
    env = identity_env(tmp_path, IDENTITY_CHECK_BACKEND="", IDENTITY_REGISTRY_URL="")

    result = manage("shell", "-c", "import ashyq.wsgi", env=env)

    assert result.returncode != 0
    assert "accounts.E001" in result.stderr


def test_first_claim_wins_chosen_on_purpose_starts_with_a_warning(tmp_path):
    env = identity_env(
        tmp_path,
        IDENTITY_CHECK_BACKEND="accounts.identity.FirstClaimWins",
        IDENTITY_REGISTRY_URL="",
        ALLOW_UNVERIFIED_IIN_CLAIMS="1",
    )

    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "IINs are claimed without proof" in result.stderr


def test_the_state_registry_needs_its_url(tmp_path):
    env = identity_env(tmp_path, IDENTITY_REGISTRY_URL="")

    result = manage("check", env=env)

    assert result.returncode != 0
    assert "accounts.E002" in result.stderr


def test_every_response_carries_a_request_id(client):
    response = client.get("/healthz")

    assert len(response["X-Request-ID"]) == 32


def test_the_proxys_request_id_is_kept(client):
    response = client.get("/healthz", headers={"X-Request-ID": "nginx-abc-123"})

    assert response["X-Request-ID"] == "nginx-abc-123"


def test_a_hostile_request_id_is_replaced(client):
    response = client.get("/healthz", headers={"X-Request-ID": "evil\nheader injection"})

    assert response["X-Request-ID"] != "evil\nheader injection"
    assert len(response["X-Request-ID"]) == 32


def test_json_logs_carry_the_request_id():
    record = logging.LogRecord(
        "ashyq", logging.INFO, __file__, 1, "checked %s in", ("Айгерім",), None
    )
    token = request_id.set("req-42")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id.reset(token)

    line = json.loads(JSONFormatter().format(record))

    assert line["message"] == "checked Айгерім in"
    assert line["request_id"] == "req-42"
    assert line["level"] == "INFO"
    assert line["logger"] == "ashyq"


def test_every_environment_variable_is_in_the_readme():
    root = Path(settings.BASE_DIR)
    read = re.compile(r"""(?:env_\w+|os\.environ\.get|os\.getenv)\(\s*["']([A-Z][A-Z0-9_]+)["']""")
    names = set()
    # The settings, the modules they read the environment through, and gunicorn's.
    sources = [*(root / "ashyq").glob("*.py"), root / "gunicorn.conf.py"]
    for source in sources:
        names |= set(read.findall(source.read_text(encoding="utf-8")))
    readme = (root / "README.md").read_text(encoding="utf-8")

    assert len(names) > 30
    assert sorted(name for name in names if f"`{name}`" not in readme) == []


@pytest.mark.django_db
def test_every_request_ends_with_one_line_of_method_path_status_and_duration(
    client, settings, caplog
):
    settings.REQUEST_LOG = True
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    with caplog.at_level(logging.INFO, logger="ashyq.requests"):
        client.get("/language/?next=/secret-query")
        client.get("/healthz")
        client.get("/no/such/page/")

    lines = [
        json.loads(JSONFormatter().format(r)) for r in caplog.records if r.name == "ashyq.requests"
    ]
    assert [(line["method"], line["path"], line["status"]) for line in lines] == [
        ("GET", "/language/", 200),
        ("GET", "/no/such/page/", 404),
    ]
    assert all(isinstance(line["duration_ms"], float) for line in lines)
    assert lines[0]["message"].startswith("GET /language/ 200 ")
    assert "secret-query" not in caplog.text


def test_the_request_log_is_off_unless_asked_for(client, settings, caplog):
    settings.REQUEST_LOG = False

    with caplog.at_level(logging.INFO, logger="ashyq.requests"):
        client.get("/no/such/page/")

    assert [r for r in caplog.records if r.name == "ashyq.requests"] == []


def test_log_lines_and_the_sms_file_tell_time_the_same_way(tmp_path, settings):
    import json
    import logging
    from datetime import datetime

    from accounts.sms import SMS, FileBackend
    from ashyq.logs import JSONFormatter

    record = logging.LogRecord("ashyq", logging.INFO, __file__, 1, "sent", None, None)
    record.request_id = "-"
    # The formatter the settings give the console handler (plain when DEBUG).
    console = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    plain = console.formatter.format(record)
    structured = json.loads(JSONFormatter().format(record))

    FileBackend(tmp_path / "sms.jsonl").send(SMS(id="1", to="+77011234567", text="123456"))
    sent_at = json.loads((tmp_path / "sms.jsonl").read_text().splitlines()[0])["sent_at"]

    # All three in UTC with the offset written out, so they line up at a glance.
    for stamp in (plain.split(" ")[0], structured["time"], sent_at):
        assert stamp.endswith("+00:00"), stamp
        assert datetime.fromisoformat(stamp).utcoffset().total_seconds() == 0
