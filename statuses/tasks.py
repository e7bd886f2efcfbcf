import logging

from celery import shared_task

from accounts.models import User
from statuses.imports import lab_import_check, lab_import_commit
from statuses.models import LabImport
from statuses.services import notify_transitions, warn_expiring

logger = logging.getLogger(__name__)


@shared_task
def warn_expiring_greens() -> int:
    sent = warn_expiring()
    logger.info("expiring green statuses: %d warnings queued", sent)
    return sent


@shared_task
def notify_status_transitions() -> int:
    sent = notify_transitions()
    logger.info("status changes as time passed: %d SMS queued", sent)
    return sent


@shared_task
def lab_import_check_task(import_id: int) -> None:
    lab_import = LabImport.objects.filter(pk=import_id).first()
    if lab_import is None:
        logger.warning("lab import %s is gone, nothing to check", import_id)
        return
    lab_import_check(lab_import)


@shared_task
def lab_import_commit_task(import_id: int, user_id: int) -> None:
    lab_import = LabImport.objects.filter(pk=import_id).first()
    if lab_import is None:
        logger.warning("lab import %s is gone, nothing to import", import_id)
        return
    lab_import_commit(lab_import, by=User.objects.filter(pk=user_id).first())
