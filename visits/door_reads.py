"""What the citizen's door pages read of the person, one statement a page.

The venue page a QR opens and the answer page after "Enter" are, with the
check-in itself, the three requests of every citizen's check-in. Each shows
the person's status now and what the venue says of it, so each needs their
status records, their place of home isolation (the rule reads it for yellow)
and one visit (an open one looked up only within the window an open visit
can have begun in: visits.rules.open_window). Read through querysets these
were two or three statements and as many model instances; here each page asks
once, and gets back plain values: a row per active status record, the visit
and the place repeated on each (or one row with no record, for blue).

The statements run through the check-in's cursor (prepared once per
connection on PostgreSQL) and read the same tables as the check-in; they
never lock or write.
"""

import datetime
from dataclasses import dataclass

from django.db import connection

from statuses.rules import Derived, Status, derive_status
from venues.cards import VenueCard
from visits.checkin_queries import _aware, _cursor, open_window_values, record_of
from visits.rules import Decision, Point, status_decision
from visits.services import venue_facts

# The status records active at a moment, as statuses.selectors.status_at reads
# them: columns id, status, source, valid_from, valid_until, lifted_at. The
# person is the outer query's `{iin}`; the moment is given three times.
_RECORDS = """
LEFT JOIN statuses_statusrecord r ON r.iin = {iin} AND r.valid_from <= %s
    AND (r.valid_until IS NULL OR r.valid_until > %s) AND (r.lifted_at IS NULL OR r.lifted_at > %s)
LEFT JOIN visits_isolationpoint p ON p.iin = {iin}
"""
_RECORD_COLUMNS = "r.id, r.status, r.source, r.valid_from, r.valid_until, r.lifted_at, "
_POINT_COLUMNS = "p.latitude, p.longitude"

# A person has at most one open visit at a venue (a scan there keeps it open
# rather than opening another), so the lookup has no ORDER BY: ordered by
# time within the day's window, PostgreSQL took to walking the day's time
# index and filtering every visit of the day by venue and person (34 ms at
# 42 000 visits of the day in a soak, docs/scaling.md).
_VENUE_PAGE = (
    "SELECT here.id, here.checked_in_at, "  # noqa: S608 (no value in the text)
    + _RECORD_COLUMNS
    + _POINT_COLUMNS
    + """
FROM (SELECT %s AS iin) person
LEFT JOIN (
    SELECT id, checked_in_at FROM visits_visit
    WHERE venue_id = %s AND iin = %s AND admitted AND checked_out_at IS NULL
        AND checked_in_at > %s AND checked_in_at <= %s
    LIMIT 1
) here ON TRUE
"""
    + _RECORDS.format(iin="person.iin")
)

_ANSWER = (
    "SELECT v.venue_id, v.iin, v.status, v.admitted, v.denial_code, v.test_mode, "
    "v.checked_in_at, v.checked_out_at, "
    + _RECORD_COLUMNS
    + _POINT_COLUMNS
    + """
FROM visits_visit v
"""
    + _RECORDS.format(iin="v.iin")
    + "WHERE v.id = %s AND v.user_id = %s"
)


@dataclass(frozen=True)
class OpenHere:
    """The person's open visit at this venue, as the venue page shows it."""

    pk: int
    checked_in_at: datetime.datetime


@dataclass(frozen=True)
class Person:
    """The person's status now and their place of home isolation, if any."""

    derived: Derived
    isolation: Point | None

    @property
    def status(self) -> Status:
        return self.derived.status

    def verdict_at(self, venue: VenueCard, now: datetime.datetime) -> Decision:
        """What the admission rule says about this person at this venue now,
        capacity aside: the pages never offer "Enter" (or keep showing "You may
        enter") to someone the venue refuses. Only the check-in, holding the
        venue's lock, knows how many are inside."""
        return status_decision(self.status, venue_facts(venue, now), self.isolation)


@dataclass(frozen=True)
class AnswerVisit:
    """A visit as the answer page shows it; shaped like `Visit` where it reads it."""

    pk: int
    venue_id: int
    iin: str
    status: str
    admitted: bool
    denial_code: str
    test_mode: bool
    checked_in_at: datetime.datetime
    checked_out_at: datetime.datetime | None

    @property
    def is_open(self) -> bool:
        return self.admitted and self.checked_out_at is None


def _person(rows: list[tuple], now: datetime.datetime) -> Person:
    """The status and place from the trailing columns that every row carries."""
    # A row with no record is the person without any (blue).
    records = [record_of(*row[-8:-2]) for row in rows if row[-8] is not None]
    latitude, longitude = rows[0][-2:]
    isolation = None if latitude is None else Point(float(latitude), float(longitude))
    return Person(derived=derive_status(records, now), isolation=isolation)


def venue_page_reads(
    *, venue_id: int, iin: str, now: datetime.datetime
) -> tuple[Person, OpenHere | None]:
    """The person's status and place, and their open visit at this venue."""
    with _cursor() as cursor:
        window = open_window_values(now)
        cursor.execute(_VENUE_PAGE, [iin, venue_id, iin, *window, *_moment(now)])
        rows = cursor.fetchall()
    visit_id, checked_in_at = rows[0][:2]
    here = None if visit_id is None else OpenHere(pk=visit_id, checked_in_at=_aware(checked_in_at))
    return _person(rows, now), here


def answer_reads(
    *, visit_id: int, user_id: int, now: datetime.datetime
) -> tuple[AnswerVisit, Person] | None:
    """The account's visit and the person's status and place now; None if the
    visit is not there or not this account's."""
    with _cursor() as cursor:
        cursor.execute(_ANSWER, [*_moment(now), visit_id, user_id])
        rows = cursor.fetchall()
    if not rows:
        return None
    venue_id, iin, status, admitted, denial_code, test_mode, checked_in_at, checked_out_at = rows[
        0
    ][:8]
    visit = AnswerVisit(
        pk=visit_id,
        venue_id=venue_id,
        iin=iin,
        status=status,
        admitted=bool(admitted),
        denial_code=denial_code,
        test_mode=bool(test_mode),
        checked_in_at=_aware(checked_in_at),
        checked_out_at=_aware(checked_out_at),
    )
    return visit, _person(rows, now)


def _moment(now: datetime.datetime) -> list:
    moment = connection.ops.adapt_datetimefield_value(now)
    return [moment, moment, moment]
