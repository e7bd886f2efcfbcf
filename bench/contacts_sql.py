"""Contact tracing as one hand-written statement, for the benchmark only.

`visits.tracing.contacts_find` asks the question through the ORM, and that is
what the admin uses; `make bench` times this statement against it and checks
that both give the same answer (docs/rules.md §5). Times are compared as
timestamps on PostgreSQL and as integer microseconds on SQLite, which stores
them as text.
"""

import datetime
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.utils import timezone

from accounts.identifiers import validate_iin
from visits.tracing import (
    DEFAULT_DAYS,
    DEFAULT_MIN_OVERLAP,
    Account,
    Contact,
    Overlap,
    contacts_grouped,
    venue_name,
)

UTC = datetime.UTC
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = datetime.timedelta(microseconds=1)

CONTACTS_SQL = """
WITH case_visits AS (
    SELECT v.venue_id, ve.max_stay, ve.name_kk, ve.name_ru, ve.name_en,
           {in_at} AS case_start,
           {least}(COALESCE({out_at}, %(now)s), {in_at} + ve.max_stay) AS case_end
    FROM visits_visit v
    JOIN venues_venue ve ON ve.id = v.venue_id
    WHERE v.iin = %(iin)s AND v.admitted
      AND {in_at} >= %(since)s AND {in_at} <= %(now)s
),
pairs AS (
    SELECT o.iin, c.venue_id, c.name_kk, c.name_ru, c.name_en,
           {o_in_at} AS contact_start,
           {least}(COALESCE({o_out_at}, %(now)s), {o_in_at} + c.max_stay) AS contact_end,
           c.case_start, c.case_end
    FROM case_visits c
    JOIN visits_visit o
      ON o.venue_id = c.venue_id
     AND {o_in_at} > c.case_start - c.max_stay
     AND {o_in_at} < c.case_end
    WHERE o.admitted AND o.iin <> %(iin)s
)
SELECT p.iin, p.venue_id, p.name_kk, p.name_ru, p.name_en,
       p.contact_start, p.contact_end, p.case_start, p.case_end,
       u.id, u.full_name, u.phone, u.language
FROM pairs p
LEFT JOIN accounts_user u ON u.iin = p.iin
WHERE {least}(p.contact_end, p.case_end) - {greatest}(p.contact_start, p.case_start)
      >= %(min_overlap)s
  AND {least}(p.contact_end, p.case_end) > {greatest}(p.contact_start, p.case_start)
"""


def _sqlite_microseconds(column: str) -> str:
    # Django keeps SQLite datetimes as "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC.
    return (
        f"(CAST(strftime('%%s', {column}) AS INTEGER) * 1000000"
        f" + CAST(substr({column} || '.000000', 21, 6) AS INTEGER))"
    )


def _microseconds(value: datetime.datetime | datetime.timedelta) -> int:
    if isinstance(value, datetime.timedelta):
        return value // MICROSECOND
    return (value - EPOCH) // MICROSECOND


def _from_microseconds(value: int) -> datetime.datetime:
    return EPOCH + datetime.timedelta(microseconds=value)


def contacts_statement(
    *,
    case_iin: str,
    now: datetime.datetime,
    days: int = DEFAULT_DAYS,
    min_overlap: datetime.timedelta = DEFAULT_MIN_OVERLAP,
) -> tuple[str, dict[str, Any], Callable[[Any], datetime.datetime]]:
    """The statement for this database, its parameters, and how to read its times."""
    since = now - datetime.timedelta(days=days)
    params: dict[str, Any] = {"iin": case_iin}
    if connection.vendor == "postgresql":
        sql = CONTACTS_SQL.format(
            least="LEAST",
            greatest="GREATEST",
            in_at="v.checked_in_at",
            out_at="v.checked_out_at",
            o_in_at="o.checked_in_at",
            o_out_at="o.checked_out_at",
        )
        params.update(now=now, since=since, min_overlap=min_overlap)
        return sql, params, _aware
    if connection.vendor == "sqlite":
        sql = CONTACTS_SQL.format(
            least="MIN",
            greatest="MAX",
            in_at=_sqlite_microseconds("v.checked_in_at"),
            out_at=_sqlite_microseconds("v.checked_out_at"),
            o_in_at=_sqlite_microseconds("o.checked_in_at"),
            o_out_at=_sqlite_microseconds("o.checked_out_at"),
        )
        params.update(
            now=_microseconds(now),
            since=_microseconds(since),
            min_overlap=_microseconds(min_overlap),
        )
        return sql, params, _from_microseconds
    raise NotImplementedError(
        f"contacts_sql() speaks PostgreSQL and SQLite, not {connection.vendor}"
    )


def contacts_sql(
    *,
    case_iin: str,
    now: datetime.datetime | None = None,
    days: int = DEFAULT_DAYS,
    min_overlap: datetime.timedelta = DEFAULT_MIN_OVERLAP,
) -> list[Contact]:
    """`contacts_find` as one hand-written query (PostgreSQL or SQLite)."""
    sql, params, as_time = contacts_statement(
        case_iin=validate_iin(case_iin),
        now=now or timezone.now(),
        days=days,
        min_overlap=min_overlap,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    found: list[tuple[str, Overlap]] = []
    accounts: dict[str, Account] = {}
    for row in rows:
        iin, venue_id, name_kk, name_ru, name_en = row[:5]
        contact_start, contact_end, case_start, case_end = (as_time(value) for value in row[5:9])
        user_id, full_name, phone, language = row[9:]
        found.append(
            (
                iin,
                Overlap(
                    venue_id=venue_id,
                    venue_name=venue_name({"kk": name_kk, "ru": name_ru, "en": name_en}),
                    contact_start=contact_start,
                    contact_end=contact_end,
                    case_start=case_start,
                    case_end=case_end,
                ),
            )
        )
        if user_id is not None:
            accounts[iin] = Account(full_name=full_name, phone=phone or "", language=language)
    return contacts_grouped(found, accounts)


def _aware(value: datetime.datetime) -> datetime.datetime:
    return value if timezone.is_aware(value) else value.replace(tzinfo=UTC)
