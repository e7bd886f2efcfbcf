"""The staff page (docs/rules.md §4): exit mode, double submits and the last scans,
who may use the page, the look-up rate limit and the query budget."""

import datetime
import re

import pytest
import time_machine
from django.utils import timezone

from accounts.tests.clients import text_of
from visits.models import Visit
from visits.tests.budgets import session_queries, visit_writes
from visits.tests.conftest import (
    citizen,
    inside_at_a_staffed_door,
    make_venue,
    make_visit,
    new_iin,
    staff_member,
    translated,
)
from visits.tests.test_staff import (
    NOT_INSIDE,
    TOO_MANY,
    allow_lookups,
    masked,
    scan,
    staff_url,
)

pytestmark = pytest.mark.django_db


# Exit mode


def test_exit_closes_the_open_visit_at_this_venue(client):
    venue = make_venue()
    iin = new_iin()
    client.force_login(staff_member(venue))
    scan(client, venue, iin, nonce="in")
    visit = Visit.objects.get()

    response = scan(client, venue, iin, mode="exit")

    visit.refresh_from_db()
    expected = f"/staff/{venue.pk}/?visit={visit.pk}&mode=exit&done=exit"
    assert response["Content-Location"] == expected
    assert visit.checkout_method == "staff"
    assert visit.checked_out_at is not None
    html = text_of(response)
    assert '<section class="answer answer-exit" role="status">' in html
    assert "<h2>Exit recorded</h2>" in html
    assert '<p class="person">Born in 1990</p>' in html


def test_exit_of_a_self_scanned_visit_is_confirmed_to_staff(client):
    venue, person, visit = inside_at_a_staffed_door(client, "green")

    response = scan(client, venue, person.iin, mode="exit")

    visit.refresh_from_db()
    assert visit.checkout_method == "staff"
    html = text_of(response)
    assert "<h2>Exit recorded</h2>" in html
    assert '<p class="person">Aigerim S., 1990</p>' in html


def test_scanning_a_person_already_inside_shows_the_answer(client):
    venue, person, visit = inside_at_a_staffed_door(client, "green")

    response = scan(client, venue, person.iin)

    assert response["Content-Location"] == f"/staff/{venue.pk}/?visit={visit.pk}&mode=entry&again=1"
    html = text_of(response)
    assert "<h2>May enter</h2>" in html
    since = timezone.localtime(visit.checked_in_at).strftime("%H:%M")
    assert f"<p>Already inside since {since}.</p>" in html
    assert Visit.objects.get() == visit


def test_exit_for_someone_not_inside_is_refused(client):
    venue = make_venue()
    client.force_login(staff_member(venue))

    response = scan(client, venue, new_iin(), mode="exit")

    assert response.status_code == 200
    assert f'<p class="message error" role="alert">{NOT_INSIDE}</p>' in text_of(response)
    assert Visit.objects.count() == 0


def test_after_a_refusal_the_field_is_empty_for_the_next_scan(client):
    venue = make_venue()
    iin = new_iin()
    client.force_login(staff_member(venue))

    response = scan(client, venue, iin, mode="exit")

    html = response.content.decode()
    assert f'<p class="message error" role="alert">{NOT_INSIDE}</p>' in html
    field = re.search(r'<input type="text" name="q"[^>]*>', html).group(0)
    assert "value=" not in field
    assert iin not in html


def test_exit_does_not_close_a_visit_at_another_venue(client):
    here, elsewhere = make_venue(), make_venue(name="Small")
    iin = new_iin()
    visit = make_visit(elsewhere, iin=iin)
    client.force_login(staff_member(here))

    response = scan(client, here, iin, mode="exit")

    visit.refresh_from_db()
    assert f'<p class="message error" role="alert">{NOT_INSIDE}</p>' in text_of(response)
    assert visit.is_open


def test_exit_is_not_inside_reads_in_the_staff_language(client):
    venue = make_venue()
    client.force_login(staff_member(venue))
    client.cookies["django_language"] = "ru"

    response = scan(client, venue, new_iin(), mode="exit")

    assert translated(NOT_INSIDE, "ru") in text_of(response)


# Double submits, last scans


def test_a_double_submit_with_the_same_nonce_makes_one_visit(client):
    venue = make_venue()
    iin = new_iin()
    client.force_login(staff_member(venue))

    first = scan(client, venue, iin, nonce="f00d")
    second = scan(client, venue, iin, nonce="f00d")

    visit = Visit.objects.get()
    assert first["Content-Location"] == f"/staff/{venue.pk}/?visit={visit.pk}&mode=entry"
    assert second["Content-Location"] == f"/staff/{venue.pk}/?visit={visit.pk}&mode=entry&again=1"


