"""What the statement budgets of the door pages are made of, where it depends on the
database or the session engine."""

from django.conf import settings
from django.db import connection


def session_queries() -> int:
    """Statements a request spends on its session: none where sessions live in
    the cache (cached_db, with Redis as in production), one read otherwise."""
    return 0 if settings.SESSION_ENGINE.endswith("cached_db") else 1


def visit_writes(*, nonce: bool = True, counted: bool = True) -> int:
    """The statements that write a check-in's visit: one on PostgreSQL, where the
    double-tap guard, the visit and the venue's counter share one WITH; SQLite
    allows no INSERT inside WITH and sends each of them."""
    if connection.vendor == "postgresql":
        return 1
    return 1 + nonce + counted
