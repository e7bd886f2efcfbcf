"""The venue page and the answer page say nothing that a door could misread.

No "Enter" for a status the venue refuses, a neutral card after exit, the
status now next to the one at entry, and a test week that says what it means.
"""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.tests.clients import text_of
from visits.models import IsolationPoint, Visit
from visits.rules import DENIALS
from visits.tests.conftest import citizen, give_status, make_venue, make_visit, staff_member

pytestmark = pytest.mark.django_db

ENTER = '<button type="submit" class="button huge">Enter</button>'


def venue_page(client, venue):
    return client.get(reverse("visits:venue_entry", args=[venue.code]))


# The venue page: a verdict before the button


@pytest.mark.parametrize(
    ("status", "venue_fields", "code"),
    [
        ("red", {}, "red"),
        ("red", {"category": "pharmacy"}, "red"),
        ("blue", {"category": "cafe", "pcr_required": True}, "pcr_required"),
        ("yellow", {"category": "cafe"}, "yellow_not_essential"),
        ("yellow", {"category": "pharmacy"}, "yellow_no_isolation_point"),
        ("green", {"suspended": True}, "suspended"),
    ],
)
def test_a_refused_status_gets_the_reason_and_no_enter_button(client, status, venue_fields, code):
    venue = make_venue(**venue_fields)
    client.force_login(citizen(None if status == "blue" else status))

    html = text_of(venue_page(client, venue))

    assert ENTER not in html
    assert 'name="nonce"' not in html
    assert '<section class="verdict answer-no" role="status">' in html
    assert "<h2>You cannot enter here now</h2>" in html
    assert f"<p>{DENIALS[code]}</p>" in html
    assert Visit.objects.count() == 0


@pytest.mark.parametrize(
    ("status", "venue_fields"),
    [
        ("green", {"category": "cafe", "pcr_required": True}),
        ("blue", {}),
        ("yellow", {"category": "pharmacy"}),
    ],
)
def test_an_admitted_status_gets_the_enter_button(client, status, venue_fields):
    venue = make_venue(**venue_fields)
    person = citizen(None if status == "blue" else status)
    # Next door to the pharmacy: yellow may shop here.
    IsolationPoint.objects.create(
        iin=person.iin, address="Abai 12", latitude=venue.latitude, longitude=venue.longitude
    )
    client.force_login(person)

    html = text_of(venue_page(client, venue))

    assert ENTER in html
    assert "verdict" not in html


def test_a_yellow_person_far_from_home_is_told_so_before_entering(client):
    venue = make_venue(category="pharmacy")
    person = citizen("yellow")
    IsolationPoint.objects.create(
        iin=person.iin, address="Far away", latitude=Decimal("43.3"), longitude=venue.longitude
    )
    client.force_login(person)

    html = text_of(venue_page(client, venue))

    assert ENTER not in html
    assert f"<p>{DENIALS['yellow_too_far']}</p>" in html


def test_a_full_venue_still_offers_enter_capacity_is_the_check_ins_to_decide(client):
    venue = make_venue(capacity=1)
    make_visit(venue)
    client.force_login(citizen("green"))

    html = text_of(venue_page(client, venue))

    assert ENTER in html


def test_without_a_place_of_isolation_yellow_is_shown_where_to_add_it(client):
    client.force_login(citizen("yellow"))

    html = text_of(venue_page(client, make_venue(category="pharmacy")))

    assert '<a class="button secondary" href="/profile/isolation/">' in html


def test_someone_inside_whose_status_turned_red_is_asked_to_leave(client):
    venue = make_venue()
    person = citizen("green")
    visit = make_visit(venue, iin=person.iin, user=person, status="green")
    give_status(person.iin, "red")
    client.force_login(person)

    html = text_of(venue_page(client, venue))

    assert "<h2>Your status has changed: please leave</h2>" in html
    assert f"<p>{DENIALS['red']}</p>" in html
    assert f'action="/visits/{visit.pk}/exit/"' in html
    assert ENTER not in html


