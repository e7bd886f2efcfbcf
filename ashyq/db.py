"""Reports read a streaming replica; everything else, the primary (docs/scaling.md).

`DATABASE_REPLICA_URL` adds a `replica` alias. The pages in
`REPLICA_READ_VIEWS` (reports, tracing, dashboards, exports: GET only) read
there, through `ReplicaMiddleware` and `ReplicaRouter`. Writes always go to the
primary, and so do reads that must see a write:

- inside a transaction on the primary (a write path reading what it wrote);
- on the sessions table (a session written a moment ago must be found);
- for a few seconds after the same browser sent a POST (the pin cookie), so the
  page a form redirects to shows what the form did.

Without the alias, the router has no opinion and everything uses `default`.
A replica that does not answer when a report page starts is skipped: the page
reads the primary (and the log says so) rather than answering 503.
"""

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

REPLICA = "replica"
PIN_COOKIE = "ashyq_primary"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# A session must be read where it was just written.
PRIMARY_ONLY_APPS = frozenset({"sessions"})

_replica_reads: ContextVar[bool] = ContextVar("replica_reads", default=False)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def replica_answers() -> bool:
    """Connect to the replica (or check the kept connection once per request); False if down.

    A stopped or restarting replica would fail every report; the primary can
    take the few reports meanwhile.
    """
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        # Its reads stay on the primary anyway (read_alias): nothing to check.
        return True
    replica = connections[REPLICA]
    try:
        replica.close_if_health_check_failed()
        replica.ensure_connection()
    except DatabaseError as exc:
        logger.warning("replica unavailable, the report reads the primary: %s", exc)
        return False
    return True


@contextmanager
def replica_reads() -> Iterator[None]:
    """Reads in this block go to the replica, when there is one."""
    token = _replica_reads.set(True)
    try:
        yield
    finally:
        _replica_reads.reset(token)


def read_alias(model: Any = None) -> str:
    """The alias a read of `model` uses now: `replica` only inside `replica_reads()`."""
    if not _replica_reads.get() or not replica_configured():
        return DEFAULT_DB_ALIAS
    if model is not None and model._meta.app_label in PRIMARY_ONLY_APPS:
        return DEFAULT_DB_ALIAS
    # A transaction on the primary reads its own writes; the replica has not
    # seen them yet.
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return DEFAULT_DB_ALIAS
    return REPLICA


class ReplicaRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        if not _replica_reads.get():
            # No opinion: Django keeps an object's related reads on its own
            # database, and uses `default` otherwise.
            return None
        return read_alias(model)

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        # The replica holds the primary's rows: an object read there may point
        # at one read on the primary.
        both = {obj1._state.db, obj2._state.db}
        if both <= {DEFAULT_DB_ALIAS, REPLICA}:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        # A replica follows the primary's WAL; migrating it is neither needed
        # nor possible.
        if db == REPLICA:
            return False
        return None


def _iterate_on_replica(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """A streamed export reads while the server sends it, after the view returned."""
    iterator = iter(chunks)
    while True:
        token = _replica_reads.set(True)
        try:
            chunk = next(iterator)
        except StopIteration:
            return
        finally:
            _replica_reads.reset(token)
        yield chunk


class ReplicaMiddleware:
    """Lets the report pages (`REPLICA_READ_VIEWS`) read the replica.

    Last in MIDDLEWARE, so the replica reads span exactly the view and its
    template's rendering; the other middleware (sessions, messages) work on
    the primary before and after.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            response = self.get_response(request)
        finally:
            token = request.__dict__.pop("_replica_token", None)
            if token is not None:
                _replica_reads.reset(token)
        if token is not None and response.streaming:
            response.streaming_content = _iterate_on_replica(response.streaming_content)
        if request.method not in SAFE_METHODS and replica_configured():
            response.set_cookie(
                PIN_COOKIE,
                "1",
                max_age=settings.DATABASE_REPLICA_PIN_SECONDS,
                httponly=True,
                samesite="Lax",
                secure=not settings.DEBUG,
            )
        return response

    def process_view(self, request: HttpRequest, view: Callable, args: tuple, kwargs: dict) -> None:
        if (
            request.method in SAFE_METHODS
            and PIN_COOKIE not in request.COOKIES
            and request.resolver_match is not None
            and request.resolver_match.view_name in settings.REPLICA_READ_VIEWS
            and replica_configured()
            and replica_answers()
        ):
            request._replica_token = _replica_reads.set(True)
