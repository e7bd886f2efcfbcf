"""Who checked my status: every staff look-up of a person, shown to that person.

Door checks are acceptable to the public only if a person can see who looked
them up. Nearly every staff scan already leaves a visit with `recorded_by`
and the venue (admitted or denied), kept VISIT_RETENTION_DAYS; those are read
as they are, so the check-in itself writes nothing more. The scans that show
a status without writing a visit — a re-scan of someone already inside, a
staff exit — leave a `StatusLookup` row instead. The list is the two together.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from venues.models import Venue
from visits.models import StatusLookup, Visit


@dataclass(frozen=True)
class Lookup:
    venue: Venue
    at: datetime.datetime


def status_lookup_record(
    *, venue_id: int, iin: str, staff: User, now: datetime.datetime | None = None
) -> StatusLookup:
    return StatusLookup.objects.create(
        venue_id=venue_id, iin=iin, recorded_by=staff, looked_up_at=now or timezone.now()
    )


def status_lookups_of(iin: str, now: datetime.datetime | None = None) -> list[Lookup]:
    """This person's look-ups by staff over the retention period, newest first.

    Two queries: the times (staff visits and look-up rows in one UNION), then
    their venues with the organisations.
    """
    since = (now or timezone.now()) - datetime.timedelta(days=settings.VISIT_RETENTION_DAYS)
    visits = Visit.objects.filter(
        iin=iin, recorded_by__isnull=False, checked_in_at__gte=since
    ).values_list("venue_id", F("checked_in_at"))
    lookups = StatusLookup.objects.filter(iin=iin, looked_up_at__gte=since).values_list(
        "venue_id", F("looked_up_at")
    )
    rows = sorted(visits.order_by().union(lookups.order_by(), all=True), key=lambda r: r[1])
    rows.reverse()
    venues = Venue.objects.select_related("organisation").in_bulk({row[0] for row in rows})
    return [Lookup(venue=venues[venue_id], at=at) for venue_id, at in rows if venue_id in venues]


def status_lookups_delete_old(now: datetime.datetime | None = None) -> int:
    """The look-up rows are kept as long as the visits they stand beside."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=settings.VISIT_RETENTION_DAYS)
    return StatusLookup.objects.filter(looked_up_at__lt=cutoff).delete()[0]
