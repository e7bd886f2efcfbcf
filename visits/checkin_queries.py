"""The check-in's statements, written as SQL by hand.

Check-in is the one request that millions make at the door, and `make bench`
showed Django's query building, not the database, to be most of its cost:
four ORM querysets cost about as much as the rest of the request together. So
the check-in runs statements whose text is fixed, prepared on PostgreSQL:

1. `lock_venue`: the venue row, locked, with what the admission rule needs,
   whether the staff member may check people in here (and whether their
   organisation is verified to look people up), and the account that
   holds the IIN. All of these may be read before the lock is granted.
   The venue's occupancy counter rides on it too: a locked row is read as
   the last transaction that held the lock left it.
2. `read_at_door`: what must be read *after* the lock, so that it sees the
   check-ins committed by whoever held the lock before: this person's open
   visits (and the visit of a repeated nonce), and their status records
   active now.
3. `insert_visit`: the new visit, with its nonce in the double-tap guard and
   the change to the venue's occupancy counter; one statement on PostgreSQL.

They run at READ COMMITTED whatever the server's
`default_transaction_isolation` says: the read after the lock must see the
check-ins committed while this one waited for it. Under REPEATABLE READ the
transaction's snapshot is taken at its first statement, the lock itself,
before the wait, and the venue would fill past its capacity. The connection
asks for READ COMMITTED in every BEGIN (`isolation_level` in the database
OPTIONS, ashyq/settings.py), which costs no statement of its own.

The SQL is plain enough for both PostgreSQL (production, CI) and SQLite (the
embedded default); only the lock clause differs, and SQLite needs none
because it admits one writer at a time. The tests run the same check-in
rules through these statements on both.
"""

import datetime
from dataclasses import dataclass

import psycopg
from django.db import connection
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from statuses.rules import RecordFacts, Source, Status
from visits import occupancy
from visits.models import Visit, VisitNonce
from visits.rules import open_window


@dataclass(frozen=True)
class LockedVenue:
    id: int
    capacity: int
    # People inside now (Venue.occupancy, kept under this lock).
    occupancy: int
    pcr_required: bool
    kiosk_only: bool
    kiosk_secret: str
    test_mode_until: datetime.datetime
    suspended: bool
    latitude: float
    longitude: float
    essential: bool
    zone: str
    # The active account holding the IIN, when asked for one, and its name:
    # the staff page shows "first name S., year" without reading the account again.
    person_id: int | None
    person_name: str
    # Only a verified organisation's staff may look people up (read with
    # `staff_id` only; True otherwise).
    organisation_verified: bool


@dataclass(frozen=True)
class OpenVisit:
    id: int
    venue_id: int
    nonce: str
    iin: str
    checked_in_at: datetime.datetime


@dataclass(frozen=True)
class AtTheDoor:
    # Open visits of this person anywhere, and the visit of the nonce if any
    # (whoever made it, open or not).
    visits: list[OpenVisit]
    records: list[RecordFacts]


_LOCK = """
SELECT v.id, v.capacity, v.occupancy, v.pcr_required, v.kiosk_only, v.kiosk_secret,
       v.test_mode_until, v.suspended, v.latitude, v.longitude, c.essential, r.zone,
       (SELECT u.id FROM accounts_user u WHERE u.iin = %s AND u.is_active LIMIT 1),
       (SELECT u.full_name FROM accounts_user u WHERE u.iin = %s AND u.is_active LIMIT 1),
       {verified}
FROM venues_venue v
JOIN venues_category c ON c.id = v.category_id
JOIN venues_region r ON r.id = v.region_id
"""
# Only staff look people up, so only they need the organisation: a self
# check-in reads a constant instead of joining it (about 15 µs of the lock).
_LOCK_SELF = _LOCK.format(verified="TRUE")
_LOCK_STAFF = _LOCK.format(verified="o.verified_at IS NOT NULL")
# Who may check people in: the organisation's admin and the venue's staff.
_STAFF_ONLY = """
JOIN venues_organisation o ON o.id = v.organisation_id
WHERE (o.admin_id = %s OR EXISTS (
    SELECT 1 FROM venues_staffmembership m WHERE m.venue_id = v.id AND m.user_id = %s
)) AND
"""

