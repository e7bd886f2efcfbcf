"""Structured logs: one JSON object a line, each carrying the request id.

The id comes from the proxy's X-Request-ID header when it sends one (so a
request can be followed from nginx to Django to the database log), or is
made up here; it is sent back in the response header of the same name.

With REQUEST_LOG on, every request also ends with one line on the
`ashyq.requests` logger: method, path (never the query string, which may
carry personal data), status and duration, so that slow views and error
rates can be read per view from the logs.
"""

import contextvars
import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from django.conf import settings
from django.http import HttpRequest, HttpResponse

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
requests_log = logging.getLogger("ashyq.requests")
# Asked for every few seconds or served by the CDN in production: logged only when they fail.
QUIET_PREFIXES = ("/healthz", "/static/", "/favicon.ico", "/robots.txt")


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        token = request_id.set(incoming if SAFE_ID.match(incoming) else uuid.uuid4().hex)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id.get()
            if settings.REQUEST_LOG:
                _log_request(request, response.status_code, time.perf_counter() - started)
            return response
        finally:
            request_id.reset(token)


def _log_request(request: HttpRequest, status: int, seconds: float) -> None:
    if status < 400 and request.path.startswith(QUIET_PREFIXES):
        return
    http = {
        "method": request.method,
        "path": request.path,
        "status": status,
        "duration_ms": round(seconds * 1000, 1),
    }
    # INFO even for a 500: django.request logs the error itself, with its traceback.
    requests_log.info(
        "%(method)s %(path)s %(status)s %(duration_ms)sms", http, extra={"http": http}
    )


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


def utc_time(created: float) -> str:
    """A log time as the SMS file writes its `sent_at`: UTC, ISO 8601, with the offset."""
    return datetime.fromtimestamp(created, UTC).isoformat()


class PlainFormatter(logging.Formatter):
    """Readable lines for a local run, timed like the JSON lines and var/sms.jsonl.

    The default `asctime` is local time without an offset, so a code in the
    SMS file and the log line that sent it seemed hours apart.
    """

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return utc_time(record.created)


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": utc_time(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        http = getattr(record, "http", None)
        if http is not None:
            entry.update(http)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)
