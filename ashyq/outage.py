"""A backing service away (PostgreSQL, a Redis) answers 503 "try again", never a 500 page.

During a database restart or a Redis outage a request fails with the
driver's connection error. That is not a bug to trace but a moment to wait:
the person gets a translated page asking them to try again in a minute, with
`Retry-After`, and the log gets one line naming the service, without a
traceback per request.

`OutageMiddleware` answers for the views; `server_error` (handler500) for the
same errors raised in a middleware (a session saved after the view), where
process_exception does not reach (Django logs those with their traceback too).
"""

import logging
import sys
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

# A restart of PostgreSQL or of a Redis takes seconds; a minute covers a failover.
RETRY_AFTER_SECONDS = 30

# OperationalError: the server closed the connection, refused it or is
# starting up; InterfaceError: Django reused a connection that died meanwhile.
OUTAGE_ERRORS = (OperationalError, InterfaceError, RedisConnectionError, RedisTimeoutError)


def is_outage(exc: BaseException | None) -> bool:
    return isinstance(exc, OUTAGE_ERRORS)


def outage_response(request: HttpRequest, exc: BaseException) -> HttpResponse:
    logger.warning(
        "service unavailable: %s on %s %s: %s",
        type(exc).__name__,
        request.method,
        request.path,
        str(exc).splitlines()[0] if str(exc) else "",
    )
    # Rendered without the request: its context processors and a lazy
    # request.user might need the very service that is away.
    body = loader.get_template("503.html").render()
    response = HttpResponse(body, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    # The line above is the record; django.request would add an ERROR per request.
    response._has_been_logged = True
    return response


class OutageMiddleware:
    """Turns a view's database or Redis connection error into the 503 page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if is_outage(exception):
            return outage_response(request, exception)
        return None


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: the 503 page for an outage raised outside a view, else the 500 page."""
    exc = sys.exc_info()[1]
    if is_outage(exc):
        return outage_response(request, exc)
    return HttpResponse(loader.get_template("500.html").render(), status=500)
