"""SMS backends, the `send_sms` task's retries, and `sms_queue` (docs/rules.md §7).

The HTTP gateway is a stub server on 127.0.0.1 run by a fixture; Celery runs
eagerly (root conftest), so retries happen at once and nothing sleeps. The task
sends a message of the outbox table (accounts.outbox), by its id.
"""

import json
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import phonenumbers
import pytest
from phonenumbers import PhoneNumberType

from accounts import tasks
from accounts.models import OutgoingSMS
from accounts.services import sms_queue
from accounts.sms import SMS
from accounts.tasks import retry_delay, send_sms
from accounts.tests.http_stub import Stub, refusing_port, serve
from ashyq.celery import app as celery_app

SMS_ID = "0f8fad5bd9cb469fa16570867728950e"
OTHER_ID = "7c9e6679742540de944be07fc1f90ae7"
PHONE = "+77015551234"
KAZAKH_TEXT = "Ashyq кіру коды: 123456. Оны ешкімге айтпаңыз."
RUSSIAN_TEXT = "Код входа Ashyq: 654321. Никому не сообщайте."


pytestmark = pytest.mark.django_db


def queued(to: str = PHONE, text: str = KAZAKH_TEXT, sms_id: str = SMS_ID) -> str:
    """A message in the outbox, as `sms_queue` leaves it; its id for the task."""
    OutgoingSMS.objects.get_or_create(
        pk=uuid.UUID(sms_id), defaults={"to": to, "text": text, "relay_after": "2100-01-01T00:00Z"}
    )
    return sms_id


def is_sent(sms_id: str = SMS_ID) -> bool:
    return OutgoingSMS.objects.get(pk=uuid.UUID(sms_id)).sent_at is not None


# --- file backend -----------------------------------------------------------


def read_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def test_file_backend_writes_one_json_line_per_message(settings):
    settings.SMS_BACKEND = "file"
    path = settings.SMS_FILE_PATH
    before = datetime.now().astimezone()

    send_sms.delay(queued())

    after = datetime.now().astimezone()
    lines = read_lines(path)
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert set(record) == {"to", "text", "sent_at"}
    assert record["to"] == PHONE
    assert record["text"] == KAZAKH_TEXT
    sent_at = datetime.fromisoformat(record["sent_at"])
    assert sent_at.tzinfo is not None
    assert before <= sent_at <= after


def test_file_backend_keeps_cyrillic_readable(settings):
    settings.SMS_BACKEND = "file"

    send_sms.delay(queued())

    raw = settings.SMS_FILE_PATH.read_text(encoding="utf-8")
    assert KAZAKH_TEXT in raw
    assert "\\u" not in raw


def test_file_backend_appends_each_message(settings):
    settings.SMS_BACKEND = "file"

    send_sms.delay(queued(PHONE, KAZAKH_TEXT))
    send_sms.delay(queued("+77471234567", RUSSIAN_TEXT, OTHER_ID))

    records = [json.loads(line) for line in read_lines(settings.SMS_FILE_PATH)]
    assert [(r["to"], r["text"]) for r in records] == [
        (PHONE, KAZAKH_TEXT),
        ("+77471234567", RUSSIAN_TEXT),
    ]


def test_file_backend_creates_missing_parent_directory(settings, tmp_path):
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = tmp_path / "var" / "sms" / "outbox.jsonl"
    assert not (tmp_path / "var").exists()

    send_sms.delay(queued())

    assert len(read_lines(tmp_path / "var" / "sms" / "outbox.jsonl")) == 1


# --- http backend against a stub gateway ------------------------------------


@dataclass
class StubGateway(Stub):
    """Answers each POST with the next status of `statuses`, the last one repeating."""

    statuses: list[int] = field(default_factory=lambda: [200])

    def answer(self) -> tuple[int, bytes, int]:
        status = self.statuses[min(len(self.requests), len(self.statuses)) - 1]
        body = json.dumps({"status": status}).encode()
        return status, body, len(body)


