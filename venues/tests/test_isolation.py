"""Every venue page is for the people who work there: anyone else gets a 404,
never a 403 that would confirm the venue exists."""

from dataclasses import dataclass

import pytest
from django.urls import URLResolver, reverse
from django.utils import translation

from accounts.tests.clients import client_for
from venues import urls as venue_urls
from venues.models import Invitation, StaffMembership, Venue
from venues.tests.conftest import venue_data
from venues.tests.factories import UserFactory, VenueFactory

pytestmark = pytest.mark.django_db


@dataclass
class World:
    venue: Venue
    member: object
    invitation: Invitation
    other_venue: Venue


@pytest.fixture
def world(owner) -> World:
    venue = VenueFactory(organisation__admin=owner)
    member = UserFactory(full_name="Staff Here")
    StaffMembership.objects.create(venue=venue, user=member, added_by=owner)
    invitation = Invitation.objects.create(venue=venue, phone="+77015550011", invited_by=owner)
    other_venue = VenueFactory()
    StaffMembership.objects.create(
        venue=other_venue, user=UserFactory(full_name="Staff Elsewhere"), added_by=None
    )
    return World(venue, member, invitation, other_venue)


# (url name, method, who of this venue may use it)
ROUTES = [
    ("detail", "get", "staff"),
    ("settings", "get", "admin"),
    ("settings", "post", "admin"),
    ("staff", "get", "admin"),
    ("staff", "post", "admin"),
    ("staff_remove", "post", "admin"),
    ("invitation_cancel", "post", "admin"),
    ("poster", "get", "staff"),
    ("qr", "get", "staff"),
    ("qr.png", "get", "staff"),
    ("kiosk", "get", "staff"),
    ("kiosk_code", "get", "staff"),
    ("add", "get", "admin"),
    ("add", "post", "admin"),
]
POST_ONLY = ["staff_remove", "invitation_cancel"]


def url_of(name: str, world: World) -> str:
    venue = world.venue
    if name == "add":
        return reverse("venues:add", args=[venue.organisation.pk])
    if name == "qr":
        return reverse("venues:qr", args=[venue.pk, "svg"])
    if name == "qr.png":
        return reverse("venues:qr", args=[venue.pk, "png"])
    if name == "staff_remove":
        return reverse("venues:staff_remove", args=[venue.pk, world.member.pk])
    if name == "invitation_cancel":
        return reverse("venues:invitation_cancel", args=[venue.pk, world.invitation.pk])
    return reverse(f"venues:{name}", args=[venue.pk])


def data_for(name: str, method: str) -> dict | None:
    if method == "get":
        return None
    if name == "staff":
        return {"phone": "+77015550022"}
    if name in ("settings", "add"):
        return venue_data(capacity="999", pcr="yes", max_stay_hours="9")
    return {}


def request(client, name: str, method: str, world: World):
    return getattr(client, method)(url_of(name, world), data_for(name, method))


def snapshot(world: World) -> tuple:
    # modeltranslation reads `name` in the active language, which requests change.
    with translation.override("kk"):
        return (
            list(Venue.objects.order_by("pk").values()),
            list(StaffMembership.objects.order_by("pk").values()),
            list(Invitation.objects.order_by("pk").values()),
        )


def route_names(patterns: list) -> set[str]:
    names = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            names |= route_names(pattern.url_patterns)
        else:
            names.add(pattern.name)
    return names


def test_every_venues_url_is_covered():
    names = route_names(venue_urls.urlpatterns)
    covered = {name.split(".")[0] for name, _method, _who in ROUTES}

    # Not about one venue: the list, registering, and disputing a BIN.
    assert names - {"list", "register", "dispute"} == covered


@pytest.fixture(
    params=["other_admin", "other_staff", "citizen"],
)
def stranger(request, world):
    if request.param == "other_admin":
        return world.other_venue.organisation.admin
    if request.param == "other_staff":
        return world.other_venue.memberships.get().user
    return UserFactory(full_name="Nobody")


@pytest.mark.parametrize(("name", "method", "_who"), ROUTES)
def test_a_stranger_gets_404(world, stranger, sms_outbox, name, method, _who):
    before = snapshot(world)

    response = request(client_for(stranger), name, method, world)

    assert response.status_code == 404
    assert snapshot(world) == before
    assert sms_outbox == []


