import logging
import random

from celery import shared_task
from django.conf import settings

from accounts.outbox import outbox_deliver, outbox_prune, outbox_relay
from accounts.sms import mask_phone

logger = logging.getLogger(__name__)


def retry_delay(retries: int) -> float:
    """Exponential backoff with jitter: about 2, 4, 8 … seconds, capped at 5 minutes."""
    return min(2 ** (retries + 1), 300) * random.uniform(0.8, 1.2)  # noqa: S311 (jitter, not a secret)


@shared_task(bind=True, max_retries=None)
def send_sms(self, sms_id: str) -> None:
    """Send the outbox message `sms_id` (accounts.outbox); a second run sends nothing."""
    delivery = outbox_deliver(sms_id, retry_delay=retry_delay)
    to = mask_phone(delivery.to)
    if delivery.outcome == "skipped":
        # Relayed twice, or redelivered after a worker was lost mid-ack.
        logger.info("sms %s already sent or being sent, skipping", sms_id)
    elif delivery.outcome == "sent":
        logger.info("sms %s sent to %s", sms_id, to)
    elif delivery.outcome == "refused":
        logger.error("sms %s to %s refused, not retrying: %s", sms_id, to, delivery.error)
    elif delivery.outcome == "gave_up":
        logger.error(
            "sms %s to %s failed after %d tries, giving up: %s",
            sms_id,
            to,
            delivery.tries,
            delivery.error,
        )
    else:
        logger.warning(
            "sms %s to %s failed (try %d of %d), retrying: %s",
            sms_id,
            to,
            delivery.tries,
            settings.SMS_MAX_TRIES,
            delivery.error,
        )
        raise self.retry(countdown=delivery.retry_in)


@shared_task
def relay_sms_outbox() -> int:
    return outbox_relay()


@shared_task
def prune_sms_outbox() -> int:
    return outbox_prune()


@shared_task
def delete_unconfirmed_accounts() -> int:
    from accounts.services import users_delete_unconfirmed

    return users_delete_unconfirmed()
