"""The writes of the periodic jobs (visits/tasks.py, Celery beat): closing visits
past their venue's maximum stay, retention (docs/rules.md §4), the daily
partitions, the double-tap guard's pruning and the occupancy counters' recount."""

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import DurationField, ExpressionWrapper, F, Value
from django.utils import timezone

from visits.models import Visit, VisitNonce
from visits.occupancy import OPEN, lock_venues, occupancy_change
from visits.partitions import partitioned, visits_partitions_drop_before

# How long a check-in request may come again (a double tap, a retried POST, a
# form sent back) and still be answered with its first visit. A later repeat
# is a new check-in, decided anew: harmless, as a new scan would be.
NONCE_LIFE = datetime.timedelta(hours=1)


def visits_close_expired(now: datetime.datetime | None = None) -> int:
    """Close visits open longer than their venue's maximum stay.

    The visit is closed at the moment its stay ran out, not at the moment
    this job ran: contact tracing should not see people inside for longer
    than they can have been. Each venue's visits close in a transaction of
    their own that holds the venue's lock and takes them off its counter, so
    a check-in waits for one venue's closing, never for the whole job.
    """
    now = now or timezone.now()
    closed = 0
    stays = (
        Visit.objects.filter(**OPEN)
        .order_by()  # the default ordering would defeat DISTINCT
        .values_list("venue__max_stay", flat=True)
        .distinct()
    )
    for max_stay in stays:
        expired = Visit.objects.filter(
            **OPEN, venue__max_stay=max_stay, checked_in_at__lte=now - max_stay
        )
        venues = expired.order_by().values_list("venue_id", flat=True).distinct()
        for venue_id in sorted(venues):
            with transaction.atomic():
                lock_venues([venue_id])
                count = expired.filter(venue_id=venue_id).update(
                    checked_out_at=_stay_end(max_stay),
                    checkout_method=Visit.Checkout.AUTOMATIC,
                )
                if count:
                    occupancy_change(venue_id, -count)
            closed += count
    return closed


def _stay_end(delta: datetime.timedelta) -> ExpressionWrapper:
    return ExpressionWrapper(
        F("checked_in_at") + Value(delta, output_field=DurationField()),
        output_field=Visit._meta.get_field("checked_in_at"),
    )


def visits_delete_old(
    now: datetime.datetime | None = None, *, days: int | None = None, batch: int = 10_000
) -> int:
    """Retention (docs/rules.md §4): visits older than VISIT_RETENTION_DAYS go. Status
    history stays.

    On PostgreSQL the days whose every visit is past the period are dropped
    whole (visits/partitions.py), and this returns how many days went. On
    SQLite the rows are deleted in batches, so no single transaction holds the
    table for long, and this returns how many visits went.
    """
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.VISIT_RETENTION_DAYS if days is None else days)
    if partitioned():
        return len(visits_partitions_drop_before(cutoff))
    deleted = 0
    while True:
        ids = list(
            Visit.objects.filter(checked_in_at__lt=cutoff).values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return deleted
        deleted += Visit.objects.filter(pk__in=ids).delete()[0]


def visit_nonces_prune(now: datetime.datetime | None = None) -> int:
    """Forget the nonces past NONCE_LIFE; how many went."""
    now = now or timezone.now()
    return VisitNonce.objects.filter(checked_in_at__lt=now - NONCE_LIFE).delete()[0]
