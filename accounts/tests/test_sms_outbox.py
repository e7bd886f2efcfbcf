"""The SMS outbox (docs/rules.md §7): a broker outage delays SMS, loses none, doubles none."""

import datetime
import re
import uuid

import pytest
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from accounts.models import OutgoingSMS
from accounts.outbox import outbox_prune, outbox_relay
from accounts.services import sms_queue
from accounts.tasks import send_sms

pytestmark = pytest.mark.django_db

PHONE = "+77015551234"
TEXT = "Ashyq кіру коды: 123456. Оны ешкімге айтпаңыз."


@pytest.fixture
def outage(monkeypatch):
    """Publishing fails as while the broker Redis is stopped, until `down` is switched off."""
    real = send_sms.apply_async
    state = {"down": True, "refused": 0}

    def publish(*args, **kwargs):
        if state["down"]:
            state["refused"] += 1
            raise OperationalError("Connection refused.")
        return real(*args, **kwargs)

    monkeypatch.setattr(send_sms, "apply_async", publish)
    return state


def test_the_relay_sends_what_the_outage_held_back_once(
    sms_outbox, django_capture_on_commit_callbacks, outage
):
    with django_capture_on_commit_callbacks(execute=True):
        sms_id = sms_queue(to=PHONE, text=TEXT)
    message = OutgoingSMS.objects.get()
    assert outage["refused"] == 1
    assert sms_outbox == []

    # Within the first minute the relay leaves it to the after-commit hand-over.
    assert outbox_relay(now=message.created_at + datetime.timedelta(seconds=30)) == 0
    outage["down"] = False
    assert outbox_relay(now=message.created_at + datetime.timedelta(seconds=61)) == 1

    assert [(sms.id, sms.to, sms.text) for sms in sms_outbox] == [(sms_id, PHONE, TEXT)]
    message.refresh_from_db()
    assert message.sent_at is not None
    assert message.text == ""
    # Neither a later relay nor a redelivered task sends it again.
    assert outbox_relay(now=message.created_at + datetime.timedelta(minutes=30)) == 0
    send_sms.apply(args=[sms_id])
    assert len(sms_outbox) == 1


def test_a_sign_in_code_requested_during_an_outage_arrives_after_it(
    client, sms_outbox, django_capture_on_commit_callbacks, outage
):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "kk"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_request_login_code"), {"phone": "+7 701 555 12 34"})

    assert response.status_code == 302
    assert response["Location"] == reverse("account_confirm_login_code")
    assert sms_outbox == []
    outage["down"] = False
    assert outbox_relay(now=timezone.now() + datetime.timedelta(minutes=2)) == 1
    assert [sms.to for sms in sms_outbox] == [PHONE]
    code = re.search(r"\b(\d{6})\b", sms_outbox[0].text).group(1)
    response = client.post(reverse("account_confirm_login_code"), {"code": code})
    assert response.status_code == 302
    assert response["Location"] == reverse("profile") + "?next=%2F"


def test_a_relay_of_a_queued_message_sends_nothing_twice(
    sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sms_id = sms_queue(to=PHONE, text=TEXT)
    assert len(sms_outbox) == 1
    # As if the first task were lost after sending: the relay queues it again.
    OutgoingSMS.objects.update(relay_after=timezone.now())

    assert outbox_relay(now=timezone.now() + datetime.timedelta(seconds=1)) == 0
    send_sms.apply(args=[sms_id])

    assert len(sms_outbox) == 1


def test_an_sms_of_a_rolled_back_transaction_is_never_sent(
    sms_outbox, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        sms_queue(to=PHONE, text=TEXT)
        raise RuntimeError("the decision is undone")

    assert OutgoingSMS.objects.count() == 0
    assert outbox_relay(now=timezone.now() + datetime.timedelta(minutes=2)) == 0
    assert sms_outbox == []


def test_the_relay_gives_up_on_a_day_old_message(sms_outbox):
    now = timezone.now()
    old = OutgoingSMS.objects.create(
        to=PHONE, text=TEXT, created_at=now - datetime.timedelta(days=2), relay_after=now
    )

    assert outbox_relay(now=now) == 0

    old.refresh_from_db()
    assert old.given_up_at == now
    assert old.text == ""
    assert sms_outbox == []


def test_prune_deletes_only_messages_done_a_week_ago():
    now = timezone.now()
    week_ago = now - datetime.timedelta(days=8)
    sent = OutgoingSMS.objects.create(to=PHONE, relay_after=now, sent_at=week_ago)
    given_up = OutgoingSMS.objects.create(to=PHONE, relay_after=now, given_up_at=week_ago)
    recent = OutgoingSMS.objects.create(to=PHONE, relay_after=now, sent_at=now)
    pending = OutgoingSMS.objects.create(
        to=PHONE, text=TEXT, created_at=week_ago, relay_after=week_ago
    )

    assert outbox_prune(now=now) == 2

    assert set(OutgoingSMS.objects.values_list("pk", flat=True)) == {recent.pk, pending.pk}
    assert not OutgoingSMS.objects.filter(pk__in=[sent.pk, given_up.pk]).exists()


def test_a_task_for_an_unknown_message_sends_nothing(sms_outbox):
    send_sms.apply(args=[uuid.uuid4().hex])
    send_sms.apply(args=["not-a-message-id"])

    assert sms_outbox == []
