"""Staff find their door: after sign-in, and on the status page."""

import re

import pytest
from django.urls import reverse

from accounts.models import User
from accounts.tests.clients import client_for
from venues.models import StaffMembership
from venues.tests.factories import UserFactory, VenueFactory

pytestmark = pytest.mark.django_db

PHONE = "+77015550011"
IIN = "061211600012"
REQUEST_CODE_URL = reverse("account_request_login_code")
CONFIRM_CODE_URL = reverse("account_confirm_login_code")


@pytest.fixture
def sign_in(django_capture_on_commit_callbacks, sms_outbox):
    """The real sign-in, optionally with a `next`: returns where it lands."""

    def sign_in(phone: str = PHONE, next_url: str = "") -> str:
        client = client_for()
        extra = {"next": next_url} if next_url else {}
        query = f"?next={next_url}" if next_url else ""
        with django_capture_on_commit_callbacks(execute=True):
            client.post(REQUEST_CODE_URL + query, {"phone": phone, **extra})
        code = re.search(r"\b(\d{6})\b", sms_outbox[-1].text).group(1)
        response = client.post(CONFIRM_CODE_URL + query, {"code": code, **extra})
        assert "_auth_user_id" in client.session
        return response["Location"]

    return sign_in


def staff_person(*venues, iin: str | None = IIN) -> User:
    person = User.objects.create_user(PHONE, full_name="Dana Kassymova", iin=iin)
    for venue in venues:
        StaffMembership.objects.create(venue=venue, user=person)
    return person


def test_staff_of_one_venue_land_on_its_check_in_page(sign_in):
    venue = VenueFactory()
    staff_person(venue)

    assert sign_in() == reverse("visits:staff", args=[venue.pk])


def test_staff_of_several_venues_land_on_the_list_of_them(sign_in):
    staff_person(VenueFactory(), VenueFactory())

    assert sign_in() == reverse("venues:list")


def test_an_organisation_admin_lands_on_the_check_in_page_of_their_venue(sign_in):
    venue = VenueFactory(organisation__admin=staff_person())

    assert sign_in() == reverse("visits:staff", args=[venue.pk])


def test_an_invited_person_lands_on_the_venue_they_were_invited_to(sign_in):
    venue = VenueFactory()
    client_for(venue.organisation.admin).post(
        reverse("venues:staff", args=[venue.pk]), {"phone": PHONE}
    )
    User.objects.create_user(PHONE, full_name="Dana Kassymova", iin=IIN)

    # The invitation is accepted at this sign-in, before the landing is chosen.
    assert sign_in() == reverse("visits:staff", args=[venue.pk])


def test_an_explicit_next_wins_over_the_staff_landing(sign_in):
    venue = VenueFactory()
    staff_person(venue)

    assert sign_in(next_url="/visits/") == "/visits/"


def test_a_citizen_who_works_nowhere_lands_on_the_status_page(sign_in):
    staff_person()

    assert sign_in() == reverse("home")


def test_staff_without_an_iin_are_asked_for_it_on_the_way_to_their_door(sign_in):
    venue = VenueFactory()
    staff_person(venue, iin=None)

    assert sign_in() == f"/profile/?next=%2Fstaff%2F{venue.pk}%2F"


# "My venues" on the status page


def test_the_status_page_lists_my_venues_with_their_check_in_pages():
    first = VenueFactory()
    second, elsewhere = VenueFactory(organisation=first.organisation), VenueFactory()
    person = staff_person(first, second)

    html = client_for(person).get(reverse("home")).content.decode()

    assert '<h2 id="my-venues-title">My venues</h2>' in html
    links = re.findall(r'href="/staff/(\d+)/"', html)
    assert links == [str(first.pk), str(second.pk)]
    assert elsewhere.name not in html


def test_the_status_page_without_an_iin_still_lists_my_venues():
    venue = VenueFactory()
    person = staff_person(venue, iin=None)

    html = client_for(person).get(reverse("home")).content.decode()

    assert f'href="/staff/{venue.pk}/"' in html


def test_a_citizen_who_works_nowhere_sees_no_venues_section():
    html = client_for(UserFactory(iin=IIN)).get(reverse("home")).content.decode()

    assert "my-venues" not in html
    assert "/staff/" not in html


def test_the_list_of_my_venues_leads_straight_to_each_check_in_page():
    first = VenueFactory()
    second = VenueFactory(organisation=first.organisation)
    person = staff_person(first, second)

    html = client_for(person).get(reverse("venues:list")).content.decode()

    assert re.findall(r'<a class="button" href="/staff/(\d+)/">Check visitors in</a>', html) == [
        str(first.pk),
        str(second.pk),
    ]