def test_the_last_scans_list_shows_recent_visits_here_with_masked_iins(client):
    venue, elsewhere = make_venue(), make_venue(name="Small")
    staff = staff_member(venue)
    now = timezone.now()
    here = [new_iin() for _ in range(3)]
    for minutes, iin in enumerate(here):
        make_visit(
            venue,
            iin=iin,
            method="staff_iin",
            recorded_by=staff,
            status="blue",
            checked_in_at=now - datetime.timedelta(minutes=10 - minutes),
        )
    other = make_visit(elsewhere, method="staff_iin", recorded_by=staff_member(elsewhere))
    client.force_login(staff)

    html = text_of(client.get(staff_url(venue)))

    assert "<h2>Last scans</h2>" in html
    rows = re.findall(r'<li class="history-item">(.*?)</li>', html)
    assert [re.search(r"\*{8}\d{4}", row).group(0) for row in rows] == [
        masked(iin) for iin in reversed(here)
    ]
    assert all("Blue" in row and "admitted" in row for row in rows)
    assert not [iin for iin in here if iin in html]
    assert masked(other.iin) not in html


@pytest.mark.parametrize(
    ("admitted", "stayed", "ends"),
    [
        (True, None, "· Blue · admitted"),
        (True, 25, "· Blue · admitted · left 09:55"),
        (False, None, "· Blue · denied"),
    ],
    ids=["inside", "left", "denied"],
)
def test_a_last_scan_reads_as_time_iin_status_and_outcome(client, admitted, stayed, ends):
    venue = make_venue()
    staff = staff_member(venue)
    # 09:30 in Almaty (UTC+5), where the page's clock runs.
    entered = datetime.datetime(2026, 3, 12, 4, 30, tzinfo=datetime.UTC)
    left = entered + datetime.timedelta(minutes=stayed) if stayed else None
    visit = make_visit(
        venue,
        method="staff_iin",
        recorded_by=staff,
        status="blue",
        admitted=admitted,
        checked_in_at=entered,
        checked_out_at=left,
    )
    client.force_login(staff)

    with time_machine.travel(entered + datetime.timedelta(hours=1), tick=False):
        html = text_of(client.get(staff_url(venue)))

    dot = '<span class="dot status-blue" aria-hidden="true"></span>'
    assert last_scans(html) == [f"{dot} 09:30 · {masked(visit.iin)} {ends}"]


def last_scans(html: str) -> list[str]:
    return [row.strip() for row in re.findall(r'<li class="history-item">(.*?)</li>', html)]


@pytest.mark.parametrize(("hours_ago", "listed"), [(23, True), (25, False)])
def test_the_last_scans_are_of_the_last_day(client, hours_ago, listed):
    # A row shows the time without the date: yesterday's 09:30 would read as today's.
    venue = make_venue()
    staff = staff_member(venue)
    now = datetime.datetime(2026, 3, 12, 4, 30, tzinfo=datetime.UTC)
    make_visit(
        venue,
        method="staff_iin",
        recorded_by=staff,
        checked_in_at=now - datetime.timedelta(hours=hours_ago),
        checked_out_at=now - datetime.timedelta(hours=hours_ago - 1),
    )
    client.force_login(staff)

    with time_machine.travel(now, tick=False):
        html = text_of(client.get(staff_url(venue)))

    assert len(last_scans(html)) == int(listed)


# Who may use the page


def test_staff_of_another_venue_cannot_open_the_page(client):
    mine, theirs = make_venue(), make_venue(name="Small")
    client.force_login(staff_member(mine))

    assert client.get(staff_url(theirs)).status_code == 404


@pytest.mark.parametrize(
    "fields",
    [
        {"q": "IIN", "mode": "entry"},
        {"q": "IIN", "mode": "exit"},
        {"q": "9001", "mode": "entry"},
    ],
    ids=["entry", "exit", "malformed"],
)
def test_staff_of_another_venue_cannot_check_in_there(client, fields):
    mine, theirs = make_venue(), make_venue(name="Small")
    iin = new_iin()
    visit = make_visit(theirs, iin=iin)
    client.force_login(staff_member(mine))

    response = client.post(staff_url(theirs), {**fields, "q": fields["q"].replace("IIN", iin)})

    visit.refresh_from_db()
    assert response.status_code == 404
    assert Visit.objects.count() == 1
    assert visit.is_open


