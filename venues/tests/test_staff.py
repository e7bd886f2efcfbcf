"""The owner invites colleagues by phone number; they become staff at sign-in."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from accounts.sms_text import sms_render
from accounts.tests.clients import client_for
from venues.models import Invitation, StaffMembership
from venues.tests.conftest import SITE_URL
from venues.tests.factories import UserFactory, VenueFactory

pytestmark = pytest.mark.django_db

PHONE = "+77015550011"
REQUEST_CODE_URL = reverse("account_request_login_code")
CONFIRM_CODE_URL = reverse("account_confirm_login_code")


def invitation_text(venue, language: str) -> str:
    with translation.override(language):
        return sms_render("venues/sms/invitation.txt", {"venue": venue.name, "site": SITE_URL})


@pytest.fixture
def invite(django_capture_on_commit_callbacks):
    def invite(client, venue, phone: str, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(reverse("venues:staff", args=[venue.pk]), {"phone": phone}, **extra)

    return invite


@pytest.fixture
def sign_in(django_capture_on_commit_callbacks, sms_outbox):
    """The real sign-in: the number, then the code from the SMS."""

    def sign_in(phone: str, language: str = "en"):
        client = client_for(language=language)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(REQUEST_CODE_URL, {"phone": phone})
        code = re.search(r"\b(\d{6})\b", sms_outbox[-1].text).group(1)
        assert sms_outbox[-1].to == phone
        client.post(CONFIRM_CODE_URL, {"code": code})
        assert "_auth_user_id" in client.session
        return client

    return sign_in


def test_invite_a_new_number_creates_an_invitation_and_one_sms(owner, venue, invite, sms_outbox):
    response = invite(client_for(owner, "ru"), venue, "8 701 555 00 11")

    invitation = Invitation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("venues:staff", args=[venue.pk])
    assert (invitation.venue, str(invitation.phone), invitation.invited_by) == (venue, PHONE, owner)
    assert invitation.accepted_at is None
    assert StaffMembership.objects.count() == 0
    assert [(sms.to, sms.text) for sms in sms_outbox] == [(PHONE, invitation_text(venue, "ru"))]
    # The venue is named in the owner's language: the SMS was rendered in it.
    assert venue.name_ru in sms_outbox[0].text
    assert SITE_URL in sms_outbox[0].text


def test_invite_shows_the_waiting_invitation(owner, venue, invite):
    response = invite(client_for(owner), venue, PHONE, follow=True)

    html = response.content.decode()
    assert "The invitation is sent by SMS." in html
    assert "Waiting for sign-in" in html
    assert f"<span>{PHONE}</span>" in html
    assert reverse("venues:invitation_cancel", args=[venue.pk, Invitation.objects.get().pk]) in html


def test_an_invited_person_becomes_staff_at_sign_in(owner, venue, invite, sign_in):
    invite(client_for(owner), venue, PHONE)

    client = sign_in(PHONE)

    person = User.objects.get(phone=PHONE)
    membership = StaffMembership.objects.get()
    assert (membership.venue, membership.user, membership.added_by) == (venue, person, owner)
    assert Invitation.objects.get().accepted_at is not None
    response = client.get(reverse("venues:list"))
    assert list(response.context["venues"]) == [venue]
    assert venue.name_en in response.content.decode()
    assert client.get(reverse("venues:detail", args=[venue.pk])).status_code == 200


def test_an_invited_person_becomes_staff_at_any_login(owner, venue, invite):
    invite(client_for(owner), venue, PHONE)
    person = User.objects.create_user(PHONE, full_name="Invited Later")

    client_for(person)

    assert StaffMembership.objects.get().user == person
    assert Invitation.objects.filter(accepted_at__isnull=True).count() == 0


def test_signing_in_again_changes_nothing(owner, venue, invite, sign_in):
    invite(client_for(owner), venue, PHONE)
    sign_in(PHONE)
    accepted_at = Invitation.objects.get().accepted_at

    sign_in(PHONE)

    assert StaffMembership.objects.count() == 1
    assert Invitation.objects.get().accepted_at == accepted_at


def test_invite_a_number_with_an_account_adds_the_person_at_once(owner, venue, invite, sms_outbox):
    person = User.objects.create_user(PHONE, full_name="Aigerim Staff", language="kk")

    response = invite(client_for(owner, "en"), venue, PHONE)

    membership = StaffMembership.objects.get()
    assert response["Location"] == reverse("venues:staff", args=[venue.pk])
    assert (membership.venue, membership.user, membership.added_by) == (venue, person, owner)
    assert Invitation.objects.count() == 0
    # In the person's language, not the owner's.
    assert [(sms.to, sms.text) for sms in sms_outbox] == [(PHONE, invitation_text(venue, "kk"))]
    assert venue.name_kk in sms_outbox[0].text
    assert client_for(person).get(reverse("venues:detail", args=[venue.pk])).status_code == 200


def test_the_staff_page_lists_the_people_working_here(owner, venue, invite):
    User.objects.create_user(PHONE, full_name="Aigerim Staff")
    invite(client_for(owner), venue, PHONE)

    html = client_for(owner).get(reverse("venues:staff", args=[venue.pk])).content.decode()

    assert "<span>Aigerim Staff</span>" in html
    person = User.objects.get(phone=PHONE)
    assert reverse("venues:staff_remove", args=[venue.pk, person.pk]) in html
    assert "Waiting for sign-in" not in html


def test_inviting_the_same_number_twice_makes_one_invitation(owner, venue, invite, sms_outbox):
    client = client_for(owner)

    invite(client, venue, PHONE)
    invite(client, venue, "8 (701) 555-00-11")

    assert Invitation.objects.count() == 1
    assert [sms.to for sms in sms_outbox] == [PHONE]


def test_inviting_a_colleague_twice_makes_one_membership(owner, venue, invite):
    UserFactory(phone=PHONE)
    client = client_for(owner)

    invite(client, venue, PHONE)
    invite(client, venue, PHONE)

    assert StaffMembership.objects.count() == 1


def test_the_owner_removes_a_colleague(owner, venue, invite):
    person = UserFactory(phone=PHONE)
    invite(client_for(owner), venue, PHONE)
    url = reverse("venues:staff_remove", args=[venue.pk, person.pk])

    response = client_for(owner).post(url, follow=True)

    assert response.redirect_chain == [(reverse("venues:staff", args=[venue.pk]), 302)]
    assert "The person no longer works at this venue in Ashyq." in response.content.decode()
    assert StaffMembership.objects.count() == 0
    removed = client_for(person)
    assert removed.get(reverse("venues:detail", args=[venue.pk])).status_code == 404
    assert removed.get(reverse("venues:kiosk", args=[venue.pk])).status_code == 404
    assert list(removed.get(reverse("venues:list")).context["venues"]) == []


def test_a_removed_colleague_stays_removed_after_signing_in_again(owner, venue, invite, sign_in):
    invite(client_for(owner), venue, PHONE)
    sign_in(PHONE)
    person = User.objects.get(phone=PHONE)
    client_for(owner).post(reverse("venues:staff_remove", args=[venue.pk, person.pk]))

    client = sign_in(PHONE)

    assert StaffMembership.objects.count() == 0
    assert client.get(reverse("venues:detail", args=[venue.pk])).status_code == 404


def test_a_person_can_work_at_several_venues(invite, sign_in):
    first = VenueFactory()
    second = VenueFactory()
    invite(client_for(first.organisation.admin), first, PHONE)
    invite(client_for(second.organisation.admin), second, PHONE)

    client = sign_in(PHONE)

    assert Invitation.objects.filter(accepted_at__isnull=True).count() == 0
    assert list(client.get(reverse("venues:list")).context["venues"]) == [first, second]
    for venue in (first, second):
        assert client.get(reverse("venues:detail", args=[venue.pk])).status_code == 200


@pytest.mark.parametrize(
    ("phone", "message"),
    [
        ("", "Enter your mobile phone number."),
        ("12345", "This does not look like a phone number. Example: +7 701 123 45 67."),
        ("+7 701 555 00 1", "This does not look like a phone number. Example: +7 701 123 45 67."),
        ("+1 202 555 0123", "Sign-in codes can only be sent to mobile numbers from: Kazakhstan."),
        ("+7 727 258 00 00", "Enter a mobile number: codes are sent by SMS."),
    ],
    ids=["empty", "short", "one-digit-short", "abroad", "landline"],
)
def test_invite_refuses_an_invalid_number(owner, venue, invite, sms_outbox, phone, message):
    response = invite(client_for(owner), venue, phone)

    assert response.status_code == 200
    assert re.findall(r'role="alert">([^<]*)</p>', response.content.decode()) == [message]
    assert Invitation.objects.count() == 0
    assert StaffMembership.objects.count() == 0
    assert sms_outbox == []


def test_a_cancelled_invitation_is_not_accepted_at_sign_in(owner, venue, invite, sign_in):
    invite(client_for(owner), venue, PHONE)
    url = reverse("venues:invitation_cancel", args=[venue.pk, Invitation.objects.get().pk])

    response = client_for(owner).post(url, follow=True)

    assert response.redirect_chain == [(reverse("venues:staff", args=[venue.pk]), 302)]
    assert "The invitation is cancelled." in response.content.decode()
    assert Invitation.objects.count() == 0
    client = sign_in(PHONE)
    assert StaffMembership.objects.count() == 0
    assert client.get(reverse("venues:detail", args=[venue.pk])).status_code == 404


def test_cancelling_leaves_an_accepted_invitation_alone(owner, venue, invite, sign_in):
    invite(client_for(owner), venue, PHONE)
    sign_in(PHONE)
    invitation = Invitation.objects.get()

    client_for(owner).post(reverse("venues:invitation_cancel", args=[venue.pk, invitation.pk]))

    assert Invitation.objects.get().accepted_at == invitation.accepted_at
    assert StaffMembership.objects.count() == 1


def test_an_invitation_is_only_for_its_venue(owner, venue, invite, sign_in):
    elsewhere = VenueFactory(organisation__admin=owner)
    invite(client_for(owner), venue, PHONE)

    client = sign_in(PHONE)

    assert list(client.get(reverse("venues:list")).context["venues"]) == [venue]
    assert client.get(reverse("venues:detail", args=[elsewhere.pk])).status_code == 404