@pytest.fixture
def gateway(settings) -> Iterator[StubGateway]:
    with serve(StubGateway(), "/send") as stub:
        settings.SMS_BACKEND = "http"
        settings.SMS_HTTP_URL = stub.url
        settings.SMS_HTTP_TOKEN = "t0ken"
        settings.SMS_HTTP_TIMEOUT = 2
        yield stub


@pytest.fixture
def closed_port() -> Iterator[int]:
    with refusing_port() as port:
        yield port


@pytest.fixture
def eager_retries() -> Iterator[None]:
    """Let eager Celery run `self.retry()` in-process instead of raising it.

    With task_eager_propagates on (as the root conftest sets it), Celery raises
    `celery.exceptions.Retry` out of `apply()`/`delay()` rather than running
    the retry, so retry paths are tested with propagation off. Failures still
    show: the tests assert the final result succeeded.
    """
    propagates = celery_app.conf.task_eager_propagates
    celery_app.conf.task_eager_propagates = False
    yield
    celery_app.conf.task_eager_propagates = propagates


def messages(caplog, level: int) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "accounts.tasks" and record.levelno == level
    ]


def test_http_backend_posts_once_on_success(gateway):
    result = send_sms.apply(args=[queued()])

    assert result.successful()
    assert len(gateway.requests) == 1
    request = gateway.requests[0]
    assert request.method == "POST"
    assert request.path == "/send"
    assert request.body == {"id": SMS_ID, "to": PHONE, "text": KAZAKH_TEXT}
    assert request.headers["authorization"] == "Bearer t0ken"
    assert request.headers["idempotency-key"] == SMS_ID
    assert request.headers["content-type"] == "application/json"
    assert is_sent()


def test_http_backend_sends_no_authorization_without_token(gateway, settings):
    settings.SMS_HTTP_TOKEN = ""

    send_sms.apply(args=[queued()])

    assert len(gateway.requests) == 1
    assert "authorization" not in gateway.requests[0].headers


def test_send_sms_retries_after_server_errors_until_success(gateway, caplog, eager_retries):
    gateway.statuses = [503, 503, 200]
    caplog.set_level(logging.INFO, logger="accounts.tasks")

    result = send_sms.apply(args=[queued()])

    assert result.successful()
    assert len(gateway.requests) == 3
    assert all(r.body == {"id": SMS_ID, "to": PHONE, "text": KAZAKH_TEXT} for r in gateway.requests)
    assert {r.headers["idempotency-key"] for r in gateway.requests} == {SMS_ID}
    assert len(messages(caplog, logging.WARNING)) == 2
    assert messages(caplog, logging.ERROR) == []
    assert is_sent()


def test_send_sms_retries_on_rate_limit(gateway, eager_retries):
    gateway.statuses = [429, 200]

    result = send_sms.apply(args=[queued()])

    assert result.successful()
    assert len(gateway.requests) == 2


def assert_gave_up(caplog, tries: int) -> None:
    """One error was logged, giving the message up after `tries` tries, and it is not sent."""
    errors = messages(caplog, logging.ERROR)
    assert len(errors) == 1
    assert "giving up" in errors[0]
    assert f"after {tries} tries" in errors[0]
    assert not is_sent()


def test_send_sms_gives_up_after_max_tries(gateway, settings, caplog, eager_retries):
    settings.SMS_MAX_TRIES = 3
    gateway.statuses = [500]
    caplog.set_level(logging.INFO, logger="accounts.tasks")

    result = send_sms.apply(args=[queued()])

    assert result.successful()
    assert result.result is None
    assert len(gateway.requests) == 3
    assert_gave_up(caplog, tries=3)


def test_send_sms_does_not_retry_a_refused_message(gateway, caplog):
    gateway.statuses = [400, 200]
    caplog.set_level(logging.INFO, logger="accounts.tasks")

    result = send_sms.apply(args=[queued()])

    assert result.successful()
    assert len(gateway.requests) == 1
    errors = messages(caplog, logging.ERROR)
    assert len(errors) == 1
    assert "refused" in errors[0]
    assert "400" in errors[0]
    assert messages(caplog, logging.WARNING) == []
    assert not is_sent()


