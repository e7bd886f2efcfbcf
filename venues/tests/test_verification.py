"""Organisations are verified before their staff may look anyone up.

Anyone can register a BIN with a valid check digit, so a new organisation is
pending: its venues take self check-ins, its staff look nobody up, until an
operator (or the registry backend) verifies it. A BIN registered by someone
else can be disputed, and an operator moves it to the right account.
"""

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from accounts.models import AuditEntry, User
from accounts.tests.clients import client_for, text_of
from venues.models import Organisation, Venue
from venues.tests.conftest import venue_data
from venues.tests.factories import UserFactory, VenueFactory
from visits.models import Visit
from visits.tests.conftest import citizen, give_status, new_iin, staff_member

pytestmark = pytest.mark.django_db

BIN = "050140001238"
IIN = "061211600012"
PENDING_AT_THE_DOOR = (
    "Your organisation is waiting for verification, so its staff cannot look anyone up yet. "
    "Visitors can still check themselves in by scanning the QR poster. An operator verifies "
    "the organisation, usually within one working day; for help call 1406."
)
PENDING_NOTICE = "Your organisation is waiting for verification."


def registration(bin: str = BIN) -> dict:
    return {"org-bin": bin, "org-legal_name": "Dostyk Trade LLP", **venue_data("venue-")}


def register(user: User, bin: str = BIN) -> Venue:
    response = client_for(user).post(reverse("venues:register"), registration(bin))
    assert response.status_code == 302, response.content.decode()
    return Venue.objects.get(organisation__bin=bin)


def staff_scan(client, venue: Venue, q: str, mode: str = "entry"):
    return client.post(reverse("visits:staff", args=[venue.pk]), {"q": q, "mode": mode})


@pytest.fixture
def pending_venue() -> Venue:
    return VenueFactory(organisation__verified_at=None)


# Pending: what the door does


def test_a_registered_organisation_starts_pending():
    venue = register(UserFactory())

    organisation = venue.organisation
    assert (organisation.verified_at, organisation.verified_by, organisation.verified_via) == (
        None,
        None,
        "",
    )


def test_a_pending_organisations_staff_cannot_look_anyone_up_by_iin():
    owner = UserFactory(phone="+77059990001")
    venue = register(owner)
    person = citizen("green")

    response = staff_scan(client_for(owner), venue, person.iin)

    assert response.status_code == 200
    assert PENDING_AT_THE_DOOR in text_of(response)
    # Nothing of the person is shown, and nothing is recorded in their name.
    assert "May enter" not in text_of(response)
    assert person.iin[-4:] not in text_of(response)
    assert Visit.objects.count() == 0


def test_a_pending_organisations_staff_cannot_look_up_by_barcode(pending_venue):
    member = staff_member(pending_venue)
    iin = new_iin()

    response = client_for(member).post(
        reverse("visits:staff", args=[pending_venue.pk]),
        {"q": iin, "mode": "entry", "source": "scanner"},
    )

    assert PENDING_AT_THE_DOOR in text_of(response)
    assert Visit.objects.count() == 0


def test_a_pending_organisations_staff_cannot_record_exits(pending_venue):
    person = citizen("green")
    Visit.objects.create(
        venue=pending_venue,
        iin=person.iin,
        method=Visit.Method.SELF_SCAN,
        status="green",
        admitted=True,
        checked_in_at="2026-01-01T10:00:00Z",
    )

    response = staff_scan(
        client_for(pending_venue.organisation.admin), pending_venue, person.iin, "exit"
    )

    assert PENDING_AT_THE_DOOR in text_of(response)
    assert Visit.objects.get().checked_out_at is None


def test_a_pending_organisations_staff_cannot_read_a_self_check_in_by_its_address(pending_venue):
    person = citizen("green")
    person.full_name = "Айгүл Сәрсенова"
    person.save(update_fields=["full_name"])
    visit = Visit.objects.create(
        venue=pending_venue,
        iin=person.iin,
        user=person,
        method=Visit.Method.SELF_SCAN,
        status="green",
        admitted=True,
        checked_in_at="2026-01-01T10:00:00Z",
    )
    page = reverse("visits:staff", args=[pending_venue.pk]) + f"?visit={visit.pk}"

    pending = text_of(client_for(pending_venue.organisation.admin).get(page))
    pending_venue.organisation.verified_at = "2026-01-02T10:00:00Z"
    pending_venue.organisation.save(update_fields=["verified_at"])
    verified = text_of(client_for(pending_venue.organisation.admin).get(page))

    assert "Айгүл С." not in pending
    assert 'class="answer ' not in pending
    assert "Айгүл С." in verified


