"""Exact budgets of the pages at the door: SQL statements, cache commands, templates.

The staff page after a scan and the citizen's three pages (the venue page a QR
opens, the "Enter" POST, the answer) are what millions of people cost the
servers (docs/scaling.md). Each budget is exact: a change that adds a statement,
a Redis command or a template must change this file too. The caches are warm,
as at a door where the page has been open all day; the first request of a cold
cache is budgeted in test_staff.py and test_self_check_in.py.
"""

import datetime
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache, caches
from django.utils import timezone

from accounts.tests.clients import text_of
from venues.cards import venue_card
from visits.models import Visit
from visits.tests.budgets import session_queries, visit_writes
from visits.tests.conftest import citizen, make_venue, make_visit, new_iin, staff_member

# The templates of each page: the page, base.html and their includes, each once.
# The parts that are the same for everyone in a language (the head's icons, the
# camera's messages and script) are drawn once per language and process
# ({% per_language %}, ashyq/templatetags/fragments.py): each test opens its page
# once before it counts, as a door's page has been open since the morning.
BASE_TEMPLATES = ["base.html", "includes/language_switch.html"]
STAFF_TEMPLATES = ["visits/staff.html", *BASE_TEMPLATES]


@pytest.fixture
def cache_commands(monkeypatch) -> Iterator:
    """Counts the cache's round trips, one per call of its methods: each is one
    Redis command in production (get_many one MGET), except the rate limit's
    first use in a minute, which is INCR and EXPIRE there and incr and add here."""
    commands: list[str] = []
    depth = [0]
    backend = caches["default"]
    for name in ("get", "get_many", "set", "set_many", "add", "delete", "incr", "touch"):
        original = getattr(backend, name)

        def counted(*args, _name=name, _original=original, **kwargs):
            # The in-memory cache's get_many calls its own get: one call, one command.
            if not depth[0]:
                commands.append(_name)
            depth[0] += 1
            try:
                return _original(*args, **kwargs)
            finally:
                depth[0] -= 1

        monkeypatch.setattr(backend, name, counted)

    @contextmanager
    def check(expected: list[str]) -> Iterator[None]:
        commands.clear()
        yield
        assert commands == expected

    return check


def session_commands() -> list[str]:
    """The session's read: from the cache (cached_db, with Redis as in production),
    else from the database."""
    return ["get"] if session_queries() == 0 else []


def template_names(response) -> list[str]:
    return [template.name for template in response.templates]


@pytest.fixture
def door(client):
    venue = make_venue()
    for _ in range(3):
        make_visit(venue, recorded_by=venue.organisation.admin)
    staff = staff_member(venue)
    client.force_login(staff)
    cache.clear()
    # The page has been open since the morning: the account and the venue are cached.
    client.get(f"/staff/{venue.pk}/")
    venue_card(venue_id=venue.pk)
    return venue


@pytest.mark.django_db(transaction=True)
def test_a_staff_scan_is_one_request_within_its_budget(
    reference_data, client, door, assert_num_queries, cache_commands
):
    person = citizen("green")

    # The venue lock (with the account, its name and the venue's occupancy),
    # the reads after it, the visit with its nonce and the venue's new count,
    # COMMIT; the last scans with whether anyone inside is flagged (the flags
    # themselves only when there are any). The venue comes from the cache.
    with (
        time_machine.travel(timezone.now().replace(second=10), tick=False),
        assert_num_queries(4 + visit_writes() + session_queries()),
        # The session, the account, the look-up limit (its first use this
        # minute also sets its expiry), the venue card with its generation.
        cache_commands([*session_commands(), "get", "incr", "add", "get_many"]),
    ):
        response = client.post(
            f"/staff/{door.pk}/", {"q": person.iin, "mode": "entry", "nonce": "budget"}
        )

    visit = Visit.objects.get(nonce="budget")
    html = text_of(response)
    assert response.status_code == 200
    assert response["Content-Location"] == f"/staff/{door.pk}/?visit={visit.pk}&mode=entry"
    assert template_names(response) == STAFF_TEMPLATES
    # A reload asks for the answer again instead of sending the scan twice.
    assert 'history.replaceState(null, "", "/staff/' in response.content.decode()
    assert "<h2>May enter</h2>" in html
    assert '<p class="person">Aigerim S., 1990</p>' in html
    assert html.count('<li class="history-item">') == 4
    assert (visit.user.pk, visit.admitted) == (person.pk, True)


