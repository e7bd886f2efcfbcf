"""GET never writes, POST needs a CSRF token, and history is private (docs/rules.md §4, STYLE)."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.tests.clients import text_of
from visits.models import IsolationPoint, Visit
from visits.tests.conftest import citizen, make_venue, make_visit

pytestmark = pytest.mark.django_db

ALMATY = ZoneInfo("Asia/Almaty")
WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


@pytest.fixture
def scene():
    """A person who runs a venue, is inside it now, and has a place of isolation."""
    person = citizen("green")
    venue = make_venue(admin=person)
    visit = make_visit(venue, iin=person.iin, user=person, method="staff_iin", recorded_by=person)
    IsolationPoint.objects.create(
        iin=person.iin, address="Abai 10", latitude="43.238949", longitude="76.889709"
    )
    return person, venue, visit


@pytest.mark.parametrize(
    "url",
    [
        "/v/{code}/",
        "/v/{code}/?k=1.abc",
        "/visits/{visit}/",
        "/staff/{venue}/",
        "/staff/{venue}/?visit={visit}&mode=exit&done=exit",
        "/staff/{venue}/?mode=exit",
        "/visits/",
        "/profile/isolation/",
    ],
)
def test_get_writes_nothing(client, scene, url):
    person, venue, visit = scene
    client.force_login(person)
    rows = (Visit.objects.count(), IsolationPoint.objects.count())

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url.format(code=venue.code, visit=visit.pk, venue=venue.pk))

    visit.refresh_from_db()
    assert response.status_code == 200
    assert [q["sql"] for q in queries.captured_queries if q["sql"].startswith(WRITES)] == []
    assert (Visit.objects.count(), IsolationPoint.objects.count()) == rows
    assert visit.is_open


def test_get_of_a_venue_page_without_a_visit_writes_nothing(client):
    venue = make_venue()
    client.force_login(citizen("green"))

    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/v/{venue.code}/")

    assert ">Enter</button>" in text_of(response)
    assert [q["sql"] for q in queries.captured_queries if q["sql"].startswith(WRITES)] == []
    assert Visit.objects.count() == 0


@pytest.fixture
def csrf_client():
    return Client(enforce_csrf_checks=True)


def test_entering_without_a_csrf_token_is_refused(csrf_client):
    venue = make_venue()
    csrf_client.force_login(citizen("green"))

    response = csrf_client.post(f"/v/{venue.code}/", {"nonce": "n1"})

    assert response.status_code == 403
    assert Visit.objects.count() == 0


def test_entering_with_the_pages_csrf_token_is_accepted(csrf_client):
    venue = make_venue()
    csrf_client.force_login(citizen("green"))
    page = csrf_client.get(f"/v/{venue.code}/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    response = csrf_client.post(f"/v/{venue.code}/", {"nonce": "n1", "csrfmiddlewaretoken": token})

    visit = Visit.objects.get()
    assert response["Content-Location"] == f"/visits/{visit.pk}/"


@pytest.mark.parametrize(
    ("browser", "method", "status", "allow"),
    [
        pytest.param("csrf_client", "post", 403, None, id="a POST without a CSRF token"),
        pytest.param("client", "get", 405, "POST", id="a GET"),
    ],
)
def test_an_exit_is_a_post_with_a_csrf_token(request, browser, method, status, allow):
    client = request.getfixturevalue(browser)
    person = citizen("green")
    visit = make_visit(make_venue(), iin=person.iin, user=person)
    client.force_login(person)

    response = getattr(client, method)(f"/visits/{visit.pk}/exit/")

    visit.refresh_from_db()
    assert response.status_code == status
    assert response.get("Allow") == allow
    assert visit.is_open


def test_staff_check_in_without_a_csrf_token_is_refused(csrf_client):
    venue = make_venue()
    csrf_client.force_login(venue.organisation.admin)

    response = csrf_client.post(
        f"/staff/{venue.pk}/", {"q": citizen().iin, "mode": "entry", "nonce": "n1"}
    )

    assert response.status_code == 403
    assert Visit.objects.count() == 0


def test_isolation_point_without_a_csrf_token_is_refused(csrf_client):
    csrf_client.force_login(citizen("yellow"))

    response = csrf_client.post(
        "/profile/isolation/",
        {"address": "Abai 10", "latitude": "43.238949", "longitude": "76.889709"},
    )

    assert response.status_code == 403
    assert IsolationPoint.objects.count() == 0


def test_history_lists_only_the_visitors_own_visits(client):
    person, stranger = citizen("green"), citizen("green")
    shop = make_venue(name="Magnum", name_kk="Magnum")
    cinema = make_venue(name="Kinopark", name_kk="Kinopark", category="cinema")
    clinic = make_venue(name="Secret Clinic", name_kk="Secret Clinic")
    came = datetime.datetime(2026, 3, 12, 14, 5, tzinfo=ALMATY)
    shopped = make_visit(
        shop,
        iin=person.iin,
        user=person,
        checked_in_at=came,
        checked_out_at=came + datetime.timedelta(minutes=85),
        checkout_method="self",
    )
    denied = make_visit(
        cinema,
        iin=person.iin,
        user=person,
        status="blue",
        admitted=False,
        denial_code="pcr_required",
        checked_in_at=came + datetime.timedelta(hours=2, minutes=5),
    )
    make_visit(clinic, iin=stranger.iin, user=stranger, checked_in_at=came)
    client.force_login(person)

    html = text_of(client.get("/visits/"))

    rows = [row.strip() for row in re.findall(r'<li class="history-item">(.*?)</li>', html)]
    assert rows == [
        f'<a href="/visits/{denied.pk}/"><strong>Kinopark</strong></a><br> '
        "<small>12.03.2026 16:10 · denied</small>",
        f'<a href="/visits/{shopped.pk}/"><strong>Magnum</strong></a><br> '
        "<small>12.03.2026 14:05 – 15:30 · admitted</small>",
    ]
    assert "Secret Clinic" not in html
    assert "Visits are kept for 30 days." in html


def test_history_is_for_signed_in_people_only(client):
    response = client.get("/visits/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/code/?next=/visits/"
