"""The people inside each venue, as a counter on the venue row (Venue.occupancy).

The check-in reads the counter under the venue's row lock instead of counting
the open visits (the stadium ceiling in docs/scaling.md). Every path that opens
or closes an admitted visit changes it under the same lock, and the order of
locks is fixed so that two paths can never wait for each other:

1. venue rows before visit rows: whoever closes a visit holds its venue's lock;
2. venue rows in ascending id order: a check-in at venue B that moves the
   person out of venue A locks A after B only when A > B. When A < B it takes
   A's lock only if no one holds it (NOWAIT: a lock taken without waiting
   closes no circle of waits), and otherwise starts again, locking A first
   (services.VenueLockOrder).

A periodic job recounts the open visits and fixes any drift (rows written
around these paths: the admin, a restore, the bench's seeding), logging it.
"""

import datetime
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import OperationalError, connection, transaction
from django.db.models import Count, F
from django.db.models.functions import Greatest

from venues.models import Venue
from visits.models import Visit
from visits.rules import open_window

if TYPE_CHECKING:
    from visits.checkin_queries import OpenVisit

logger = logging.getLogger(__name__)

OPEN = {"admitted": True, "checked_out_at__isnull": True}
# PostgreSQL's "could not obtain lock on row", for NOWAIT.
LOCK_NOT_AVAILABLE = "55P03"


def open_now(now: datetime.datetime, prefix: str = "") -> dict:
    """Lookups of the visits open at `now`, within the window an open visit
    can have begun in (visits.rules.open_window); `prefix` reaches them
    through a relation (`"visit__"`)."""
    since, until = open_window(now)
    lookups = {**OPEN, "checked_in_at__gt": since, "checked_in_at__lte": until}
    return {prefix + name: value for name, value in lookups.items()}


def lock_venues(venue_ids: Iterable[int]) -> None:
    """Lock these venue rows, in ascending id order, until the transaction ends."""
    list(Venue.objects.select_for_update().filter(pk__in=venue_ids).order_by("pk").values("pk"))


def lock_venues_free(venue_ids: Iterable[int]) -> bool:
    """Lock these venue rows if no one holds any of them now; False, without
    waiting, if someone does. After False the transaction is aborted on
    PostgreSQL and must be rolled back."""
    if not connection.features.has_select_for_update_nowait:
        return True
    try:
        lock = Venue.objects.select_for_update(nowait=True).filter(pk__in=venue_ids)
        list(lock.order_by("pk").values("pk"))
    except OperationalError as exc:
        if getattr(exc.__cause__, "sqlstate", None) == LOCK_NOT_AVAILABLE:
            return False
        raise
    return True


def close_visit(visit: "OpenVisit | Visit", *, checked_out_at: datetime.datetime, how: str) -> int:
    """Close an open visit whose venue's lock is held; 1 if it was still open, else 0."""
    return Visit.objects.filter(pk=visit.id, checked_in_at=visit.checked_in_at, **OPEN).update(
        checked_out_at=checked_out_at, checkout_method=how
    )


def occupancy_change(venue_id: int, change: int) -> None:
    """Add `change` to the venue's counter; the caller holds its lock. Never below 0:
    drift is the reconciling job's to fix, not a check-in's to fail on."""
    Venue.objects.filter(pk=venue_id).update(occupancy=Greatest(F("occupancy") + change, 0))


def open_visits_by_venue(venue_ids: Iterable[int] | None = None) -> dict[int, int]:
    visits = Visit.objects.filter(**OPEN)
    if venue_ids is not None:
        visits = visits.filter(venue_id__in=venue_ids)
    return dict(
        visits.order_by()
        .values("venue_id")
        .annotate(people=Count("id"))
        .values_list("venue_id", "people")
    )


def venues_reconcile_occupancy() -> int:
    """Set each venue's counter to its open visits where they differ; how many were fixed.

    The first comparison reads without locks; a venue that differs is counted
    again under its lock, so a check-in between the two reads is no drift.
    """
    counted = open_visits_by_venue()
    counters = dict(Venue.objects.filter(occupancy__gt=0).values_list("pk", "occupancy").order_by())
    fixed = 0
    for venue_id in sorted(set(counted) | set(counters)):
        if counted.get(venue_id, 0) == counters.get(venue_id, 0):
            continue
        with transaction.atomic():
            lock_venues([venue_id])
            counter = Venue.objects.filter(pk=venue_id).values_list("occupancy", flat=True).first()
            people = open_visits_by_venue([venue_id]).get(venue_id, 0)
            if counter is None or counter == people:
                continue
            Venue.objects.filter(pk=venue_id).update(occupancy=people)
        logger.warning(
            "occupancy drift venue=%s counter=%s open_visits=%s fixed", venue_id, counter, people
        )
        fixed += 1
    return fixed
