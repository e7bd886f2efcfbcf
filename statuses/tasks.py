import logging

from celery import shared_task

from statuses.services import warn_expiring

logger = logging.getLogger(__name__)


@shared_task
def warn_expiring_greens() -> int:
    sent = warn_expiring()
    logger.info("expiring green statuses: %d warnings queued", sent)
    return sent
