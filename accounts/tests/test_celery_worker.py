"""A sign-in code goes through Redis and a real Celery worker into the SMS file.

Needs a Redis broker: `REDIS_URL=redis://127.0.0.1:6379/0 pytest -m integration`.
Skipped without REDIS_URL, except in CI (env CI set), where it fails instead.
"""

import json
import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from accounts.models import OutgoingSMS
from accounts.tasks import send_sms
from ashyq.celery import app as celery_app

REPO_ROOT = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 60
POLL_SECONDS = 0.2
CYRILLIC = re.compile("[\u0410-\u044f\u0401\u0451]")  # Russian letters
# Letters Kazakh has and Russian lacks (schwa, ghayn, qaf, eng, barred o, ...).
KAZAKH_LETTERS = re.compile("[\u04d9\u0493\u049b\u04a3\u04e9\u04b1\u04af\u04bb\u0456]")


def redis_url_or_skip() -> str:
    url = os.environ.get("REDIS_URL", "").strip()
    if url:
        return url
    if os.environ.get("CI"):
        pytest.fail("REDIS_URL is not set; CI must provide a Redis broker for this test.")
    pytest.skip("REDIS_URL is not set (e.g. REDIS_URL=redis://127.0.0.1:6379/0)")


def database_url_for_worker() -> str:
    """The test database, for the worker: the task reads the message from the outbox table."""
    db = connection.settings_dict
    if db["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("the worker needs a database another process can open (DATABASE_URL)")
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


def sms_lines(path: Path) -> list[dict]:
    """Complete lines only: the worker may be halfway through writing one."""
    if not path.exists():
        return []
    *complete, _partial = path.read_text(encoding="utf-8").split("\n")
    return [json.loads(line) for line in complete if line]


def wait_for_sms(path: Path, to: str, worker: subprocess.Popen) -> dict | None:
    """Poll the file until the worker writes a message to `to`, or give up."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        for record in sms_lines(path):
            if record["to"] == to:
                return record
        if worker.poll() is not None:
            return None
        time.sleep(POLL_SECONDS)
    return None


def worker_output(log_dir: Path) -> str:
    out = (log_dir / "worker.out").read_text(encoding="utf-8", errors="replace")
    err = (log_dir / "worker.err").read_text(encoding="utf-8", errors="replace")
    return f"--- worker stdout ---\n{out}\n--- worker stderr ---\n{err}"


def drop_queue(redis_url: str, queue: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
    finally:
        client.close()


@pytest.mark.integration
def test_login_code_request_reaches_sms_file_through_celery_worker(
    transactional_db, client, tmp_path
):
    redis_url_or_skip()
    # The broker role: REDIS_BROKER_URL, or a database of its own next to REDIS_URL's.
    redis_url = settings.CELERY_BROKER_URL
    queue = f"ashyq-test-{uuid.uuid4().hex}"
    sms_file = tmp_path / "worker-sms" / "sms.jsonl"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ashyq.settings",
        "SMS_BACKEND": "file",
        "SMS_FILE_PATH": str(sms_file),
        "DATABASE_URL": database_url_for_worker(),
        "DEBUG": "1",
        "PYTHONUNBUFFERED": "1",
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "ashyq",
        "worker",
        "--pool=solo",
        "--concurrency=1",
        "-Q",
        queue,
        "--without-heartbeat",
        "--without-gossip",
        "--without-mingle",
        "-l",
        "info",
    ]
    saved_conf = {
        key: celery_app.conf[key]
        for key in ("task_always_eager", "broker_url", "task_default_queue")
    }
    client.cookies["django_language"] = "ru"

    with (tmp_path / "worker.out").open("wb") as out, (tmp_path / "worker.err").open("wb") as err:
        worker = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=out, stderr=err)
        try:
            celery_app.conf.task_always_eager = False
            celery_app.conf.broker_url = redis_url
            celery_app.conf.task_default_queue = queue

            # Straight onto the worker's queue.
            direct = OutgoingSMS.objects.create(
                to="+77015550000", text="direct check", relay_after="2100-01-01T00:00Z"
            )
            send_sms.apply_async(args=[direct.pk.hex], queue=queue)
            direct = wait_for_sms(sms_file, "+77015550000", worker)
            assert direct is not None, f"worker wrote no direct SMS\n{worker_output(tmp_path)}"
            assert direct["text"] == "direct check"

            # End to end: the sign-in form queues the code on commit.
            response = client.post(
                reverse("account_request_login_code"), {"phone": "+7 701 555 12 34"}
            )
            assert response.status_code == 302
            assert response["Location"] == reverse("account_confirm_login_code")

            record = wait_for_sms(sms_file, "+77015551234", worker)
            assert record is not None, f"worker wrote no code SMS\n{worker_output(tmp_path)}"
        finally:
            for key, value in saved_conf.items():
                celery_app.conf[key] = value
            worker.terminate()
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(timeout=10)
            drop_queue(redis_url, queue)

    code = re.search(r"\b(\d{6})\b", record["text"])
    assert code is not None, f"no 6-digit code in {record['text']!r}"
    text = record["text"]
    assert CYRILLIC.search(text), f"not Russian: {text!r}"
    assert not KAZAKH_LETTERS.search(text), f"Kazakh, not Russian: {text!r}"
    with translation.override("ru"):
        expected = render_to_string("accounts/sms/login_code.txt", {"code": code.group(1)})
    assert text == expected.strip()
    assert [r["to"] for r in sms_lines(sms_file)] == ["+77015550000", "+77015551234"]
    # The code in the file is the one the site expects.
    response = client.post(reverse("account_confirm_login_code"), {"code": code.group(1)})
    assert response.status_code == 302
    # A new number signs in and is asked for the IIN first.
    assert response["Location"] == reverse("profile") + "?next=%2F"
