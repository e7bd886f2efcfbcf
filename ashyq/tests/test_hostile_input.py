"""Inputs that once answered 500 now get a clear, translated answer."""

import pytest
from django.urls import reverse

from accounts.tests.clients import client_for
from tests.sample import build_sample
from tests.test_language_forms import venue_data

pytestmark = pytest.mark.django_db

COORDINATE_ERRORS = [
    "Enter a number.",
    "Enter a number no greater than",
    "Enter a number no less than",
    "Enter no more than 9 digits.",
]
NOT_A_PLACE = ["Infinity", "-Infinity", "sNaN", "NaN", "1e400", "12345678901234567890123"]


@pytest.fixture
def sample():
    return build_sample()


def coordinate_forms(sample) -> list[tuple[object, str, dict]]:
    """(who, url, a valid form) for every form with a latitude and a longitude."""
    organisation = {"org-bin": "050140001246", "org-legal_name": "ТОО «Арман»"}
    return [
        (
            sample.citizens["blue"],
            reverse("visits:isolation_point"),
            {"address": "Абай даңғылы 1", "latitude": "43.2", "longitude": "76.9"},
        ),
        (
            sample.citizens["blue"],
            reverse("venues:register"),
            {**venue_data("venue-"), **organisation},
        ),
        (
            sample.owner,
            reverse("venues:add", args=[sample.organisation.pk]),
            venue_data(),
        ),
        (
            sample.owner,
            reverse("venues:settings", args=[sample.grocery.pk]),
            venue_data(),
        ),
    ]


@pytest.mark.parametrize("value", NOT_A_PLACE)
@pytest.mark.parametrize("field", ["latitude", "longitude"])
def test_a_coordinate_that_is_no_number_is_refused_in_every_form(sample, value, field):
    for user, url, data in coordinate_forms(sample):
        name = next(key for key in data if key.endswith(field))
        response = client_for(user).post(url, {**data, name: value})

        assert response.status_code == 200, url
        html = response.content.decode()
        assert f'id="id_{name}_error"' in html, f"{url}: no error for {name}={value}"
        assert any(message in html for message in COORDINATE_ERRORS), url


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_nul_byte_in_the_venue_code_is_a_bad_request(sample, method):
    client = client_for(sample.citizens["green"])

    response = getattr(client, method)("/v/ab%00cd/")

    assert response.status_code == 400
    assert "We could not understand this request." in response.content.decode()


def test_a_nul_byte_in_the_check_in_nonce_is_a_bad_request(sample):
    client = client_for(sample.citizens["green"])

    response = client.post(f"/v/{sample.grocery.code}/", {"nonce": "a\x00b"})

    assert response.status_code == 400


def test_a_bad_request_answers_in_the_language(sample):
    response = client_for(sample.citizens["green"], "kk").get("/v/ab%00cd/")

    assert response.status_code == 400
    assert '<html lang="kk">' in response.content.decode()


@pytest.mark.parametrize("name", ["visits:venue_dashboard", "visits:venue_export"])
@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
@pytest.mark.parametrize("field", ["day_from", "day_to"])
def test_a_day_far_away_on_the_dashboard_is_refused(sample, name, day, field):
    url = reverse(name, args=[sample.grocery.pk])

    response = client_for(sample.owner).get(url, {field: day})

    assert response.status_code == 200
    if name == "visits:venue_dashboard":
        assert response.context["filters"].errors[field] == [
            "Choose a day from 2020-01-01 to 2099-12-31."
        ]


@pytest.mark.parametrize("visit", ["²", "٣", "99999999999999999999999", "-1"])
def test_a_visit_that_is_no_number_on_the_staff_page_is_ignored(sample, visit):
    url = reverse("visits:staff", args=[sample.grocery.pk])

    response = client_for(sample.staff).get(url, {"visit": visit})

    assert response.status_code == 200
    assert response.context["result"] is None