@pytest.mark.django_db(transaction=True)
def test_a_reload_of_the_staff_answer_within_its_budget(
    reference_data, client, door, assert_num_queries, cache_commands
):
    person = citizen("green")
    posted = client.post(f"/staff/{door.pk}/", {"q": person.iin, "mode": "entry", "nonce": "r"})

    # The venue with the staff check, the visit with its account, the last
    # scans with whether anyone inside is flagged: a reload is rare, and it
    # reads back what the scan's answer had at hand.
    with (
        assert_num_queries(3 + session_queries()),
        cache_commands([*session_commands(), "get"]),
    ):
        response = client.get(posted["Content-Location"])

    html = text_of(response)
    assert template_names(response) == STAFF_TEMPLATES
    assert "<h2>May enter</h2>" in html
    assert '<p class="person">Aigerim S., 1990</p>' in html
    assert "history.replaceState" not in html


@pytest.mark.django_db(transaction=True)
def test_a_refused_rescan_shows_the_closed_stay_without_reading_it_again(
    reference_data, client, door, assert_num_queries, cache_commands
):
    person = citizen("red")
    since = timezone.now() - datetime.timedelta(minutes=40)
    inside = make_visit(door, iin=person.iin, user=person, checked_in_at=since)

    # An entry's statements, plus closing the open visit (the refusal takes
    # its place off the venue's count).
    with assert_num_queries(5 + visit_writes() + session_queries()):
        response = client.post(
            f"/staff/{door.pk}/", {"q": person.iin, "mode": "entry", "nonce": "again"}
        )

    inside.refresh_from_db()
    local = timezone.localtime(since)
    assert inside.checkout_method == "refused"
    assert f"Was inside since {local:%H:%M}: that visit is now closed." in text_of(response)


@pytest.mark.django_db(transaction=True)
def test_the_self_check_in_path_within_its_budget(
    reference_data, client, assert_num_queries, cache_commands
):
    venue = make_venue(name="Magnum", name_kk="Магнум")
    person = citizen("green")
    client.force_login(person)
    cache.clear()
    client.get(f"/v/{venue.code}/")  # the account and the venue are cached from here on
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "kk"

    # The venue page: the person's status records, place of isolation and open
    # visit here, in one statement; the venue from the cache.
    with (
        assert_num_queries(1 + session_queries()),
        cache_commands([*session_commands(), "get", "get_many"]),
    ):
        page = client.get(f"/v/{venue.code}/")
    assert template_names(page) == ["visits/venue_entry.html", *BASE_TEMPLATES]
    assert "<h1>Магнум</h1>" in page.content.decode()

    # "Enter": the venue lock, the reads after it, the visit, COMMIT; its
    # answer page from what the check-in decided, with the venue from the cache.
    with (
        assert_num_queries(3 + visit_writes() + session_queries()),
        cache_commands([*session_commands(), "get", "get_many"]),
    ):
        posted = client.post(f"/v/{venue.code}/", {"nonce": "self"})
    visit = Visit.objects.get(nonce="self")
    assert posted.status_code == 200
    assert posted["Content-Location"] == f"/visits/{visit.pk}/"
    assert template_names(posted) == ["visits/visit_detail.html", *BASE_TEMPLATES]
    assert '<section class="answer answer-yes" role="status">' in text_of(posted)

    # The answer again (a reload, a bookmark): the visit with the person's
    # status records and place, in one statement; the venue from the cache.
    with (
        assert_num_queries(1 + session_queries()),
        cache_commands([*session_commands(), "get", "get_many"]),
    ):
        answer = client.get(posted["Content-Location"])
    assert template_names(answer) == ["visits/visit_detail.html", *BASE_TEMPLATES]
    html = text_of(answer)
    assert '<section class="answer answer-yes" role="status">' in html
    assert '<p class="answer-venue">Магнум</p>' in html


@pytest.mark.django_db
def test_a_venue_page_shows_a_change_at_once(client):
    venue = make_venue(name="Magnum", name_ru="Магнум", name_kk="Магнум")
    client.force_login(citizen("green"))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    assert "<h1>Магнум</h1>" in client.get(f"/v/{venue.code}/").content.decode()

    venue.name_ru = "Магнум Абай"
    venue.save(update_fields=["name_ru"])

    assert "<h1>Магнум Абай</h1>" in client.get(f"/v/{venue.code}/").content.decode()


@pytest.mark.django_db
def test_a_suspension_shows_on_the_staff_page_at_once(client):
    from venues.services import venue_suspend

    venue = make_venue()
    client.force_login(staff_member(venue))
    client.post(f"/staff/{venue.pk}/", {"q": new_iin(), "mode": "entry"})  # caches the venue

    venue_suspend(venue, by=venue.organisation.admin, reason="Sanitary check")
    response = client.post(f"/staff/{venue.pk}/", {"q": new_iin(), "mode": "entry"})

    assert "This venue is suspended by the sanitary service" in text_of(response)


@pytest.mark.django_db
def test_the_empty_scan_field_is_drawn_as_its_widget_would(client):
    from visits.forms import StaffScanForm

    venue = make_venue()
    client.force_login(staff_member(venue))

    html = client.get(f"/staff/{venue.pk}/").content.decode()

    assert str(StaffScanForm(initial={"mode": "entry"})["q"]) in html
