import logging

from celery import shared_task
from django.utils import timezone

from visits.jobs import visit_nonces_prune, visits_close_expired, visits_delete_old
from visits.lookups import status_lookups_delete_old
from visits.occupancy import venues_reconcile_occupancy
from visits.partitions import partitioned, visits_partitions_create_ahead

logger = logging.getLogger(__name__)


def _logged(count: int, message: str) -> int:
    """The count a job returned, logged with `message` (which has one %d) and returned."""
    logger.info(message, count)
    return count


@shared_task
def close_expired_visits() -> int:
    return _logged(visits_close_expired(), "closed %d visits past their venue's maximum stay")


@shared_task
def delete_old_visits() -> int:
    deleted = visits_delete_old()
    lookups = status_lookups_delete_old()
    logger.info(
        "deleted %d %s and %d lookups past the retention period",
        deleted,
        "days of visits" if partitioned() else "visits",
        lookups,
    )
    return deleted


@shared_task
def create_visit_partitions() -> int:
    """Today's partition and the week ahead's (PostgreSQL); hourly, so a missed run
    or a restart never leaves a day without one."""
    return len(visits_partitions_create_ahead(timezone.now()))


@shared_task
def prune_visit_nonces() -> int:
    return _logged(visit_nonces_prune(), "pruned %d check-in nonces past their life")


@shared_task
def reconcile_occupancy() -> int:
    return venues_reconcile_occupancy()
