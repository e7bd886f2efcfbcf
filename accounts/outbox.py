"""The SMS outbox (docs/rules.md §7): nothing decided is lost, nothing is sent twice.

`outbox_add` writes the message in the caller's transaction and hands it to
Celery once that commits. A hand-over that fails leaves the row for
`outbox_relay` (a beat job, every minute). `outbox_deliver` is what the task
runs: it sends a row only while it is unsent, holding the row's lock, so a
relayed duplicate or a redelivered task waits for that lock, finds the row
sent and does nothing.
"""

import datetime
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import OutgoingSMS
from accounts.sms import SMS, PermanentSMSError, TransientSMSError, get_backend

logger = logging.getLogger(__name__)

# The after-commit hand-over normally queues a message at once; one still
# waiting a minute later was not queued, and the relay hands it over.
RELAY_AFTER = datetime.timedelta(minutes=1)
# A queued message not sent by then is handed over again (a lost task, a
# worker down); the row lock makes the duplicate harmless.
RELAY_AGAIN_AFTER = datetime.timedelta(minutes=5)
# Past this, an SMS (a sign-in code, a status change) is no longer worth sending.
GIVE_UP_AFTER = datetime.timedelta(days=1)
KEEP_DONE_FOR = datetime.timedelta(days=7)
RELAY_BATCH = 500


@dataclass(frozen=True)
class Delivery:
    """What one run of the task did: sent, skipped, retry, gave_up or refused."""

    outcome: str
    to: str = ""
    tries: int = 0
    error: str = ""
    retry_in: float = 0.0


def outbox_add(*, to: str, text: str, now: datetime.datetime | None = None) -> OutgoingSMS:
    now = now or timezone.now()
    message = OutgoingSMS.objects.create(
        to=to, text=text, created_at=now, relay_after=now + RELAY_AFTER
    )
    transaction.on_commit(lambda: outbox_hand_over(message.pk))
    return message


def outbox_hand_over(sms_id: uuid.UUID) -> bool:
    """Queue the task for one message; False (and the row waits for the relay) on failure."""
    from accounts.tasks import send_sms

    try:
        # One publish attempt: while the broker is away the relay retries,
        # and the request that decided the SMS is not held up.
        send_sms.apply_async(args=[sms_id.hex], retry=False)
    except Exception as exc:
        logger.warning("sms %s not queued, the relay will hand it over: %s", sms_id.hex, exc)
        return False
    return True


def outbox_relay(*, now: datetime.datetime | None = None) -> int:
    """Hand over every message still unsent past its `relay_after`; how many were queued."""
    now = now or timezone.now()
    pending = OutgoingSMS.objects.filter(sent_at=None, given_up_at=None)
    stale = list(pending.filter(created_at__lt=now - GIVE_UP_AFTER).values_list("pk", flat=True))
    if stale:
        OutgoingSMS.objects.filter(pk__in=stale).update(given_up_at=now, text="")
        logger.error("%d sms older than %s given up unsent", len(stale), GIVE_UP_AFTER)
    due = list(
        pending.filter(relay_after__lte=now)
        .order_by("relay_after")
        .values_list("pk", flat=True)[:RELAY_BATCH]
    )
    queued = []
    for sms_id in due:
        if not outbox_hand_over(sms_id):
            # The broker is away: the rest waits for the next run.
            break
        queued.append(sms_id)
    if queued:
        OutgoingSMS.objects.filter(pk__in=queued, sent_at=None).update(
            relay_after=now + RELAY_AGAIN_AFTER
        )
        logger.info("relayed %d sms", len(queued))
    return len(queued)


def outbox_deliver(sms_id: str, *, retry_delay: Callable[[int], float]) -> Delivery:
    """Send one message unless it is sent, given up, gone or being sent by another task."""
    try:
        key = uuid.UUID(sms_id)
    except ValueError:
        return Delivery("skipped")
    with transaction.atomic():
        # Waits while another run sends the same message (a relayed
        # duplicate), then finds it sent. Not SKIP LOCKED: the relay's own
        # UPDATE locks the row for a moment too, and skipping then would
        # leave the message for the next relay.
        message = (
            OutgoingSMS.objects.select_for_update()
            .filter(pk=key, sent_at=None, given_up_at=None)
            .first()
        )
        if message is None:
            return Delivery("skipped")
        message.tries += 1
        now = timezone.now()
        try:
            get_backend().send(SMS(id=key.hex, to=message.to, text=message.text))
        except TransientSMSError as exc:
            if message.tries >= settings.SMS_MAX_TRIES:
                outcome = Delivery("gave_up", message.to, message.tries, str(exc))
                message.given_up_at, message.text = now, ""
            else:
                delay = retry_delay(message.tries - 1)
                outcome = Delivery("retry", message.to, message.tries, str(exc), delay)
                # The retry is already queued: the relay leaves it alone till then.
                message.relay_after = now + datetime.timedelta(seconds=delay) + RELAY_AGAIN_AFTER
        except PermanentSMSError as exc:
            outcome = Delivery("refused", message.to, message.tries, str(exc))
            message.given_up_at, message.text = now, ""
        else:
            outcome = Delivery("sent", message.to, message.tries)
            message.sent_at, message.text = now, ""
        message.save(update_fields=["tries", "relay_after", "sent_at", "given_up_at", "text"])
    return outcome


def outbox_prune(*, now: datetime.datetime | None = None) -> int:
    """Delete messages sent or given up more than a week ago."""
    cutoff = (now or timezone.now()) - KEEP_DONE_FOR
    deleted, _ = OutgoingSMS.objects.filter(
        Q(sent_at__lt=cutoff) | Q(given_up_at__lt=cutoff)
    ).delete()
    return deleted