# One statement, two kinds of rows, so that the reads after the lock cost
# one round trip. Columns: kind, id, venue, text1, text2, three datetimes; the
# records come first because PostgreSQL types a UNION's columns from left to right.
# The nonce's visit is found through the guard, by its id and day, and the
# person's open visits in each day's small partial index. Both look only
# within the window an open visit can have begun in (visits.rules.open_window;
# a nonce lives an hour), so PostgreSQL reads a day or two of the daily
# partitions and prunes the rest as the prepared statement starts, instead
# of opening every day's index.
_AT_THE_DOOR = """
SELECT 'record', id, NULL, status, source, valid_from, valid_until, lifted_at
FROM statuses_statusrecord
WHERE iin = %s AND valid_from <= %s
  AND (valid_until IS NULL OR valid_until > %s) AND (lifted_at IS NULL OR lifted_at > %s)
UNION ALL
SELECT 'visit', id, venue_id, nonce, iin, checked_in_at, NULL, NULL
FROM visits_visit
WHERE iin = %s AND admitted AND checked_out_at IS NULL AND checked_in_at > %s
  AND checked_in_at <= %s
UNION ALL
SELECT 'visit', v.id, v.venue_id, v.nonce, v.iin, v.checked_in_at, NULL, NULL
FROM visits_visitnonce n
JOIN visits_visit v ON v.id = n.visit_id AND v.checked_in_at = n.checked_in_at
WHERE n.nonce = %s AND v.checked_in_at > %s AND v.checked_in_at <= %s
"""


def lock_venue(
    *, venue_id: int | None = None, code: str = "", staff_id: int | None = None, iin: str = ""
) -> LockedVenue | None:
    """The venue by id or code, locked until the transaction ends; None if it is not
    there or, with `staff_id`, if that person may not check people in at it."""
    params: list = [iin or None, iin or None]
    if staff_id is not None:
        sql = _LOCK_STAFF + _STAFF_ONLY
        params += [staff_id, staff_id]
    else:
        sql = _LOCK_SELF + "WHERE "
    if code:
        sql += "v.code = %s"
        params.append(code)
    else:
        sql += "v.id = %s"
        params.append(venue_id)
    if connection.features.has_select_for_update_of:
        # Only the venue row: locking the category or region would queue every
        # check-in of the country behind one row.
        sql += " FOR UPDATE OF v"
    with _cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    return LockedVenue(
        id=row[0],
        capacity=row[1],
        occupancy=row[2],
        pcr_required=bool(row[3]),
        kiosk_only=bool(row[4]),
        kiosk_secret=row[5],
        test_mode_until=_aware(row[6]),
        suspended=bool(row[7]),
        latitude=float(row[8]),
        longitude=float(row[9]),
        essential=bool(row[10]),
        zone=row[11],
        person_id=row[12],
        person_name=row[13] or "",
        organisation_verified=bool(row[14]),
    )


def read_at_door(*, venue_id: int, iin: str, nonce: str, now: datetime.datetime) -> AtTheDoor:
    """What the admission rule needs that others may change: read after the lock."""
    moment = connection.ops.adapt_datetimefield_value(now)
    window = open_window_values(now)
    params = [iin, moment, moment, moment, iin, *window, nonce or None, *window]
    visits, records = {}, []
    with _cursor() as cursor:
        cursor.execute(_AT_THE_DOOR, params)
        rows = cursor.fetchall()
    for kind, row_id, venue, text1, text2, valid_from, valid_until, lifted_at in rows:
        if kind == "visit":
            # The nonce's visit may be an open visit of this person too.
            visits[row_id] = OpenVisit(
                id=row_id,
                venue_id=venue,
                nonce=text1,
                iin=text2,
                checked_in_at=_aware(valid_from),
            )
        else:
            records.append(record_of(row_id, text1, text2, valid_from, valid_until, lifted_at))
    return AtTheDoor(visits=list(visits.values()), records=records)


def open_window_values(now: datetime.datetime) -> list:
    """visits.rules.open_window as a statement's two parameters."""
    return [connection.ops.adapt_datetimefield_value(moment) for moment in open_window(now)]


def record_of(
    record_id: int,
    status: str,
    source: str,
    valid_from: datetime.datetime | str,
    valid_until: datetime.datetime | str | None,
    lifted_at: datetime.datetime | str | None,
) -> RecordFacts:
    """A status record from the columns of a hand-written statement."""
    return RecordFacts(
        status=Status(status),
        valid_from=_aware(valid_from),
        valid_until=_aware(valid_until),
        lifted_at=_aware(lifted_at),
        id=record_id,
        source=Source(source),
    )


