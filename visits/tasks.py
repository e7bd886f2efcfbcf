import logging

from celery import shared_task

from visits.jobs import visits_close_expired, visits_delete_old
from visits.lookups import status_lookups_delete_old

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
    logger.info("deleted %d visits and %d lookups past the retention period", deleted, lookups)
    return deleted
