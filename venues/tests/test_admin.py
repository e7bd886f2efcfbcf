"""The venues admin: reference data, organisations, and suspending venues."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from accounts.models import AuditEntry, User
from accounts.tests.clients import client_for
from venues.models import Category, Region, StaffMembership, Venue
from venues.tests.factories import UserFactory, VenueFactory

pytestmark = pytest.mark.django_db

T = datetime.datetime(2021, 9, 10, 6, 0, tzinfo=datetime.UTC)


@pytest.fixture
def admin_client():
    superuser = User.objects.create_superuser("+77010000001", full_name="Root")
    return client_for(superuser)


def region_form(region: Region, **changes) -> dict:
    return {
        "code": region.code,
        "name_kk": region.name_kk,
        "name_ru": region.name_ru,
        "name_en": region.name_en,
        "zone": region.zone,
        **changes,
    }


@pytest.mark.parametrize(
    ("url_name", "text"),
    [
        ("admin:venues_region_changelist", "Almaty Region"),
        ("admin:venues_category_changelist", "Grocery store"),
        ("admin:venues_venue_changelist", "Corner shop"),
        ("admin:venues_organisation_changelist", "Organisation"),
        ("admin:venues_invitation_changelist", "+77015550011"),
    ],
)
def test_the_changelists_open(admin_client, url_name, text):
    venue = VenueFactory()
    venue.invitations.create(phone="+77015550011", invited_by=venue.organisation.admin)

    response = admin_client.get(reverse(url_name))

    assert response.status_code == 200
    assert text in response.content.decode()


def test_the_organisation_page_lists_its_venues(admin_client):
    venue = VenueFactory()
    VenueFactory(organisation=venue.organisation, name_en="Second shop")

    response = admin_client.get(
        reverse("admin:venues_organisation_change", args=[venue.organisation.pk])
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert venue.organisation.bin in html
    assert venue.name_en in html
    assert "Second shop" in html


@pytest.mark.parametrize(
    "url_name",
    ["admin:venues_venue_change", "admin:venues_region_change", "admin:venues_category_change"],
)
def test_the_change_pages_open(admin_client, url_name):
    venue = VenueFactory()
    StaffMembership.objects.create(venue=venue, user=UserFactory(full_name="Staff Here"))
    obj = {
        "admin:venues_venue_change": venue,
        "admin:venues_region_change": venue.region,
        "admin:venues_category_change": venue.category,
    }[url_name]

    response = admin_client.get(reverse(url_name, args=[obj.pk]))

    assert response.status_code == 200


def test_the_venue_page_shows_the_code_but_not_the_kiosk_secret(admin_client):
    venue = VenueFactory()

    html = admin_client.get(reverse("admin:venues_venue_change", args=[venue.pk])).content.decode()

    assert venue.code in html
    assert venue.kiosk_secret not in html


def test_the_suspend_action_asks_for_a_reason_first(admin_client):
    venue = VenueFactory()

    response = admin_client.post(
        reverse("admin:venues_venue_changelist"),
        {"action": "suspend", "_selected_action": [venue.pk]},
    )

    venue.refresh_from_db()
    assert response.status_code == 200
    assert 'name="reason"' in response.content.decode()
    assert venue.suspended is False
    assert not AuditEntry.objects.filter(action="venue_suspended").exists()


def test_the_suspend_action_refuses_an_empty_reason(admin_client):
    venue = VenueFactory()

    response = admin_client.post(
        reverse("admin:venues_venue_changelist"),
        {"action": "suspend", "_selected_action": [venue.pk], "apply": "1", "reason": "  "},
    )

    venue.refresh_from_db()
    assert "Say why." in response.content.decode()
    assert venue.suspended is False


def test_the_suspend_action_suspends_with_the_reason_and_audits_it(admin_client):
    first, second, untouched = VenueFactory(), VenueFactory(), VenueFactory()

    response = admin_client.post(
        reverse("admin:venues_venue_changelist"),
        {
            "action": "suspend",
            "_selected_action": [first.pk, second.pk],
            "apply": "1",
            "reason": "Outbreak: 5 cases among the staff",
        },
        follow=True,
    )

    assert "2 venues suspended." in response.content.decode()
    suspended = Venue.objects.filter(suspended=True).order_by("pk")
    assert [(v, v.suspended_reason) for v in suspended] == [
        (first, "Outbreak: 5 cases among the staff"),
        (second, "Outbreak: 5 cases among the staff"),
    ]
    untouched.refresh_from_db()
    assert untouched.suspended is False
    entries = AuditEntry.objects.filter(action="venue_suspended").order_by("object_id")
    actor = User.objects.get(phone="+77010000001")
    assert [(e.actor, e.object_id, e.detail) for e in entries] == [
        (actor, str(first.pk), {"reason": "Outbreak: 5 cases among the staff"}),
        (actor, str(second.pk), {"reason": "Outbreak: 5 cases among the staff"}),
    ]


def venue_change_form(venue: Venue, **changes) -> dict:
    data = {
        "organisation": venue.organisation_id,
        "name_kk": venue.name_kk,
        "name_ru": venue.name_ru,
        "name_en": venue.name_en,
        "category": venue.category_id,
        "region": venue.region_id,
        "address": venue.address,
        "latitude": str(venue.latitude),
        "longitude": str(venue.longitude),
        "capacity": venue.capacity,
        "max_stay": "03:00:00",
        "test_mode_until_0": "2021-09-10",
        "test_mode_until_1": "06:00:00",
        "suspended_reason": venue.suspended_reason,
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not False}


@pytest.mark.parametrize(
    ("max_stay", "valid"), [("24:00:00", True), ("24:01:00", False), ("00:00:00", False)]
)
def test_the_admin_keeps_the_maximum_stay_within_a_day(admin_client, max_stay, valid):
    venue = VenueFactory()
    url = reverse("admin:venues_venue_change", args=[venue.pk])

    response = admin_client.post(url, venue_change_form(venue, max_stay=max_stay))

    venue.refresh_from_db()
    assert response.status_code == (302 if valid else 200)
    assert (venue.max_stay == datetime.timedelta(hours=24)) is valid
    if not valid:
        assert "Ensure this value is" in response.content.decode()


def test_suspending_in_the_change_form_needs_a_reason(admin_client):
    venue = VenueFactory()
    url = reverse("admin:venues_venue_change", args=[venue.pk])

    response = admin_client.post(url, venue_change_form(venue, suspended="on"))

    venue.refresh_from_db()
    assert response.status_code == 200
    assert "Say why the venue is suspended." in response.content.decode()
    assert venue.suspended is False


def test_suspending_in_the_change_form_is_audited(admin_client):
    venue = VenueFactory()
    url = reverse("admin:venues_venue_change", args=[venue.pk])

    response = admin_client.post(
        url, venue_change_form(venue, suspended="on", suspended_reason="No masks")
    )

    venue.refresh_from_db()
    assert response.status_code == 302
    assert (venue.suspended, venue.suspended_reason) == (True, "No masks")
    entry = AuditEntry.objects.get(action="venue_suspended")
    assert (entry.object_id, entry.detail) == (str(venue.pk), {"reason": "No masks"})


def test_the_resume_action_lifts_the_suspension(admin_client):
    venue = VenueFactory(suspended=True, suspended_reason="Outbreak")

    response = admin_client.post(
        reverse("admin:venues_venue_changelist"),
        {"action": "resume", "_selected_action": [venue.pk]},
        follow=True,
    )

    venue.refresh_from_db()
    assert "1 venue may admit visitors again." in response.content.decode()
    assert (venue.suspended, venue.suspended_reason) == (False, "")
    assert AuditEntry.objects.get(action="venue_resumed").object_id == str(venue.pk)


def test_changing_a_regions_zone_records_when(admin_client):
    region = Region.objects.get(code="almaty")
    url = reverse("admin:venues_region_change", args=[region.pk])

    with time_machine.travel(T, tick=False):
        response = admin_client.post(url, region_form(region, zone="red"))

    region.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:venues_region_changelist")
    assert (region.zone, region.zone_changed_at) == ("red", T)


def test_saving_a_region_without_changing_its_zone_keeps_the_date(admin_client):
    region = Region.objects.get(code="almaty")
    url = reverse("admin:venues_region_change", args=[region.pk])

    response = admin_client.post(url, region_form(region, name_en="Almaty City"))

    region.refresh_from_db()
    assert response.status_code == 302
    assert (region.name_en, region.zone, region.zone_changed_at) == ("Almaty City", "green", None)


def list_edit(*rows: dict[str, object]) -> dict[str, object]:
    """What a changelist's editable list posts on Save: the management form, then each
    row's fields, numbered as the formset numbers them."""
    data: dict[str, object] = {
        "form-TOTAL_FORMS": str(len(rows)),
        "form-INITIAL_FORMS": str(len(rows)),
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }
    for number, row in enumerate(rows):
        data.update({f"form-{number}-{name}": value for name, value in row.items()})
    return data


