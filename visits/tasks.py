import logging

from celery import shared_task
from django.utils import timezone

from visits.jobs import visit_nonces_prune, visits_close_expired, visits_delete_old
from visits.lookups import status_lookups_delete_old
from visits.occupancy import venues_reconcile_occupancy
from visits.partitions import partitioned, visits_partitions_create_ahead

logger = logging.getLogger(__name__)


@shared_task
def close_expired_visits() -> int:
    closed = visits_close_expired()
    logger.info("closed %d visits past their venue's maximum stay", closed)
    return closed


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
    pruned = visit_nonces_prune()
    logger.info("pruned %d check-in nonces past their life", pruned)
    return pruned


@shared_task
def reconcile_occupancy() -> int:
    return venues_reconcile_occupancy()
