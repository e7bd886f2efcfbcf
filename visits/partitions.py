"""Visits partitioned by day on PostgreSQL (docs/scaling.md, "PostgreSQL").

`visits_visit` is `PARTITION BY RANGE (checked_in_at)` there, one partition a
UTC day named `visits_visit_pYYYYMMDD`. A periodic job creates them ahead
(today and the next PARTITIONS_AHEAD days, so tomorrow's always exists) and
retention drops whole days past VISIT_RETENTION_DAYS: a catalogue change in
milliseconds instead of deleting millions of rows through every index. There
is no DEFAULT partition: a visit whose day has no partition is an error that
shows at once, not rows that pile up where no retention reaches them.

SQLite (the embedded default) keeps the plain table; every function here is
a no-op there, and retention deletes rows instead (visits/jobs.py).
"""

import datetime
import logging
import re
import time
from collections.abc import Iterable

from django.db import connection

logger = logging.getLogger(__name__)

TABLE = "visits_visit"
PARTITIONS_AHEAD = 7
_DAILY = re.compile(r"^visits_visit_p(\d{8})$")


def partitioned() -> bool:
    """Whether `visits_visit` is partitioned here (PostgreSQL, after migration 0006)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [TABLE])
        row = cursor.fetchone()
    return row is not None and row[0] == "p"


def daily_name(day: datetime.date) -> str:
    return f"{TABLE}_p{day:%Y%m%d}"


def partition_names() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass(%s) ORDER BY c.relname",
            [TABLE],
        )
        return [row[0] for row in cursor.fetchall()]


def partition_sql(name: str, start: datetime.date, end: datetime.date) -> str:
    """The statement that makes a partition for the UTC days from `start` up to
    (not including) `end`. Identifiers cannot be parameters; the name is ours,
    the bounds are dates."""
    lower, upper = (
        datetime.datetime.combine(day, datetime.time(), tzinfo=datetime.UTC).isoformat()
        for day in (start, end)
    )
    return (
        f'CREATE TABLE IF NOT EXISTS "{name}" PARTITION OF {TABLE} '
        f"FOR VALUES FROM ('{lower}') TO ('{upper}')"
    )


def create_partition(name: str, start: datetime.date, end: datetime.date) -> None:
    with connection.cursor() as cursor:
        cursor.execute(partition_sql(name, start, end))


def create_days(days: Iterable[datetime.date]) -> list[str]:
    """Create the daily partitions of these days that do not exist yet; their names."""
    if not partitioned():
        return []
    existing = set(partition_names())
    created = []
    for day in sorted(set(days)):
        name = daily_name(day)
        if name not in existing:
            create_partition(name, day, day + datetime.timedelta(days=1))
            created.append(name)
    return created


def visits_partitions_create_ahead(now: datetime.datetime) -> list[str]:
    """Today's partition and the next PARTITIONS_AHEAD days' (UTC), created if missing."""
    today = now.astimezone(datetime.UTC).date()
    created = create_days(today + datetime.timedelta(days=n) for n in range(PARTITIONS_AHEAD + 1))
    for name in created:
        logger.info("visits partition %s created", name)
    return created


def visits_partitions_drop_before(cutoff: datetime.datetime) -> list[str]:
    """Drop the daily partitions whose every visit is older than `cutoff`; their names.

    A day's alerts go first (their visits are about to vanish, and no foreign
    key cascades from a dropped partition). Outside a transaction the
    partition is detached CONCURRENTLY, so check-ins writing to today's
    partition never wait for the drop; inside one (a test) PostgreSQL allows
    only the plain DETACH.
    """
    if not partitioned():
        return []
    last_day = cutoff.astimezone(datetime.UTC).date()
    dropped = []
    for name in partition_names():
        match = _DAILY.match(name)
        if match is None:
            continue
        day = datetime.datetime.strptime(match.group(1), "%Y%m%d").date()
        if day + datetime.timedelta(days=1) > last_day:
            continue
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(
                f'DELETE FROM visits_insidealert WHERE visit_id IN (SELECT id FROM "{name}")'  # noqa: S608
            )
            concurrently = " CONCURRENTLY"
            if connection.in_atomic_block:
                # Deferred foreign key checks of rows this transaction wrote
                # would keep the table from being dropped: run them now.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                concurrently = ""
            cursor.execute(f'ALTER TABLE {TABLE} DETACH PARTITION "{name}"{concurrently}')
            cursor.execute(f'DROP TABLE "{name}"')
        logger.info(
            "visits partition %s dropped in %.1f ms", name, (time.perf_counter() - started) * 1000
        )
        dropped.append(name)
    return dropped
