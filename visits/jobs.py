"""The writes of the periodic jobs (visits/tasks.py, Celery beat): closing visits
past their venue's maximum stay, and deleting visits past retention (docs/rules.md §4)."""

import datetime

from django.conf import settings
from django.db.models import DurationField, ExpressionWrapper, F, Value
from django.utils import timezone

from visits.models import Visit


def visits_close_expired(now: datetime.datetime | None = None) -> int:
    """Close visits open longer than their venue's maximum stay.

    The visit is closed at the moment its stay ran out, not at the moment
    this job ran: contact tracing should not see people inside for longer
    than they can have been.
    """
    now = now or timezone.now()
    closed = 0
    stays = (
        Visit.objects.filter(admitted=True, checked_out_at__isnull=True)
        .order_by()  # the default ordering would defeat DISTINCT
        .values_list("venue__max_stay", flat=True)
        .distinct()
    )
    for max_stay in stays:
        closed += Visit.objects.filter(
            admitted=True,
            checked_out_at__isnull=True,
            venue__max_stay=max_stay,
            checked_in_at__lte=now - max_stay,
        ).update(
            checked_out_at=_stay_end(max_stay),
            checkout_method=Visit.Checkout.AUTOMATIC,
        )
    return closed


def _stay_end(delta: datetime.timedelta) -> ExpressionWrapper:
    return ExpressionWrapper(
        F("checked_in_at") + Value(delta, output_field=DurationField()),
        output_field=Visit._meta.get_field("checked_in_at"),
    )


def visits_delete_old(
    now: datetime.datetime | None = None, *, days: int | None = None, batch: int = 10_000
) -> int:
    """Retention (docs/rules.md §4): delete visits older than VISIT_RETENTION_DAYS, in batches
    so no single transaction holds the table for long. Status history stays."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.VISIT_RETENTION_DAYS if days is None else days)
    deleted = 0
    while True:
        ids = list(
            Visit.objects.filter(checked_in_at__lt=cutoff).values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return deleted
        deleted += Visit.objects.filter(pk__in=ids).delete()[0]