def test_changing_a_zone_in_the_list_records_when(admin_client):
    almaty = Region.objects.get(code="almaty")
    astana = Region.objects.get(code="astana")
    data = list_edit({"id": almaty.pk, "zone": "yellow"}, {"id": astana.pk, "zone": "green"})

    with time_machine.travel(T, tick=False):
        response = admin_client.post(reverse("admin:venues_region_changelist"), data)

    almaty.refresh_from_db()
    astana.refresh_from_db()
    assert response.status_code == 302
    assert (almaty.zone, almaty.zone_changed_at) == ("yellow", T)
    assert (astana.zone, astana.zone_changed_at) == ("green", None)


def test_a_category_can_be_marked_essential_in_the_list(admin_client):
    gym = Category.objects.get(code="gym")
    data = list_edit({"id": gym.pk, "essential": "on", "ordering": "5"})

    response = admin_client.post(reverse("admin:venues_category_changelist"), data)

    gym.refresh_from_db()
    assert response.status_code == 302
    assert (gym.essential, gym.pcr_required_default, gym.ordering) == (True, False, 5)


def test_the_venues_admin_is_closed_to_a_responsible_person(owner, venue):
    response = client_for(owner).get(reverse("admin:venues_venue_changelist"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize("page", ["visits:staff", "venues:detail"])
def test_the_staff_page_and_the_venue_page_say_the_venue_is_suspended_and_why(page):
    venue = VenueFactory(suspended=True, suspended_reason="Outbreak among the staff")

    response = client_for(venue.organisation.admin).get(reverse(page, args=[venue.pk]))

    text = " ".join(response.content.decode().split())
    assert "This venue is suspended by the sanitary service: check-ins are refused." in text
    assert "Reason: Outbreak among the staff" in text
    assert "To ask about it, call 1406." in text


def test_a_venue_that_is_not_suspended_says_nothing_of_it():
    venue = VenueFactory()

    response = client_for(venue.organisation.admin).get(reverse("visits:staff", args=[venue.pk]))

    assert "suspended" not in response.content.decode()