@pytest.mark.parametrize(("name", "method", "_who"), ROUTES)
def test_an_anonymous_visitor_is_sent_to_sign_in(world, client, sms_outbox, name, method, _who):
    before = snapshot(world)
    url = url_of(name, world)

    response = request(client, name, method, world)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_request_login_code')}?next={url}"
    assert snapshot(world) == before
    assert sms_outbox == []


@pytest.mark.parametrize(
    ("name", "method"), [(name, method) for name, method, who in ROUTES if who == "staff"]
)
def test_staff_of_the_venue_may_open_its_working_pages(world, name, method):
    response = request(client_for(world.member), name, method, world)

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("name", "method"), [(name, method) for name, method, who in ROUTES if who == "admin"]
)
def test_staff_of_the_venue_get_404_on_its_administration(world, sms_outbox, name, method):
    before = snapshot(world)

    response = request(client_for(world.member), name, method, world)

    assert response.status_code == 404
    assert snapshot(world) == before
    assert sms_outbox == []


@pytest.mark.parametrize(
    ("name", "method"), [(name, method) for name, method, _who in ROUTES if method == "get"]
)
def test_the_admin_may_open_every_page(world, owner, name, method):
    response = request(client_for(owner), name, method, world)

    assert response.status_code == 200


@pytest.mark.parametrize("name", POST_ONLY)
def test_post_only_urls_refuse_get(world, owner, name):
    before = snapshot(world)

    response = client_for(owner).get(url_of(name, world))

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert snapshot(world) == before


@pytest.mark.parametrize("name", ["settings", "staff", "add"])
def test_form_urls_refuse_other_methods(world, owner, name):
    response = client_for(owner).delete(url_of(name, world))

    assert response.status_code == 405
    assert response["Allow"] == "GET, POST"


def test_staff_remove_cannot_reach_another_venues_staff(world, owner):
    elsewhere = world.other_venue.memberships.get()

    response = client_for(owner).post(
        reverse("venues:staff_remove", args=[world.venue.pk, elsewhere.user_id])
    )

    assert response["Location"] == reverse("venues:staff", args=[world.venue.pk])
    assert StaffMembership.objects.filter(pk=elsewhere.pk).exists()


def test_invitation_cancel_cannot_reach_another_venues_invitation(world, owner):
    theirs = Invitation.objects.create(
        venue=world.other_venue,
        phone="+77015550033",
        invited_by=world.other_venue.organisation.admin,
    )

    response = client_for(owner).post(
        reverse("venues:invitation_cancel", args=[world.venue.pk, theirs.pk])
    )

    assert response["Location"] == reverse("venues:staff", args=[world.venue.pk])
    assert Invitation.objects.filter(pk=theirs.pk).exists()


def test_the_list_shows_a_citizen_no_venue(world):
    response = client_for(UserFactory()).get(reverse("venues:list"))

    html = response.content.decode()
    assert response.status_code == 200
    assert list(response.context["venues"]) == []
    assert list(response.context["organisations"]) == []
    assert "You do not work at any venue in Ashyq yet." in html
    assert world.venue.name_en not in html
    assert world.other_venue.name_en not in html


def test_the_list_shows_each_person_only_their_venues(world, owner):
    other_admin = world.other_venue.organisation.admin

    mine = client_for(owner).get(reverse("venues:list")).context
    theirs = client_for(other_admin).get(reverse("venues:list")).context
    staff = client_for(world.member).get(reverse("venues:list")).context

    assert list(mine["venues"]) == [world.venue]
    assert list(mine["organisations"]) == [world.venue.organisation]
    assert list(theirs["venues"]) == [world.other_venue]
    assert list(staff["venues"]) == [world.venue]
    assert list(staff["organisations"]) == []


def test_the_list_sends_an_anonymous_visitor_to_sign_in(client):
    response = client.get(reverse("venues:list"))

    assert response["Location"] == f"{reverse('account_request_login_code')}?next=/venues/"


def test_the_venue_page_offers_administration_to_the_admin_only(world, owner):
    settings_url = reverse("venues:settings", args=[world.venue.pk])
    staff_url = reverse("venues:staff", args=[world.venue.pk])

    as_admin = client_for(owner).get(reverse("venues:detail", args=[world.venue.pk]))
    as_staff = client_for(world.member).get(reverse("venues:detail", args=[world.venue.pk]))

    assert settings_url in as_admin.content.decode()
    assert staff_url in as_admin.content.decode()
    assert settings_url not in as_staff.content.decode()
    assert staff_url not in as_staff.content.decode()
    assert reverse("venues:kiosk", args=[world.venue.pk]) in as_staff.content.decode()
