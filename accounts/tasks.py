import logging
import random

from celery import shared_task
from django.conf import settings
from django.core.cache import cache

from accounts.sms import SMS, PermanentSMSError, TransientSMSError, get_backend, mask_phone

logger = logging.getLogger(__name__)

SENT_MARK_TTL = 7 * 24 * 3600


def retry_delay(retries: int) -> float:
    """Exponential backoff with jitter: about 2, 4, 8 … seconds, capped at 5 minutes."""
    return min(2 ** (retries + 1), 300) * random.uniform(0.8, 1.2)  # noqa: S311 (jitter, not a secret)


@shared_task(bind=True, max_retries=None)
def send_sms(self, sms_id: str, to: str, text: str) -> None:
    sent_key = f"sms:sent:{sms_id}"
    # A task can run again after a successful send (a worker lost after the
    # gateway answered but before the ack); the mark keeps that from
    # reaching the person twice.
    if cache.get(sent_key):
        logger.info("sms %s to %s already sent, skipping", sms_id, mask_phone(to))
        return
    try:
        get_backend().send(SMS(id=sms_id, to=to, text=text))
    except TransientSMSError as exc:
        tries = self.request.retries + 1
        if tries >= settings.SMS_MAX_TRIES:
            logger.error(
                "sms %s to %s failed after %d tries, giving up: %s",
                sms_id,
                mask_phone(to),
                tries,
                exc,
            )
            return
        logger.warning(
            "sms %s to %s failed (try %d of %d), retrying: %s",
            sms_id,
            mask_phone(to),
            tries,
            settings.SMS_MAX_TRIES,
            exc,
        )
        raise self.retry(exc=exc, countdown=retry_delay(self.request.retries)) from exc
    except PermanentSMSError as exc:
        logger.error("sms %s to %s refused, not retrying: %s", sms_id, mask_phone(to), exc)
        return
    cache.set(sent_key, 1, timeout=SENT_MARK_TTL)
    logger.info("sms %s sent to %s", sms_id, mask_phone(to))


@shared_task
def delete_unconfirmed_accounts() -> int:
    from accounts.services import users_delete_unconfirmed

    return users_delete_unconfirmed()
