import logging

from celery import shared_task

from accounts.models import User
from statuses.imports import lab_import_check, lab_import_commit
from statuses.models import LabImport
from statuses.services import notify_transitions, warn_expiring

logger = logging.getLogger(__name__)


@shared_task
def warn_expiring_greens() -> int:
    return warn_expiring()


@shared_task
def notify_status_transitions() -> int:
    return notify_transitions()


def _lab_import(import_id: int, work: str) -> LabImport | None:
    """The import a task was queued for; None (and a warning) when it was deleted since."""
    lab_import = LabImport.objects.filter(pk=import_id).first()
    if lab_import is None:
        logger.warning("lab import %s is gone, nothing to %s", import_id, work)
    return lab_import


@shared_task
def lab_import_check_task(import_id: int) -> None:
    lab_import = _lab_import(import_id, "check")
    if lab_import is not None:
        lab_import_check(lab_import)


@shared_task
def lab_import_commit_task(import_id: int, user_id: int) -> None:
    lab_import = _lab_import(import_id, "import")
    if lab_import is not None:
        lab_import_commit(lab_import, by=User.objects.filter(pk=user_id).first())
