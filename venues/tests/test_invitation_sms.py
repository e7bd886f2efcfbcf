"""Invitation SMS no one can abuse: rationed, only from verified organisations,
plain text, and no room in them for a sender's link."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.tests.clients import client_for, text_of
from venues.models import Invitation, StaffMembership
from venues.tests.factories import VenueFactory

pytestmark = pytest.mark.django_db

PHONE = "+77015550011"
EVIL = "Your status is RED. Appeal within 1 hour at evil.example/appeal"


@pytest.fixture
def invite(django_capture_on_commit_callbacks):
    def invite(client, venue, phone: str):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                reverse("venues:staff", args=[venue.pk]), {"phone": phone}, follow=True
            )

    return invite


def test_eight_invitations_of_one_number_send_one_sms(owner, venue, invite, sms_outbox):
    client = client_for(owner)

    responses = [invite(client, venue, PHONE) for _ in range(8)]

    assert [sms.to for sms in sms_outbox] == [PHONE]
    assert Invitation.objects.count() == 1
    assert "The invitation is sent by SMS." in text_of(responses[0])
    assert (
        "This number already got an invitation SMS from this venue in the last 60 minutes, so "
        "no new SMS is sent." in text_of(responses[-1])
    )


def test_the_same_number_gets_another_sms_after_the_interval(owner, venue, invite, sms_outbox):
    client = client_for(owner)
    start = timezone.now()

    with time_machine.travel(start, tick=False):
        invite(client, venue, PHONE)
    with time_machine.travel(start + datetime.timedelta(minutes=59), tick=False):
        invite(client, venue, PHONE)
    with time_machine.travel(start + datetime.timedelta(minutes=61), tick=False):
        invite(client, venue, PHONE)

    assert [sms.to for sms in sms_outbox] == [PHONE, PHONE]


def test_another_venue_may_invite_the_same_number(owner, venue, invite, sms_outbox):
    second = VenueFactory(organisation=venue.organisation)
    client = client_for(owner)

    invite(client, venue, PHONE)
    invite(client, second, PHONE)

    assert [sms.to for sms in sms_outbox] == [PHONE, PHONE]


def test_the_daily_cap_per_organisation_refuses_and_writes_nothing(
    owner, venue, invite, sms_outbox, settings
):
    settings.INVITATION_SMS_DAILY_LIMIT = 2
    second = VenueFactory(organisation=venue.organisation)
    client = client_for(owner)

    invite(client, venue, "+77015550001")
    invite(client, second, "+77015550002")
    refused = invite(client, venue, "+77015550003")

    assert [sms.to for sms in sms_outbox] == ["+77015550001", "+77015550002"]
    assert sorted(str(i.phone) for i in Invitation.objects.all()) == [
        "+77015550001",
        "+77015550002",
    ]
    assert (
        "Your organisation has sent 2 invitations today, the most allowed in a day. "
        "Try again tomorrow." in text_of(refused)
    )
    # The number stays in the field: nothing typed is lost.
    assert 'value="+77015550003"' in refused.content.decode()


def test_another_organisation_has_its_own_daily_cap(owner, venue, invite, sms_outbox, settings):
    settings.INVITATION_SMS_DAILY_LIMIT = 1
    other = VenueFactory()

    invite(client_for(owner), venue, "+77015550001")
    invite(client_for(other.organisation.admin), other, "+77015550002")

    assert [sms.to for sms in sms_outbox] == ["+77015550001", "+77015550002"]


def test_a_pending_organisation_sends_no_invitation(invite, sms_outbox):
    venue = VenueFactory(organisation__verified_at=None)

    response = invite(client_for(venue.organisation.admin), venue, PHONE)

    assert sms_outbox == []
    assert Invitation.objects.count() == StaffMembership.objects.count() == 0
    assert (
        "Your organisation is waiting for verification. You can invite colleagues once it is "
        "verified; for help call 1406." in text_of(response)
    )


def test_a_venue_name_cannot_put_a_link_into_the_sms(owner, invite, sms_outbox):
    venue = VenueFactory(organisation__admin=owner, name_en=EVIL, name_kk=EVIL, name_ru=EVIL)

    invite(client_for(owner), venue, PHONE)

    (sms,) = sms_outbox
    assert "evil.example" not in sms.text
    assert "/appeal" not in sms.text
    assert '"Your status is RED. Appeal within 1 hou…"' in sms.text


def test_a_venue_name_arrives_intact_in_the_sms(owner, invite, sms_outbox):
    name = 'McDonald\'s "Dostyk" & Co'
    venue = VenueFactory(organisation__admin=owner, name_en=name, name_kk=name, name_ru=name)

    invite(client_for(owner), venue, PHONE)

    (sms,) = sms_outbox
    assert sms.text == (
        'Ashyq: you are invited to check visitors in at "McDonald\'s "Dostyk" & Co". '
        "Sign in at https://ashyq.example with this phone number."
    )