def test_send_sms_gives_up_when_gateway_unreachable(settings, closed_port, caplog, eager_retries):
    settings.SMS_BACKEND = "http"
    settings.SMS_HTTP_URL = f"http://127.0.0.1:{closed_port}/send"
    settings.SMS_HTTP_TOKEN = "t0ken"
    settings.SMS_HTTP_TIMEOUT = 2
    settings.SMS_MAX_TRIES = 3
    caplog.set_level(logging.INFO, logger="accounts.tasks")

    result = send_sms.apply(args=[queued()])

    assert result.successful()
    warnings = messages(caplog, logging.WARNING)
    assert len(warnings) == 2
    assert all("unreachable" in message for message in warnings)
    assert_gave_up(caplog, tries=3)


def test_send_sms_redelivered_after_success_sends_once(gateway, caplog):
    caplog.set_level(logging.INFO, logger="accounts.tasks")

    first = send_sms.apply(args=[queued()])
    second = send_sms.apply(args=[queued()])

    assert first.successful()
    assert second.successful()
    assert len(gateway.requests) == 1
    assert any("already sent" in message for message in messages(caplog, logging.INFO))


def test_send_sms_other_message_ids_are_not_skipped(gateway):
    send_sms.apply(args=[queued()])
    send_sms.apply(args=[queued(sms_id=OTHER_ID)])

    assert [r.body["id"] for r in gateway.requests] == [SMS_ID, OTHER_ID]


def test_retry_delay_grows_and_is_capped():
    assert retry_delay(0) < retry_delay(3)
    assert retry_delay(50) <= 300 * 1.2
    assert 2 * 0.8 <= retry_delay(0) <= 2 * 1.2
    assert retry_delay(50) >= 300 * 0.8


def test_retry_delay_without_jitter_doubles_up_to_five_minutes(monkeypatch):
    monkeypatch.setattr(tasks.random, "uniform", lambda low, high: 1.0)

    delays = [retry_delay(retries) for retries in range(10)]

    assert delays == [2, 4, 8, 16, 32, 64, 128, 256, 300, 300]


# --- sms_queue --------------------------------------------------------------


def test_sms_queue_sends_after_commit(sms_outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        sms_id = sms_queue(to="8 701 555 12 34", text=KAZAKH_TEXT)
        assert sms_outbox == []

    assert len(callbacks) == 1
    assert len(sms_id) == 32
    assert sms_outbox == [SMS(id=sms_id, to=PHONE, text=KAZAKH_TEXT)]


def test_sms_queue_refuses_foreign_number(sms_outbox, django_capture_on_commit_callbacks, caplog):
    caplog.set_level(logging.WARNING, logger="accounts.services")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        sms_id = sms_queue(to="+1 202 555 0123", text=KAZAKH_TEXT)

    assert sms_id == ""
    assert callbacks == []
    assert sms_outbox == []
    assert [r.getMessage() for r in caplog.records if r.name == "accounts.services"] == [
        "sms to +1 20***0123 not queued: country"
    ]


def test_sms_queue_refuses_kz_fixed_line(sms_outbox, django_capture_on_commit_callbacks, caplog):
    number = phonenumbers.example_number_for_type("KZ", PhoneNumberType.FIXED_LINE)
    fixed_line = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    caplog.set_level(logging.WARNING, logger="accounts.services")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        sms_id = sms_queue(to=fixed_line, text=KAZAKH_TEXT)

    assert sms_id == ""
    assert callbacks == []
    assert sms_outbox == []
    logged = [r.getMessage() for r in caplog.records if r.name == "accounts.services"]
    assert len(logged) == 1
    assert logged[0].endswith("not queued: not_mobile")


def test_a_dead_gateway_does_not_break_the_code_request(
    client, settings, closed_port, caplog, eager_retries, django_capture_on_commit_callbacks
):
    settings.SMS_BACKEND = "http"
    settings.SMS_HTTP_URL = f"http://127.0.0.1:{closed_port}/send"
    settings.SMS_MAX_TRIES = 2
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "kk"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/login/code/", {"phone": "+7 701 555 12 34"})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/code/confirm/"
    assert any("giving up" in message for message in messages(caplog, logging.ERROR))