def test_a_pending_organisations_venue_takes_self_check_ins():
    venue = register(UserFactory())
    person = citizen("green")
    client = client_for(person)

    response = client.post(reverse("visits:venue_entry", args=[venue.code]), {"nonce": "n1"})

    visit = Visit.objects.get()
    assert response["Content-Location"] == reverse("visits:detail", args=[visit.pk])
    assert (visit.iin, visit.admitted, visit.recorded_by) == (person.iin, True, None)


def test_the_staff_page_says_up_front_that_the_organisation_is_pending(pending_venue):
    response = client_for(pending_venue.organisation.admin).get(
        reverse("visits:staff", args=[pending_venue.pk])
    )

    assert PENDING_NOTICE in text_of(response)


def test_the_staff_page_of_a_verified_organisation_says_nothing_of_it(venue):
    response = client_for(venue.organisation.admin).get(reverse("visits:staff", args=[venue.pk]))

    assert PENDING_NOTICE not in text_of(response)


def test_the_venue_page_and_the_list_say_the_organisation_is_pending(pending_venue):
    client = client_for(pending_venue.organisation.admin)

    detail = client.get(reverse("venues:detail", args=[pending_venue.pk]))
    listing = client.get(reverse("venues:list"))

    assert PENDING_NOTICE in text_of(detail)
    assert "waiting for verification" in text_of(listing)


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_the_refusal_reads_in_the_staff_members_language(pending_venue, language):
    client = client_for(pending_venue.organisation.admin, language)

    response = staff_scan(client, pending_venue, new_iin())

    with translation.override(language):
        expected = translation.gettext(PENDING_AT_THE_DOOR.replace("1406", "%(support)s"))
    assert expected != PENDING_AT_THE_DOOR.replace("1406", "%(support)s")
    assert expected % {"support": "1406"} in text_of(response)


# The operator verifies


def test_the_operator_verifies_in_the_admin_and_it_is_audited(superuser):
    owner = UserFactory(phone="+77059990001")
    venue = register(owner)
    admin = client_for(superuser)

    response = admin.post(
        reverse("admin:venues_organisation_changelist"),
        {"action": "verify", "_selected_action": [venue.organisation.pk]},
        follow=True,
    )

    organisation = Organisation.objects.get()
    assert "1 organisation verified: its staff may now look people up." in text_of(response)
    assert organisation.verified_at is not None
    assert (organisation.verified_by, organisation.verified_via) == (superuser, "operator")
    entry = AuditEntry.objects.get(action="organisation_verified")
    assert (entry.actor, entry.object_id, entry.detail) == (
        superuser,
        str(organisation.pk),
        {"bin": BIN, "via": "operator"},
    )


def test_after_verification_the_staff_look_people_up():
    owner = UserFactory(phone="+77059990001")
    venue = register(owner)
    Organisation.objects.update(verified_at="2026-01-01T00:00:00Z")
    person = citizen()
    give_status(person.iin, "green")

    response = staff_scan(client_for(owner), venue, person.iin)

    visit = Visit.objects.get()
    assert response.status_code == 200
    assert (visit.iin, visit.recorded_by, visit.admitted) == (person.iin, owner, True)


def test_verifying_twice_writes_one_audit_entry(superuser, venue):
    client_for(superuser).post(
        reverse("admin:venues_organisation_changelist"),
        {"action": "verify", "_selected_action": [venue.organisation.pk]},
    )

    assert not AuditEntry.objects.filter(action="organisation_verified").exists()


def test_withdrawing_a_verification_needs_a_reason_and_is_audited(superuser, venue):
    url = reverse("admin:venues_organisation_changelist")
    admin = client_for(superuser)
    pk = venue.organisation.pk

    asked = admin.post(url, {"action": "unverify", "_selected_action": [pk]})
    admin.post(url, {"action": "unverify", "_selected_action": [pk], "apply": "1", "reason": ""})
    assert Organisation.objects.get().is_verified
    admin.post(
        url,
        {"action": "unverify", "_selected_action": [pk], "apply": "1", "reason": "Forged BIN"},
    )

    assert 'name="reason"' in asked.content.decode()
    assert Organisation.objects.get().verified_at is None
    entry = AuditEntry.objects.get(action="organisation_unverified")
    assert (entry.actor, entry.detail["reason"]) == (superuser, "Forged BIN")


def test_the_admin_lists_pending_organisations(superuser, pending_venue, venue):
    response = client_for(superuser).get(
        reverse("admin:venues_organisation_changelist") + "?verified=no"
    )

    html = response.content.decode()
    assert pending_venue.organisation.legal_name in html
    assert venue.organisation.legal_name not in html


def test_the_demo_organisation_is_verified():
    call_command("demo_data")

    assert Organisation.objects.get().is_verified