_VISIT_FIELDS = [field for field in Visit._meta.concrete_fields if not field.primary_key]
_COLUMNS = ", ".join(field.column for field in _VISIT_FIELDS)
_VALUES = ", ".join(["%s"] * len(_VISIT_FIELDS))
# Names from the models, values as parameters. Each statement below is fixed
# text, so that PostgreSQL prepares it once per connection.
_INSERT = f"INSERT INTO visits_visit ({_COLUMNS}) VALUES ({_VALUES}) RETURNING id"  # noqa: S608
# PostgreSQL runs every part of a WITH, referenced or not, in one statement:
# the nonce takes the visit's id from the sequence, and a nonce already in
# the guard fails the statement on its primary key before any visit is written.
_GUARDED = (
    "WITH guard AS (INSERT INTO visits_visitnonce (nonce, visit_id, checked_in_at) "  # noqa: S608
    "VALUES (%s, nextval('visits_visit_id_seq'), %s) RETURNING visit_id){counted} "
    f"INSERT INTO visits_visit (id, {_COLUMNS}) SELECT visit_id, {_VALUES} FROM guard RETURNING id"
)
_COUNTED = (
    "counted AS (UPDATE venues_venue SET occupancy = GREATEST(occupancy + %s, 0) WHERE id = %s)"
)
_POSTGRESQL = {
    (True, True): _GUARDED.format(counted=", " + _COUNTED),
    (True, False): _GUARDED.format(counted=""),
    (False, True): f"WITH {_COUNTED} {_INSERT}",
    (False, False): _INSERT,
}


def insert_visit(visit: Visit, *, occupancy_change: int = 0) -> None:
    """`visit.save()` for a new visit, without the ORM's query building.

    Its nonce, if any, goes into the double-tap guard (VisitNonce) and the
    venue's occupancy counter changes by `occupancy_change`, in the same
    statement on PostgreSQL; SQLite, which allows no INSERT inside WITH, writes
    them one by one through the ORM in the same transaction. A nonce already
    guarded raises IntegrityError. The columns come from the model, so a new
    field is written too. Like `bulk_create`, it sends no pre_save or
    post_save signals.
    """
    values = [
        field.get_db_prep_save(field.pre_save(visit, True), connection) for field in _VISIT_FIELDS
    ]
    postgresql = connection.vendor == "postgresql"
    with _cursor() as cursor:
        if postgresql:
            moment = connection.ops.adapt_datetimefield_value(visit.checked_in_at)
            params = [visit.nonce, moment] if visit.nonce else []
            params += [occupancy_change, visit.venue_id] if occupancy_change else []
            cursor.execute(_POSTGRESQL[bool(visit.nonce), bool(occupancy_change)], params + values)
        else:
            cursor.execute(_INSERT, values)
        visit.pk = cursor.fetchone()[0]
    if not postgresql:
        if visit.nonce:
            VisitNonce.objects.create(
                nonce=visit.nonce, visit_id=visit.pk, checked_in_at=visit.checked_in_at
            )
        if occupancy_change:
            occupancy.occupancy_change(visit.venue_id, occupancy_change)
    visit._state.adding = False
    visit._state.db = connection.alias


# The person's visit elsewhere and its venue's counter, in one statement; the
# venue's lock is held before the visit row is touched (venue rows first).
_CLOSE_MOVED = """
WITH closed AS (
    UPDATE visits_visit SET checked_out_at = %s, checkout_method = %s
    WHERE id = %s AND checked_in_at = %s AND admitted AND checked_out_at IS NULL
    RETURNING venue_id
)
UPDATE venues_venue SET occupancy = GREATEST(occupancy - 1, 0)
WHERE id IN (SELECT venue_id FROM closed)
"""


def close_moved(
    visits: list[OpenVisit], *, checked_out_at: datetime.datetime, lock: set[int]
) -> None:
    """Close the person's open visits at other venues as "moved", each taking one
    off its venue's counter if it was still open. The venues in `lock` (those
    above the check-in's venue, not yet locked) are locked first; the caller
    holds the others' locks."""
    occupancy.lock_venues(lock)
    if connection.vendor != "postgresql":
        for visit in visits:
            closed = occupancy.close_visit(
                visit, checked_out_at=checked_out_at, how=Visit.Checkout.MOVED
            )
            occupancy.occupancy_change(visit.venue_id, -closed)
        return
    moment = connection.ops.adapt_datetimefield_value(checked_out_at)
    with _cursor() as cursor:
        for visit in visits:
            began = connection.ops.adapt_datetimefield_value(visit.checked_in_at)
            cursor.execute(_CLOSE_MOVED, [moment, Visit.Checkout.MOVED, visit.id, began])


