"""SMS backends (docs/rules.md §7): console, file (JSON lines), in-memory, HTTP gateway.

A backend sends one message or raises: `TransientSMSError` when trying again
later may help (network error, gateway 5xx), `PermanentSMSError` when it will
not (the gateway refused the request). Retrying is the task's business.
"""

import fcntl
import json
import logging
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SMS:
    id: str
    to: str
    text: str


class TransientSMSError(Exception):
    pass


class PermanentSMSError(Exception):
    pass


def mask_phone(phone: str) -> str:
    """Enough of a number to follow it in the logs, not enough to read it."""
    if len(phone) <= 7:
        return "***"
    return f"{phone[:5]}***{phone[-4:]}"


class ConsoleBackend:
    def send(self, sms: SMS) -> None:
        sys.stdout.write(f"SMS to {sms.to}: {sms.text}\n")
        sys.stdout.flush()


class FileBackend:
    """Appends `{"to", "text", "sent_at"}` per line; demos and tests read codes here."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path or settings.SMS_FILE_PATH)

    def send(self, sms: SMS) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(
            {"to": sms.to, "text": sms.text, "sent_at": datetime.now(UTC).isoformat()},
            ensure_ascii=False,
        )
        with self.path.open("a", encoding="utf-8") as handle:
            # Several worker processes append to one file.
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                handle.write(line + "\n")
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


outbox: list[SMS] = []


class LocmemBackend:
    """Keeps messages in `accounts.sms.outbox`, for tests."""

    def send(self, sms: SMS) -> None:
        outbox.append(sms)


class HttpBackend:
    """POSTs JSON to the gateway at SMS_HTTP_URL.

    The message id travels as the `Idempotency-Key` header, so a gateway that
    honours it drops a repeat even if we crash between its answer and our
    record of it.
    """

    def __init__(self, url: str | None = None, token: str | None = None) -> None:
        self.url = url or settings.SMS_HTTP_URL
        self.token = token if token is not None else settings.SMS_HTTP_TOKEN

    def send(self, sms: SMS) -> None:
        body = json.dumps({"id": sms.id, "to": sms.to, "text": sms.text}).encode()
        headers = {"Content-Type": "application/json", "Idempotency-Key": sms.id}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        # SMS_HTTP_URL is checked to be http(s) when settings load.
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=settings.SMS_HTTP_TIMEOUT) as response:  # noqa: S310
                response.read()
        except urllib.error.HTTPError as exc:
            if exc.code >= 500 or exc.code == 429:
                raise TransientSMSError(f"gateway answered {exc.code}") from exc
            raise PermanentSMSError(f"gateway refused with {exc.code}") from exc
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            raise TransientSMSError(f"gateway unreachable: {exc}") from exc


BACKENDS = {
    "console": ConsoleBackend,
    "file": FileBackend,
    "locmem": LocmemBackend,
    "http": HttpBackend,
}


class MultiBackend:
    """Sends through each configured backend in turn (e.g. console and file)."""

    def __init__(self, backends: list) -> None:
        self.backends = backends

    def send(self, sms: SMS) -> None:
        for backend in self.backends:
            backend.send(sms)


def get_backend() -> ConsoleBackend | FileBackend | LocmemBackend | HttpBackend | MultiBackend:
    names = [name.strip() for name in settings.SMS_BACKEND.split(",") if name.strip()]
    if len(names) == 1:
        return BACKENDS[names[0]]()
    return MultiBackend([BACKENDS[name]() for name in names])
