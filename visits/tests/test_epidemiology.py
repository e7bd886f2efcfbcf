"""Reports for epidemiologists (docs/rules.md §3, §5): hot spots, denied attempts, idle venues."""

import datetime

import pytest

from accounts.models import User
from accounts.tests.constants import ALMATY, DAY, HOUR, NOW
from statuses.models import StatusRecord
from visits.epidemiology import denied_attempts, hot_spots, idle_venues, person_overview
from visits.models import IsolationPoint
from visits.tests.conftest import make_venue, make_visit, new_iin

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen(time_machine, settings):
    settings.TIME_ZONE = "Asia/Almaty"
    time_machine.move_to(NOW, tick=False)


def red(iin: str, valid_from: datetime.datetime, **fields) -> StatusRecord:
    values = {"valid_until": valid_from + 10 * DAY, "source": "pcr_positive"}
    values.update(fields)
    return StatusRecord.objects.create(iin=iin, status="red", valid_from=valid_from, **values)


def test_hot_spots_count_visits_of_people_red_then_or_within_three_days():
    market, cafe, quiet = make_venue(name="Market"), make_venue(name="Cafe"), make_venue()
    visit_at = NOW - 5 * DAY
    # Tested before the visit, result recorded later: red at entry as known now.
    sample_before = new_iin()
    red(sample_before, visit_at - DAY)
    make_visit(market, iin=sample_before, checked_in_at=visit_at, status="blue")
    make_visit(market, iin=sample_before, checked_in_at=visit_at + HOUR, status="blue")
    # Turned red two days, and exactly three days, after the visit.
    two_days = new_iin()
    red(two_days, visit_at + 2 * DAY)
    make_visit(market, iin=two_days, checked_in_at=visit_at)
    three_days = new_iin()
    red(three_days, visit_at + 3 * DAY)
    make_visit(cafe, iin=three_days, checked_in_at=visit_at)
    # None of these count.
    four_days = new_iin()
    red(four_days, visit_at + 4 * DAY)
    make_visit(quiet, iin=four_days, checked_in_at=visit_at)
    recovered = new_iin()
    red(recovered, visit_at - 20 * DAY)
    make_visit(quiet, iin=recovered, checked_in_at=visit_at)
    lifted = new_iin()
    red(lifted, visit_at - DAY, lifted_at=visit_at - HOUR, lift_reason="sample mix-up")
    make_visit(quiet, iin=lifted, checked_in_at=visit_at)
    denied = new_iin()
    red(denied, visit_at - DAY)
    make_visit(quiet, iin=denied, checked_in_at=visit_at, status="red", admitted=False)
    too_old = new_iin()
    red(too_old, NOW - 16 * DAY)
    make_visit(quiet, iin=too_old, checked_in_at=NOW - 15 * DAY)

    spots = hot_spots(now=NOW)

    assert [(spot.venue, spot.visits, spot.people) for spot in spots] == [
        (market, 3, 2),
        (cafe, 1, 1),
    ]


def test_hot_spots_window_is_configurable():
    market = make_venue(name="Market")
    case = new_iin()
    red(case, NOW - 20 * DAY)
    make_visit(market, iin=case, checked_in_at=NOW - 15 * DAY, status="blue")

    assert hot_spots(now=NOW) == []
    assert [(spot.venue, spot.visits) for spot in hot_spots(now=NOW, days=16)] == [(market, 1)]


def test_denied_attempts_by_venue_and_local_day():
    market, pharmacy = make_venue(name="Market"), make_venue(name="Pharmacy")
    yesterday_late = datetime.datetime(2021, 9, 19, 23, 30, tzinfo=ALMATY)
    today_early = datetime.datetime(2021, 9, 20, 0, 30, tzinfo=ALMATY)

    def denial(venue, status, when, code="red"):
        make_visit(venue, checked_in_at=when, status=status, admitted=False, denial_code=code)

    denial(market, "red", yesterday_late)
    denial(market, "red", today_early)
    denial(market, "red", today_early + HOUR)
    denial(market, "yellow", today_early, code="yellow_not_essential")
    denial(pharmacy, "yellow", yesterday_late, code="yellow_too_far")
    # Not counted: other statuses, admitted visits, older than the window.
    denial(market, "blue", today_early, code="pcr_required")
    make_visit(market, checked_in_at=today_early, status="yellow")
    denial(pharmacy, "red", NOW - 15 * DAY)

    rows = denied_attempts(now=NOW)

    assert [(row.day, row.venue, row.red, row.yellow, row.total) for row in rows] == [
        (datetime.date(2021, 9, 20), market, 2, 1, 3),
        (datetime.date(2021, 9, 19), market, 1, 0, 1),
        (datetime.date(2021, 9, 19), pharmacy, 0, 1, 1),
    ]


def test_idle_venues_past_test_mode_without_check_ins_for_14_days():
    never = make_venue(name="Never used")
    long_ago = make_venue(name="Long ago")
    make_visit(long_ago, checked_in_at=NOW - 15 * DAY)
    make_visit(long_ago, checked_in_at=NOW - 20 * DAY)
    only_denials = make_venue(name="Only denials")
    make_visit(only_denials, checked_in_at=NOW - 2 * DAY, admitted=False, denial_code="full")
    busy = make_venue(name="Busy")
    make_visit(busy, checked_in_at=NOW - 13 * DAY)
    make_venue(name="New", test_mode_until=NOW + DAY)
    make_venue(name="Closed", suspended=True)

    idle = idle_venues(now=NOW)

    assert [(row.venue, row.last_visit) for row in idle] == [
        (never, None),
        (long_ago, NOW - 15 * DAY),
    ]


def test_idle_venues_follows_the_setting(settings):
    settings.VENUE_IDLE_DAYS = 3
    venue = make_venue()
    make_visit(venue, checked_in_at=NOW - 4 * DAY)

    assert [row.venue for row in idle_venues(now=NOW)] == [venue]


def test_person_overview_collects_status_history_isolation_and_visits():
    venue = make_venue()
    person = User.objects.create_user("+77011112233", iin=new_iin(), full_name="Dana")
    record = red(person.iin, NOW - DAY)
    point = IsolationPoint.objects.create(
        iin=person.iin, address="Abai 1", latitude="43.2", longitude="76.9"
    )
    later = make_visit(venue, iin=person.iin, checked_in_at=NOW - HOUR)
    earlier = make_visit(venue, iin=person.iin, checked_in_at=NOW - 2 * DAY)
    make_visit(venue, checked_in_at=NOW - HOUR)

    overview = person_overview(iin=person.iin, user=person, now=NOW)

    assert (overview.iin, overview.user, overview.status.status.value) == (
        person.iin,
        person,
        "red",
    )
    assert overview.history == [record]
    assert overview.isolation_point == point
    assert overview.visits == [later, earlier]
    assert overview.more_visits is False


def test_person_overview_of_an_account_without_iin():
    person = User.objects.create_user("+77011112233")

    overview = person_overview(iin="", user=person, now=NOW)

    assert (overview.iin, overview.user, overview.status, overview.visits) == (
        "",
        person,
        None,
        [],
    )