def _cursor() -> CursorWrapper:
    """A cursor whose statements PostgreSQL parses once per connection.

    Django's own cursors bind parameters on the client, so PostgreSQL parses
    and analyses every statement anew. A server-side binding cursor on the
    same connection (and transaction) lets psycopg prepare these
    statements once (DATABASES OPTIONS prepare_threshold).
    """
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.ensure_connection()
    raw = psycopg.Cursor(connection.connection)
    if connection.queries_logged:
        return _LoggedCursor(raw, connection)
    return connection.make_cursor(raw)


class _LoggedCursor(CursorDebugWrapper):
    # Django reads the statement for its query log back from the cursor, and a
    # server-side binding cursor does not keep it: log it from here instead.
    def execute(self, sql: str, params: list | None = None) -> None:
        with self.debug_sql(self.db.ops.compose_sql(sql, params)):
            return CursorWrapper.execute(self, sql, params)


def _aware(value: datetime.datetime | str | None) -> datetime.datetime | None:
    # PostgreSQL returns aware datetimes; SQLite returns naive UTC, or text
    # where a UNION hides the column's declared type.
    if value is None:
        return None
    if isinstance(value, str):
        value = parse_datetime(value)
    if timezone.is_naive(value):
        value = timezone.make_aware(value, datetime.UTC)
    return value


@dataclass(frozen=True)
class RecentScan:
    iin: str
    status: str
    admitted: bool
    checked_in_at: datetime.datetime
    checked_out_at: datetime.datetime | None


@dataclass(frozen=True)
class StaffPageReads:
    # The last staff scans here, newest first.
    recent: list[RecentScan]
    # Whether anyone inside here is flagged (visits.selectors.worsened_inside
    # reads them, only then).
    flagged: bool


# The staff page is rendered after every scan: its last 10 scans and whether
# anyone inside is flagged cost one statement; the flags themselves, with the
# names staff see, are read only when there are any (almost never). The number
# of scans is written into the statement, not bound: with LIMIT as a parameter
# PostgreSQL never settles on the prepared generic plan and plans the statement
# anew over every daily partition of the visits on each scan (4 ms of its CPU
# at 30 days of 10 M visits, against 0.03 ms). The page shows a scan's time
# without its date, so it lists the last day's scans only; with the open
# visits' window (visits.rules.open_window) both parts read a day or two of
# the daily partitions, pruned as the statement starts.
_STAFF_PAGE = """
SELECT 'scan', iin, status, admitted, checked_in_at, checked_out_at FROM (
    SELECT iin, status, admitted, checked_in_at, checked_out_at FROM visits_visit
    WHERE venue_id = %s AND recorded_by_id IS NOT NULL
      AND checked_in_at > %s AND checked_in_at <= %s
    ORDER BY checked_in_at DESC LIMIT 10
) recent
UNION ALL
SELECT 'flag', NULL, NULL, NULL, NULL, NULL WHERE EXISTS (
    SELECT 1 FROM visits_insidealert a JOIN visits_visit v ON v.id = a.visit_id
    WHERE v.venue_id = %s AND v.admitted AND v.checked_out_at IS NULL
      AND v.checked_in_at > %s AND v.checked_in_at <= %s
)
"""
RECENT_SCANS = datetime.timedelta(hours=24)


def staff_page_reads(*, venue_id: int, now: datetime.datetime) -> StaffPageReads:
    since, until = open_window_values(now)
    recent = connection.ops.adapt_datetimefield_value(now - RECENT_SCANS)
    with _cursor() as cursor:
        cursor.execute(_STAFF_PAGE, [venue_id, recent, until, venue_id, since, until])
        rows = cursor.fetchall()
    scans = [
        RecentScan(
            iin=iin,
            status=status,
            admitted=bool(admitted),
            checked_in_at=_aware(checked_in_at),
            checked_out_at=_aware(checked_out_at),
        )
        for kind, iin, status, admitted, checked_in_at, checked_out_at in rows
        if kind == "scan"
    ]
    scans.sort(key=lambda scan: scan.checked_in_at, reverse=True)
    return StaffPageReads(recent=scans, flagged=any(row[0] == "flag" for row in rows))
