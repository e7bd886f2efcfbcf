import datetime
from collections import defaultdict

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.models import User
from venues.cards import VenueCard
from venues.models import Venue
from visits.models import InsideAlert, IsolationPoint, Visit
from visits.occupancy import open_now


def isolation_place(iin: str) -> IsolationPoint | None:
    return IsolationPoint.objects.filter(iin=iin).first()


def visits_of(user: User, limit: int = 100) -> QuerySet[Visit]:
    """The account's own visits, newest first, for its history page."""
    return (
        Visit.objects.filter(user=user)
        .select_related("venue", "venue__category")
        .order_by("-checked_in_at")[:limit]
    )


def local_day_start(now: datetime.datetime) -> datetime.datetime:
    local = timezone.localtime(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def today_by_venue(
    venue_ids: list[int], now: datetime.datetime | None = None
) -> dict[int, dict[str, int]]:
    """Today's admitted and denied counts for many venues in one query."""
    rows = (
        Visit.objects.filter(
            venue_id__in=venue_ids, checked_in_at__gte=local_day_start(now or timezone.now())
        )
        .values("venue_id", "admitted")
        .annotate(count=Count("id"))
    )
    result: dict[int, dict[str, int]] = defaultdict(lambda: {"admitted": 0, "denied": 0})
    for row in rows:
        result[row["venue_id"]]["admitted" if row["admitted"] else "denied"] += row["count"]
    return dict(result)


def today_summary(venue: Venue, now: datetime.datetime | None = None) -> dict:
    """Today's admitted entries and denials by reason, since local midnight."""
    now = now or timezone.now()
    rows = (
        Visit.objects.filter(venue=venue, checked_in_at__gte=local_day_start(now))
        .values("admitted", "denial_code")
        .annotate(count=Count("id"))
    )
    summary = {"admitted": 0, "denied": 0, "denials": {}}
    for row in rows:
        if row["admitted"]:
            summary["admitted"] += row["count"]
        else:
            summary["denied"] += row["count"]
            summary["denials"][row["denial_code"]] = row["count"]
    return summary


def daily_counts(venue: Venue, days: int = 7, now: datetime.datetime | None = None) -> list[dict]:
    """Admitted and denied per local day, oldest first, days without visits included."""
    now = now or timezone.now()
    first = local_day_start(now) - datetime.timedelta(days=days - 1)
    rows = (
        Visit.objects.filter(venue=venue, checked_in_at__gte=first)
        .annotate(day=TruncDate("checked_in_at", tzinfo=timezone.get_current_timezone()))
        .values("day", "admitted")
        .annotate(count=Count("id"))
    )
    by_day: dict[datetime.date, dict[str, int]] = defaultdict(lambda: {"admitted": 0, "denied": 0})
    for row in rows:
        by_day[row["day"]]["admitted" if row["admitted"] else "denied"] += row["count"]
    result = []
    for offset in range(days):
        day = (first + datetime.timedelta(days=offset)).date()
        result.append({"day": day, **by_day[day]})
    return result


def visit_log(
    venue: Venue,
    *,
    day_from: datetime.date | None = None,
    day_to: datetime.date | None = None,
    decision: str = "",
    status: str = "",
) -> QuerySet[Visit]:
    visits = Visit.objects.filter(venue=venue).select_related("user").order_by("-checked_in_at")
    tz = timezone.get_current_timezone()
    if day_from:
        start = datetime.datetime.combine(day_from, datetime.time.min, tzinfo=tz)
        visits = visits.filter(checked_in_at__gte=start)
    if day_to:
        end = datetime.datetime.combine(day_to + datetime.timedelta(days=1), datetime.time.min)
        visits = visits.filter(checked_in_at__lt=end.replace(tzinfo=tz))
    if decision == "admitted":
        visits = visits.filter(admitted=True)
    elif decision == "denied":
        visits = visits.filter(admitted=False)
    if status:
        visits = visits.filter(status=status)
    return visits


def worsened_inside(
    venue: "Venue | VenueCard", now: datetime.datetime | None = None
) -> list[InsideAlert]:
    """People inside this venue now whose status turned so that they may not stay,
    newest first, one per visit; a flag whose record was lifted or has ended is gone."""
    now = now or timezone.now()
    alerts = (
        InsideAlert.objects.filter(
            visit__venue_id=venue.pk,
            **open_now(now, "visit__"),
            record__lifted_at__isnull=True,
        )
        .filter(Q(record__valid_until__isnull=True) | Q(record__valid_until__gt=now))
        .select_related("visit__user")
        .order_by("-created_at", "-pk")
    )
    newest: dict[int, InsideAlert] = {}
    for alert in alerts:
        newest.setdefault(alert.visit_id, alert)
    return list(newest.values())