HOUR = datetime.timedelta(hours=1)


@pytest.mark.parametrize(
    ("starts", "ends", "lifted", "shown"),
    [
        (-HOUR, HOUR, None, "Red"),
        (-HOUR, None, None, "Red"),
        (-2 * HOUR, -HOUR, None, "Blue"),
        (HOUR, 2 * HOUR, None, "Blue"),
        (-HOUR, HOUR, -HOUR / 2, "Blue"),
        (-HOUR, HOUR, HOUR / 2, "Red"),
    ],
    ids=["active", "open-ended", "ended", "not-begun", "lifted", "lifted-later"],
)
def test_the_door_pages_count_only_a_record_active_now(client, starts, ends, lifted, shown):
    from statuses.models import StatusRecord

    venue = make_venue()
    person = citizen()
    now = timezone.now()
    StatusRecord.objects.create(
        iin=person.iin,
        status="red",
        source="pcr_positive",
        valid_from=now + starts,
        valid_until=ends and now + ends,
        lifted_at=lifted and now + lifted,
    )
    visit = make_visit(venue, iin=person.iin, user=person, status="blue")
    client.force_login(person)

    page = text_of(venue_page(client, venue))
    answer = text_of(client.get(reverse("visits:detail", args=[visit.pk])))

    assert f"Your status: {shown}" in page
    assert ("status-change" in answer) == (shown == "Red")


def test_the_venue_page_reads_the_status_in_a_fixed_number_of_queries(client):
    venue = make_venue(category="pharmacy")
    person = citizen("yellow")
    IsolationPoint.objects.create(
        iin=person.iin, address="Abai 12", latitude=venue.latitude, longitude=venue.longitude
    )
    client.force_login(person)
    url = reverse("visits:venue_entry", args=[venue.code])
    client.get(url)  # the account and the venue are cached from here on

    with CaptureQueriesContext(connection) as context:
        response = client.get(url)

    # The session is read from the database without Redis, from the cache with it.
    # The status records, the place of isolation and the open visit here: one statement.
    tables = [
        re.findall(r"(?:FROM|JOIN) (\w+)", query["sql"])
        for query in context.captured_queries
        if "django_session" not in query["sql"]
    ]
    assert tables == [["visits_visit", "statuses_statusrecord", "visits_isolationpoint"]]
    assert ENTER in text_of(response)


# The answer page


def test_after_exit_the_answer_is_neutral_and_says_when(client):
    venue = make_venue()
    person = citizen("green")
    client.force_login(person)
    client.post(reverse("visits:venue_entry", args=[venue.code]), {"nonce": "a"})
    visit = Visit.objects.get()

    response = client.post(reverse("visits:exit", args=[visit.pk]), follow=True)

    visit.refresh_from_db()
    left = timezone.localtime(visit.checked_out_at).strftime("%H:%M")
    html = text_of(response)
    assert '<section class="answer answer-exit" role="status">' in html
    assert f"<h1>You left at {left}.</h1>" in html
    assert "answer-yes" not in html
    assert "You may enter" not in html
    assert "Record my exit" not in html


def test_the_answer_shows_the_status_now_and_at_entry_when_they_differ(client):
    venue = make_venue()
    person = citizen()
    client.force_login(person)
    client.post(reverse("visits:venue_entry", args=[venue.code]), {"nonce": "a"})
    visit = Visit.objects.get()
    give_status(person.iin, "red")

    html = text_of(client.get(reverse("visits:detail", args=[visit.pk])))

    entered = timezone.localtime(visit.checked_in_at).strftime("%H:%M")
    assert f'<p class="status-change">At entry ({entered}): Blue · now: Red</p>' in html
    # Admitted while blue, red now: the card no longer says "You may enter".
    assert '<section class="answer answer-no" role="status">' in html
    assert "<h1>Your status has changed: please leave</h1>" in html
    assert f"<p>{DENIALS['red']}</p>" in html
    assert "You may enter" not in html


