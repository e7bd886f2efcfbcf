"""Kiosk-only venues (docs/rules.md §3) and yellow status near the place of isolation (§4)."""

import datetime
import time
from decimal import Decimal

import pytest
import time_machine

from accounts.models import User
from accounts.tests.clients import text_of
from venues.rules import kiosk_step, kiosk_token
from visits.models import IsolationPoint, Visit
from visits.rules import DENIALS, Point, distance_metres
from visits.tests.conftest import (
    citizen,
    give_status,
    make_venue,
    new_iin,
    staff_member,
    translated,
)

pytestmark = pytest.mark.django_db

KIOSK_REQUIRED = (
    "This venue accepts check-ins only from the code on the screen at the entrance. "
    "Scan the code at the entrance."
)
VENUE = Point(43.238949, 76.889709)  # make_venue's default map point
DEGREE_OF_LATITUDE_METRES = 111_194.93


def five_seconds_into_a_step() -> datetime.datetime:
    """Now, moved to just after a kiosk code turned over, so the step is known."""
    step_start = int(time.time()) // 30 * 30
    return datetime.datetime.fromtimestamp(step_start + 5, tz=datetime.UTC)


def enter(client, venue, **fields):
    return client.post(f"/v/{venue.code}/", {"nonce": new_iin(), **fields})


# Kiosk-only venues


def test_a_kiosk_only_venue_refuses_a_self_check_in_without_a_code(client):
    venue = make_venue(kiosk_only=True)
    client.force_login(citizen("green"))

    response = enter(client, venue)

    assert response.status_code == 302
    assert response["Location"] == f"/v/{venue.code}/"
    page = text_of(client.get(response["Location"]))
    assert f'<li class="message error" role="status">{KIOSK_REQUIRED}</li>' in page
    assert Visit.objects.count() == 0


def test_the_kiosk_refusal_reads_in_the_visitors_language(client):
    venue = make_venue(kiosk_only=True)
    client.force_login(citizen("green"))
    client.cookies["django_language"] = "ru"

    response = enter(client, venue)

    assert translated(KIOSK_REQUIRED, "ru") in text_of(client.get(response["Location"]))
    assert Visit.objects.count() == 0


def test_the_code_from_the_kiosk_screen_is_carried_into_the_enter_form(client):
    venue = make_venue(kiosk_only=True)
    client.force_login(citizen("green"))
    now = five_seconds_into_a_step()
    code = kiosk_token(venue.kiosk_secret, kiosk_step(now.timestamp()))

    with time_machine.travel(now, tick=False):
        html = client.get(f"/v/{venue.code}/?k={code}").content.decode()

    assert f'<input type="hidden" name="k" value="{code}">' in html


@pytest.mark.parametrize(
    ("steps_ago", "admitted"),
    [(0, True), (1, True), (2, False), (-1, False)],
    ids=["fresh", "previous-step", "two-steps-old", "next-step"],
)
def test_a_kiosk_code_is_good_for_its_step_and_the_one_before(client, steps_ago, admitted):
    venue = make_venue(kiosk_only=True)
    client.force_login(citizen("green"))
    now = five_seconds_into_a_step()
    code = kiosk_token(venue.kiosk_secret, kiosk_step(now.timestamp()) - steps_ago)

    with time_machine.travel(now, tick=False):
        response = enter(client, venue, k=code)

    visits = list(Visit.objects.all())
    if admitted:
        assert response["Content-Location"] == f"/visits/{visits[0].pk}/"
        assert [(v.admitted, v.method, v.checked_in_at) for v in visits] == [
            (True, "self_scan", now)
        ]
    else:
        assert response["Location"] == f"/v/{venue.code}/"
        assert visits == []


def test_a_code_from_another_venues_kiosk_is_refused(client):
    venue, other = make_venue(kiosk_only=True), make_venue(kiosk_only=True)
    client.force_login(citizen("green"))
    now = five_seconds_into_a_step()

    with time_machine.travel(now, tick=False):
        response = enter(
            client, venue, k=kiosk_token(other.kiosk_secret, kiosk_step(now.timestamp()))
        )

    assert response["Location"] == f"/v/{venue.code}/"
    assert Visit.objects.count() == 0


def test_staff_check_in_at_a_kiosk_only_venue_needs_no_code(client):
    venue = make_venue(kiosk_only=True)
    client.force_login(staff_member(venue))

    response = client.post(f"/staff/{venue.pk}/", {"q": new_iin(), "mode": "entry"})

    visit = Visit.objects.get()
    assert response["Content-Location"] == f"/staff/{venue.pk}/?visit={visit.pk}&mode=entry"
    assert (visit.admitted, visit.method) == (True, "staff_iin")


# Place of home isolation