def test_a_citizen_who_works_nowhere_gets_404(client):
    venue = make_venue()
    client.force_login(citizen("green"))

    assert client.get(staff_url(venue)).status_code == 404
    assert scan(client, venue, new_iin()).status_code == 404
    assert Visit.objects.count() == 0


def test_a_signed_out_visitor_is_sent_to_sign_in(client):
    venue = make_venue()

    get = client.get(staff_url(venue))
    post = scan(client, venue, new_iin())

    expected = f"/accounts/login/code/?next=/staff/{venue.pk}/"
    assert (get.status_code, get["Location"]) == (302, expected)
    assert (post.status_code, post["Location"]) == (302, expected)
    assert Visit.objects.count() == 0


# Rate limit


def test_the_fourth_lookup_in_a_minute_is_refused(client, settings):
    allow_lookups(settings, "3/m/user")
    venue = make_venue()
    client.force_login(staff_member(venue))

    with time_machine.travel(timezone.now(), tick=False):
        answers = [scan(client, venue, new_iin()).status_code for _ in range(3)]
        refused = scan(client, venue, new_iin())

    assert answers == [200, 200, 200]
    assert refused.status_code == 400
    assert f'<p class="error" role="alert">{TOO_MANY}</p>' in text_of(refused)
    assert Visit.objects.count() == 3


def test_the_lookup_limit_is_per_staff_member_and_lifts_after_a_minute(client, settings):
    allow_lookups(settings, "3/m/user")
    venue = make_venue()
    busy, colleague = staff_member(venue), staff_member(venue)

    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client.force_login(busy)
        for _ in range(4):
            scan(client, venue, new_iin())
        client.force_login(colleague)
        colleague_answer = scan(client, venue, new_iin())
        traveller.shift(61)
        client.force_login(busy)
        later = scan(client, venue, new_iin())

    assert colleague_answer.status_code == 200
    assert later.status_code == 200
    assert Visit.objects.count() == 5


def test_the_lookup_limit_message_reads_in_the_staff_language(client, settings):
    allow_lookups(settings, "1/m/user")
    venue = make_venue()
    client.force_login(staff_member(venue))
    client.cookies["django_language"] = "ru"

    with time_machine.travel(timezone.now(), tick=False):
        scan(client, venue, new_iin())
        refused = scan(client, venue, new_iin())

    assert refused.status_code == 400
    assert translated(TOO_MANY, "ru") in text_of(refused)
    assert Visit.objects.count() == 1


# Query budget


@pytest.mark.django_db(transaction=True)
def test_a_staff_check_in_stays_within_the_query_budget(client, assert_num_queries, reference_data):
    # A real transaction, not the test's savepoint: production has no savepoint queries.
    venue, elsewhere = make_venue(), make_venue(name="Small")
    now = timezone.now()
    for _ in range(5):
        make_visit(venue, checked_in_at=now - datetime.timedelta(minutes=30))
    Visit.objects.bulk_create(
        Visit(
            venue=elsewhere,
            iin=new_iin(),
            method="self_scan",
            status="green",
            admitted=True,
            checked_in_at=now - datetime.timedelta(days=1, minutes=minute),
            checked_out_at=now - datetime.timedelta(days=1),
        )
        for minute in range(300)
    )
    person = citizen("green")
    client.force_login(staff_member(venue))

    # The account (from the cache once it is warm), the venue lock, the reads
    # after it, the visit and COMMIT; the session comes from Redis in production.
    # Then the page it answers with: the venue (from the cache once it is
    # warm: test_door_budgets.py), the last scans with whether anyone is flagged.
    with assert_num_queries(6 + visit_writes() + session_queries()):
        response = scan(client, venue, person.iin, nonce="budget")

    visit = Visit.objects.get(nonce="budget")
    assert response["Content-Location"] == f"/staff/{venue.pk}/?visit={visit.pk}&mode=entry"
    assert (visit.user, visit.admitted) == (person, True)


def test_a_scan_at_a_venue_that_does_not_exist_is_a_404(client):
    venue = make_venue()
    client.force_login(staff_member(venue))
    missing = make_venue()
    missing_id = missing.pk
    missing.delete()

    response = client.post(f"/staff/{missing_id}/", {"q": new_iin(), "mode": "entry"})

    assert response.status_code == 404
    assert Visit.objects.count() == 0