def test_the_answer_shows_one_status_while_it_has_not_changed(client):
    venue = make_venue()
    client.force_login(citizen("green"))
    client.post(reverse("visits:venue_entry", args=[venue.code]), {"nonce": "a"})
    visit = Visit.objects.get()

    html = text_of(client.get(reverse("visits:detail", args=[visit.pk])))

    assert "status-change" not in html
    assert "<p>Status Green · " in html
    assert "<h1>You may enter</h1>" in html


def test_a_denial_is_not_turned_into_an_admission_by_a_better_status(client):
    venue = make_venue(category="cafe", pcr_required=True)
    person = citizen()
    client.force_login(person)
    client.post(reverse("visits:venue_entry", args=[venue.code]), {"nonce": "a"})
    give_status(person.iin, "green")

    html = text_of(client.get(reverse("visits:detail", args=[Visit.objects.get().pk])))

    assert "<h1>Entry denied</h1>" in html
    assert "· now: Green</p>" in html


# The test week


def in_test_week(**fields):
    until = timezone.now() + datetime.timedelta(days=3)
    return make_venue(test_mode_until=until, **fields), until


@pytest.mark.parametrize(
    ("language", "banner"),
    [
        ("en", "Test week until {until}: statuses are checked, but capacity is not counted yet."),
        (
            "kk",
            "Сынақ аптасы (мерзімі: {until}): мәртебе тексеріледі, бірақ орын сыйымдылығы "
            "әзірге есептелмейді.",
        ),
        (
            "ru",
            "Тестовая неделя до {until}: статус проверяется, но вместимость пока не учитывается.",
        ),
    ],
)
def test_the_test_week_banner_says_until_when_on_all_three_pages(client, language, banner):
    venue, until = in_test_week()
    person = citizen("green")
    client.cookies["django_language"] = language
    client.force_login(person)
    client.post(reverse("visits:venue_entry", args=[venue.code]), {"nonce": "a"})
    visit = Visit.objects.get()
    expected = banner.format(until=timezone.localtime(until).strftime("%d.%m.%Y %H:%M"))
    staff = client.__class__()
    staff.cookies["django_language"] = language
    staff.force_login(staff_member(venue))

    pages = [
        venue_page(client, venue),
        client.get(reverse("visits:detail", args=[visit.pk])),
        staff.get(reverse("visits:staff", args=[venue.pk])),
    ]

    for response in pages:
        assert f'<p class="message test-mode" role="note">{expected}</p>' in text_of(response)


def test_no_banner_once_the_test_week_is_over(client):
    venue = make_venue()
    client.force_login(citizen("green"))
    client.post(reverse("visits:venue_entry", args=[venue.code]), {"nonce": "a"})

    pages = [
        venue_page(client, venue),
        client.get(reverse("visits:detail", args=[Visit.objects.get().pk])),
    ]

    assert not [page for page in pages if "test-mode" in text_of(page)]


def test_the_venue_page_offers_enter_at_a_full_venue_in_its_test_week(client):
    venue, _until = in_test_week(capacity=1)
    make_visit(venue)
    client.force_login(citizen("green"))

    html = text_of(venue_page(client, venue))

    assert ENTER in html
    assert re.search(r'class="message test-mode"', html)


def test_someone_inside_a_venue_closed_since_is_told_the_venue_closed(client):
    venue = make_venue()
    person = citizen("green")
    visit = make_visit(venue, iin=person.iin, user=person, status="green")
    venue.suspended = True
    venue.save(update_fields=["suspended"])
    client.force_login(person)

    pages = [venue_page(client, venue), client.get(reverse("visits:detail", args=[visit.pk]))]

    for html in map(text_of, pages):
        assert "This venue is closed now: please leave</h" in html
        assert f"<p>{DENIALS['suspended']}</p>" in html
        assert "Your status has changed" not in html
