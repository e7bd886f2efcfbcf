"""Adding a venue to an organisation and changing a venue's settings; no page writes on GET."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from venues.models import Category, Invitation, Organisation, StaffMembership, Venue
from venues.tests.conftest import venue_data
from venues.tests.factories import UserFactory, VenueFactory
from venues.tests.test_register import REGISTER_URL, alerts, registration

pytestmark = pytest.mark.django_db


def test_venue_add_adds_a_second_venue_to_the_organisation(owner, owner_client, venue):
    url = reverse("venues:add", args=[venue.organisation.pk])

    response = owner_client.post(url, venue_data(name_en="Second shop", pcr="yes"), follow=True)

    second = Venue.objects.latest("pk")
    assert response.redirect_chain == [(f"/venues/{second.pk}/", 302)]
    assert "The venue is added." in response.content.decode()
    assert second.organisation == venue.organisation
    assert second.pcr_required is True
    assert second.code != venue.code
    assert list(Venue.objects.filter(organisation=venue.organisation)) == [venue, second]


def test_venue_add_shows_form_errors(owner_client, venue):
    url = reverse("venues:add", args=[venue.organisation.pk])

    response = owner_client.post(url, venue_data(name_kk="", name_ru="", name_en=""))

    assert response.status_code == 200
    assert alerts(response) == ["Enter the name of the venue in at least one language."]
    assert Venue.objects.count() == 1


def test_venue_settings_shows_the_current_values(owner, owner_client):
    venue = VenueFactory(
        organisation__admin=owner,
        pcr_required=True,
        max_stay=datetime.timedelta(hours=5),
    )

    response = owner_client.get(reverse("venues:settings", args=[venue.pk]))

    form = response.context["form"]
    assert response.status_code == 200
    assert form["pcr"].value() == "yes"
    assert form["max_stay_hours"].value() == 5
    assert form["capacity"].value() == 50
    assert form["name_en"].value() == venue.name_en


def test_venue_settings_saves_the_pcr_rule_and_the_maximum_stay(owner_client, venue):
    url = reverse("venues:settings", args=[venue.pk])

    response = owner_client.post(url, venue_data(pcr="yes", max_stay_hours="6"), follow=True)

    venue.refresh_from_db()
    assert response.redirect_chain == [(f"/venues/{venue.pk}/", 302)]
    assert "The settings are saved." in response.content.decode()
    assert venue.pcr_required is True
    assert venue.max_stay == datetime.timedelta(hours=6)


def test_venue_settings_pcr_as_usual_returns_to_the_category_default(owner, owner_client):
    cafe = VenueFactory(
        organisation__admin=owner, category=Category.objects.get(code="cafe"), pcr_required=False
    )

    owner_client.post(
        reverse("venues:settings", args=[cafe.pk]),
        venue_data(category=Category.objects.get(code="cafe").pk, pcr=""),
    )

    cafe.refresh_from_db()
    assert cafe.pcr_required is True


def test_venue_settings_saves_the_venue_fields(owner_client, venue):
    data = venue_data(
        name_kk="Жаңа атау",
        name_ru="Новое название",
        name_en="New name",
        category=Category.objects.get(code="pharmacy").pk,
        address="Satpayev Street 1",
        capacity="80",
        latitude="43.250000",
        kiosk_only="on",
    )

    owner_client.post(reverse("venues:settings", args=[venue.pk]), data)

    venue.refresh_from_db()
    assert (venue.name_kk, venue.name_ru, venue.name_en) == (
        "Жаңа атау",
        "Новое название",
        "New name",
    )
    assert venue.category.code == "pharmacy"
    assert venue.address == "Satpayev Street 1"
    assert venue.capacity == 80
    assert venue.latitude == Decimal("43.250000")
    assert venue.kiosk_only is True


def test_venue_settings_refuses_invalid_values(owner_client, venue):
    response = owner_client.post(
        reverse("venues:settings", args=[venue.pk]), venue_data(latitude="91", pcr="yes")
    )

    venue.refresh_from_db()
    assert response.status_code == 200
    assert alerts(response) == ["Enter a number no greater than 90."]
    assert venue.latitude == Decimal("43.238949")
    assert venue.pcr_required is False


def _snapshot() -> tuple:
    # modeltranslation reads `name` in the active language, which requests change.
    with translation.override("kk"):
        return tuple(
            list(model.objects.order_by("pk").values())
            for model in (Organisation, Venue, StaffMembership, Invitation)
        )


def _writes(queries: CaptureQueriesContext) -> list[str]:
    return [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]


def test_get_never_writes(owner, owner_client, venue):
    member = UserFactory()
    StaffMembership.objects.create(venue=venue, user=member, added_by=owner)
    Invitation.objects.create(venue=venue, phone="+77015550011", invited_by=owner)
    pk = venue.pk
    urls = [
        reverse("venues:list"),
        REGISTER_URL,
        reverse("venues:add", args=[venue.organisation.pk]),
        reverse("venues:detail", args=[pk]),
        reverse("venues:settings", args=[pk]),
        reverse("venues:staff", args=[pk]),
        reverse("venues:poster", args=[pk]),
        reverse("venues:qr", args=[pk, "svg"]),
        reverse("venues:qr", args=[pk, "png"]),
        reverse("venues:kiosk", args=[pk]),
        reverse("venues:kiosk_code", args=[pk]),
        f"{REGISTER_URL}?{'&'.join(f'{k}={v}' for k, v in registration().items())}",
    ]
    before = _snapshot()

    with CaptureQueriesContext(connection) as queries:
        statuses = [owner_client.get(url).status_code for url in urls]

    assert statuses == [200] * len(urls)
    assert _writes(queries) == []
    assert _snapshot() == before