def north_of_the_venue(metres: int) -> dict[str, str]:
    latitude = Decimal(VENUE.latitude + metres / DEGREE_OF_LATITUDE_METRES)
    return {
        "address": "Abai 10, flat 5",
        "latitude": str(latitude.quantize(Decimal("0.000001"))),
        "longitude": str(VENUE.longitude),
    }


def test_the_citizen_saves_the_place_of_isolation(client):
    person = citizen("yellow")
    client.force_login(person)

    response = client.post("/profile/isolation/", north_of_the_venue(400))

    point = IsolationPoint.objects.get()
    assert response.status_code == 302
    assert response["Location"] == "/account/"
    assert (point.iin, point.address, point.updated_by) == (person.iin, "Abai 10, flat 5", person)
    assert (point.latitude, point.longitude) == (Decimal("43.242546"), Decimal("76.889709"))


def test_saving_the_place_again_moves_it(client):
    person = citizen("yellow")
    client.force_login(person)

    client.post("/profile/isolation/", north_of_the_venue(400))
    client.post("/profile/isolation/", {**north_of_the_venue(100), "address": "Dostyk 5"})

    point = IsolationPoint.objects.get()
    assert (point.address, point.latitude) == ("Dostyk 5", Decimal("43.239848"))


def test_an_impossible_latitude_is_refused(client):
    client.force_login(citizen("yellow"))

    response = client.post("/profile/isolation/", {**north_of_the_venue(0), "latitude": "91"})

    assert response.status_code == 200
    assert "Enter a number no greater than 90." in text_of(response)
    assert IsolationPoint.objects.count() == 0


def test_the_isolation_page_without_an_iin_asks_for_it_first(client):
    client.force_login(User.objects.create_user("+77020000998", full_name="Aigerim Sarsenova"))

    response = client.get("/profile/isolation/")

    assert response.status_code == 302
    assert response["Location"] == "/profile/?next=%2Fprofile%2Fisolation%2F"


# Yellow status


@pytest.mark.parametrize(
    ("metres", "code"),
    [(400, "admitted"), (600, "yellow_too_far")],
    ids=["400m", "600m"],
)
def test_yellow_is_admitted_only_near_the_place_of_isolation(client, metres, code):
    venue = make_venue(category="grocery")
    client.force_login(citizen("yellow"))
    place = north_of_the_venue(metres)
    client.post("/profile/isolation/", place)

    response = enter(client, venue)

    visit = Visit.objects.get()
    home = Point(float(place["latitude"]), float(place["longitude"]))
    assert round(distance_metres(home, VENUE)) == metres
    assert (visit.status, visit.admitted, visit.denial_code or "admitted") == (
        "yellow",
        code == "admitted",
        code,
    )
    answer = text_of(response)
    if code != "admitted":
        assert f"<p>{DENIALS[code]}</p>" in answer


def test_yellow_without_a_place_of_isolation_is_denied(client):
    venue = make_venue(category="grocery")
    client.force_login(citizen("yellow"))

    response = enter(client, venue)

    visit = Visit.objects.get()
    assert (visit.admitted, visit.denial_code) == (False, "yellow_no_isolation_point")
    assert f"<p>{DENIALS['yellow_no_isolation_point']}</p>" in text_of(response)


def test_yellow_is_denied_at_a_venue_that_is_not_essential(client):
    venue = make_venue(category="mall")
    client.force_login(citizen("yellow"))
    client.post("/profile/isolation/", north_of_the_venue(100))

    enter(client, venue)

    visit = Visit.objects.get()
    assert (visit.admitted, visit.denial_code) == (False, "yellow_not_essential")


def test_staff_admit_a_yellow_person_without_an_account_near_their_place(client):
    venue = make_venue(category="pharmacy")
    iin = new_iin()
    give_status(iin, "yellow")
    # Set by an epidemiologist: the person has no account to set it from.
    IsolationPoint.objects.create(iin=iin, **north_of_the_venue(300))
    client.force_login(staff_member(venue))

    client.post(f"/staff/{venue.pk}/", {"q": iin, "mode": "entry"})

    visit = Visit.objects.get()
    assert (visit.user, visit.status, visit.admitted) == (None, "yellow", True)


@pytest.mark.parametrize("category", ["grocery", "pharmacy", "mall", "cafe"])
def test_red_is_denied_everywhere(client, category):
    venue = make_venue(category=category)
    client.force_login(citizen("red"))
    client.post("/profile/isolation/", north_of_the_venue(0))

    response = enter(client, venue)

    visit = Visit.objects.get()
    assert (visit.status, visit.admitted, visit.denial_code) == ("red", False, "red")
    assert f"<p>{DENIALS['red']}</p>" in text_of(response)
