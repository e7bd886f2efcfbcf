"""What epidemiologists read about places and people (docs/rules.md §3, §5).

Hot spots are where people were while infectious: visits by people who were
red at entry, or who got a red record within a few days after the visit
(the test comes days after the infection, and records arrive late).
Denied attempts show where red and yellow people try to go. Idle venues are
those that seem not to use the system at all.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import (
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
)
from django.db.models.functions import TruncDate
from django.utils import timezone

from statuses.models import StatusRecord
from statuses.rules import Derived, Status
from statuses.selectors import current_status, history
from venues.models import Venue
from visits.models import IsolationPoint, Visit

REPORT_DAYS = 14
# A person tested positive this many days after a visit was probably
# infectious during it: the usual presymptomatic period.
INFECTIOUS_BEFORE_DAYS = 3
PERSON_VISITS_SHOWN = 500


def _venues(ids: set[int]) -> dict[int, Venue]:
    return Venue.objects.select_related("organisation", "region", "category").in_bulk(ids)


def _red_around_visit(after_days: int) -> Exists:
    """A red record (by the visit's IIN) active at some moment between the
    visit and `after_days` days after it, as known now."""
    entry = OuterRef("checked_in_at")
    until = ExpressionWrapper(
        entry + datetime.timedelta(days=after_days), output_field=DateTimeField()
    )
    return Exists(
        StatusRecord.objects.filter(
            Q(valid_until__isnull=True) | Q(valid_until__gt=entry),
            Q(lifted_at__isnull=True) | Q(lifted_at__gt=entry),
            iin=OuterRef("iin"),
            status=Status.RED.value,
            valid_from__lte=until,
        )
    )


@dataclass(frozen=True)
class HotSpot:
    venue: Venue
    visits: int
    people: int


def hot_spots(
    *,
    now: datetime.datetime | None = None,
    days: int = REPORT_DAYS,
    after_days: int = INFECTIOUS_BEFORE_DAYS,
    limit: int = 50,
) -> list[HotSpot]:
    """Venues ranked by admitted visits of people who were, or soon turned, red."""
    now = now or timezone.now()
    since = now - datetime.timedelta(days=days)
    rows = (
        Visit.objects.filter(admitted=True, checked_in_at__gte=since, checked_in_at__lte=now)
        .filter(Q(status=Status.RED.value) | _red_around_visit(after_days))
        .values("venue_id")
        .annotate(visits=Count("pk"), people=Count("iin", distinct=True))
        .order_by("-visits", "-people", "venue_id")[:limit]
    )
    rows = list(rows)
    venues = _venues({row["venue_id"] for row in rows})
    return [
        HotSpot(venue=venues[row["venue_id"]], visits=row["visits"], people=row["people"])
        for row in rows
    ]


@dataclass(frozen=True)
class DeniedDay:
    venue: Venue
    day: datetime.date
    red: int
    yellow: int

    @property
    def total(self) -> int:
        return self.red + self.yellow


def denied_attempts(
    *, now: datetime.datetime | None = None, days: int = REPORT_DAYS
) -> list[DeniedDay]:
    """Denied entries of red and yellow people per venue and local day, newest first."""
    now = now or timezone.now()
    since = now - datetime.timedelta(days=days)
    rows = (
        Visit.objects.filter(
            admitted=False,
            status__in=[Status.RED.value, Status.YELLOW.value],
            checked_in_at__gte=since,
            checked_in_at__lte=now,
        )
        .annotate(day=TruncDate("checked_in_at", tzinfo=timezone.get_current_timezone()))
        .values("venue_id", "day", "status")
        .annotate(count=Count("pk"))
        .order_by()
    )
    counts: dict[tuple[int, datetime.date], dict[str, int]] = defaultdict(
        lambda: {Status.RED.value: 0, Status.YELLOW.value: 0}
    )
    for row in rows:
        counts[(row["venue_id"], row["day"])][row["status"]] += row["count"]
    venues = _venues({venue_id for venue_id, _day in counts})
    result = [
        DeniedDay(
            venue=venues[venue_id],
            day=day,
            red=by_status[Status.RED.value],
            yellow=by_status[Status.YELLOW.value],
        )
        for (venue_id, day), by_status in counts.items()
    ]
    return sorted(result, key=lambda row: (-row.day.toordinal(), -row.total, row.venue.pk))


@dataclass(frozen=True)
class IdleVenue:
    venue: Venue
    last_visit: datetime.datetime | None


def idle_venues(
    *, now: datetime.datetime | None = None, days: int | None = None
) -> list[IdleVenue]:
    """Venues past their test week with no check-in attempt for VENUE_IDLE_DAYS (docs/rules.md §3).

    Suspended venues are left out: they are closed on the service's own order.
    Both subqueries read the (venue, checked_in_at) index.
    """
    now = now or timezone.now()
    since = now - datetime.timedelta(days=settings.VENUE_IDLE_DAYS if days is None else days)
    recent = Visit.objects.filter(venue=OuterRef("pk"), checked_in_at__gte=since)
    last = Visit.objects.filter(venue=OuterRef("pk")).order_by("-checked_in_at")
    venues = (
        Venue.objects.filter(test_mode_until__lte=now, suspended=False)
        .filter(~Exists(recent))
        .annotate(last_visit=Subquery(last.values("checked_in_at")[:1]))
        .select_related("organisation", "region", "category")
        .order_by(F("last_visit").asc(nulls_first=True), "pk")
    )
    return [IdleVenue(venue=venue, last_visit=venue.last_visit) for venue in venues]


@dataclass(frozen=True)
class PersonOverview:
    iin: str
    user: AbstractBaseUser | None
    status: Derived | None
    history: list[StatusRecord] = field(default_factory=list)
    isolation_point: IsolationPoint | None = None
    visits: list[Visit] = field(default_factory=list)
    more_visits: bool = False


def person_overview(
    *, iin: str, user: AbstractBaseUser | None, now: datetime.datetime | None = None
) -> PersonOverview:
    """Everything the person page shows: account, status, history, isolation, visits."""
    if not iin:
        return PersonOverview(iin="", user=user, status=None)
    visits = list(
        Visit.objects.filter(iin=iin)
        .select_related("venue", "recorded_by")
        .order_by("-checked_in_at")[: PERSON_VISITS_SHOWN + 1]
    )
    return PersonOverview(
        iin=iin,
        user=user,
        status=current_status(iin, now),
        history=list(history(iin).select_related("created_by", "lifted_by")),
        isolation_point=IsolationPoint.objects.filter(iin=iin).select_related("updated_by").first(),
        visits=visits[:PERSON_VISITS_SHOWN],
        more_visits=len(visits) > PERSON_VISITS_SHOWN,
    )
