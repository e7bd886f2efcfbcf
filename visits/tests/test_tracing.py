"""Contact tracing (docs/rules.md §5): the overlap arithmetic, the query, and marking contacts."""

import datetime
import re

import pytest
from django.utils import translation

from accounts.models import User
from accounts.tests.constants import ALMATY, DAY, HOUR, MINUTE, NOW
from visits.tests.conftest import busy_table_case, make_venue, make_visit, needs_postgresql, new_iin
from visits.tracing import (
    Account,
    Overlap,
    candidate_visits,
    case_visits,
    contacts_find,
    is_contact,
    overlap,
    visit_end,
    whole_minutes,
)

MAX_STAY = 3 * HOUR
THRESHOLD = 15 * MINUTE


def at(hour: int, minute: int = 0, day: int = 20) -> datetime.datetime:
    return datetime.datetime(2021, 9, day, hour, minute, tzinfo=ALMATY)


@pytest.fixture(autouse=True)
def _frozen(time_machine, settings):
    settings.TIME_ZONE = "Asia/Almaty"
    time_machine.move_to(NOW, tick=False)
    with translation.override("en"):
        yield


# The arithmetic, as a table.


@pytest.mark.parametrize(
    ("checked_in_at", "checked_out_at", "expected"),
    [
        pytest.param(at(10), at(11), at(11), id="checked out"),
        pytest.param(at(11), None, NOW, id="open, inside the maximum stay: now"),
        pytest.param(at(8), None, at(11), id="open past the maximum stay: entry + stay"),
        pytest.param(at(9), None, NOW, id="open exactly the maximum stay"),
        pytest.param(at(7), at(11), at(10), id="checked out late: entry + stay"),
    ],
)
def test_visit_end(checked_in_at, checked_out_at, expected):
    assert visit_end(checked_in_at, checked_out_at, MAX_STAY, NOW) == expected


@pytest.mark.parametrize(
    ("contact", "case", "minutes", "contact_at_15"),
    [
        pytest.param((at(11), at(11, 30)), (at(10), at(11)), 0, False, id="touching after"),
        pytest.param((at(9, 30), at(10)), (at(10), at(11)), 0, False, id="touching before"),
        pytest.param((at(8), at(9)), (at(10), at(11)), 0, False, id="apart"),
        pytest.param((at(10, 46), at(11, 30)), (at(10), at(11)), 14, False, id="14 minutes"),
        pytest.param((at(10, 45), at(11, 30)), (at(10), at(11)), 15, True, id="15 minutes"),
        pytest.param((at(10, 44), at(11, 30)), (at(10), at(11)), 16, True, id="16 minutes"),
        pytest.param((at(10, 10), at(10, 20)), (at(10), at(11)), 10, False, id="inside, short"),
        pytest.param((at(9), at(12)), (at(10), at(11)), 60, True, id="around the case"),
    ],
)
def test_overlap_and_contact_at_threshold_15(contact, case, minutes, contact_at_15):
    shared = overlap(*contact, *case)

    assert whole_minutes(shared) == minutes
    assert is_contact(shared, THRESHOLD) is contact_at_15


def test_is_contact_touching_is_never_a_contact_even_at_threshold_0():
    assert is_contact(overlap(at(10), at(11), at(11), at(12)), datetime.timedelta(0)) is False


def test_is_contact_one_second_short_of_the_threshold():
    assert is_contact(THRESHOLD - datetime.timedelta(seconds=1), THRESHOLD) is False


# The query.


@pytest.fixture
def venue(db):
    return make_venue(name="Магнум", name_kk="Магнум", name_ru="Магнум", name_en="Magnum")


@pytest.fixture
def case(venue) -> str:
    iin = new_iin()
    make_visit(venue, iin=iin, checked_in_at=at(10), checked_out_at=at(11))
    return iin


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("contact_in", "contact_out", "expected"),
    [
        pytest.param(at(11), at(11, 30), None, id="touching: 0 minutes"),
        pytest.param(at(10, 46), at(11, 30), None, id="14 minutes"),
        pytest.param(at(10, 45), at(11, 30), (at(11, 30), 15), id="15 minutes"),
        pytest.param(at(10, 44), at(11, 30), (at(11, 30), 16), id="16 minutes"),
        pytest.param(at(10, 30), None, (NOW, 30), id="still open: ends now"),
        pytest.param(at(7, 30), None, (at(10, 30), 30), id="open past the stay: ends at 3 h"),
        pytest.param(at(7, 30), at(11), (at(10, 30), 30), id="late exit counts up to 3 h"),
        pytest.param(at(7), None, None, id="entered one maximum stay before: touching"),
    ],
)
def test_contacts_find_boundaries(venue, case, contact_in, contact_out, expected):
    contact = new_iin()
    make_visit(venue, iin=contact, checked_in_at=contact_in, checked_out_at=contact_out)

    found = contacts_find(case_iin=case, now=NOW)

    if expected is None:
        assert found == []
    else:
        contact_end, minutes = expected
        assert [(c.iin, [(o.contact_end, o.minutes) for o in c.overlaps]) for c in found] == [
            (contact, [(contact_end, minutes)])
        ]


@pytest.mark.django_db
def test_contacts_find_while_the_case_is_still_inside(venue):
    case = new_iin()
    contact = new_iin()
    make_visit(venue, iin=case, checked_in_at=at(11, 30))
    make_visit(venue, iin=contact, checked_in_at=at(11), checked_out_at=at(11, 50))

    found = contacts_find(case_iin=case, now=NOW)

    assert [(c.iin, c.overlaps[0].case_end, c.minutes) for c in found] == [(contact, NOW, 20)]


@pytest.mark.django_db
def test_contacts_find_returns_venue_both_ranges_and_the_account(venue, case):
    person = User.objects.create_user(
        "+77011112233", iin=new_iin(), full_name="Дана Касымова", language="kk"
    )
    make_visit(venue, iin=person.iin, checked_in_at=at(9, 30), checked_out_at=at(10, 40))

    found = contacts_find(case_iin=case, now=NOW)

    assert len(found) == 1
    assert found[0].iin == person.iin
    assert found[0].account == Account(
        full_name="Дана Касымова", phone="+77011112233", language="kk"
    )
    assert found[0].overlaps == (
        Overlap(
            venue_id=venue.pk,
            venue_name="Magnum",
            contact_start=at(9, 30),
            contact_end=at(10, 40),
            case_start=at(10),
            case_end=at(11),
        ),
    )
    assert (found[0].minutes, found[0].last_contact_end) == (40, at(10, 40))
    with translation.override("kk"):
        assert contacts_find(case_iin=case, now=NOW)[0].overlaps[0].venue_name == "Магнум"


@pytest.mark.django_db
def test_contacts_find_ignores_other_venues_denied_visits_and_the_case_itself(venue, case):
    elsewhere = make_venue(name="Small")
    make_visit(elsewhere, iin=new_iin(), checked_in_at=at(10), checked_out_at=at(11))
    make_visit(
        venue,
        iin=new_iin(),
        checked_in_at=at(10),
        admitted=False,
        status="red",
        denial_code="red",
    )
    # The case's own other visits, here and elsewhere, are never contacts.
    make_visit(venue, iin=case, checked_in_at=at(8), checked_out_at=at(9))
    make_visit(elsewhere, iin=case, checked_in_at=at(11, 10), checked_out_at=at(11, 40))

    assert contacts_find(case_iin=case, now=NOW) == []


@pytest.mark.django_db
def test_contacts_find_window_edges(venue):
    case = new_iin()
    inside, outside = new_iin(), new_iin()
    # The case's visit that began exactly 14 days ago counts; one a second older does not.
    edge = NOW - 14 * DAY
    make_visit(venue, iin=case, checked_in_at=edge, checked_out_at=edge + HOUR)
    make_visit(venue, iin=inside, checked_in_at=edge, checked_out_at=edge + HOUR)
    other = make_venue(name="Other")
    early = edge - datetime.timedelta(seconds=1)
    make_visit(other, iin=case, checked_in_at=early, checked_out_at=early + HOUR)
    make_visit(other, iin=outside, checked_in_at=early, checked_out_at=early + HOUR)

    assert [c.iin for c in contacts_find(case_iin=case, now=NOW)] == [inside]
    assert [c.iin for c in contacts_find(case_iin=case, now=NOW, days=15)] == [inside, outside]


@pytest.mark.django_db
def test_contacts_find_groups_a_person_met_twice_and_puts_the_longest_first(venue, case):
    cafe = make_venue(name="Cafe")
    make_visit(cafe, iin=case, checked_in_at=at(11, 10), checked_out_at=at(11, 50))
    twice, once = new_iin(), new_iin()
    make_visit(venue, iin=twice, checked_in_at=at(10, 30), checked_out_at=at(10, 50))
    make_visit(cafe, iin=twice, checked_in_at=at(11, 20), checked_out_at=at(11, 40))
    make_visit(venue, iin=once, checked_in_at=at(10), checked_out_at=at(10, 30))

    found = contacts_find(case_iin=case, now=NOW)

    assert [
        (c.iin, c.minutes, [o.venue_name for o in c.overlaps], c.last_contact_end) for c in found
    ] == [
        (twice, 40, ["Magnum", "Cafe"], at(11, 40)),
        (once, 30, ["Magnum"], at(10, 30)),
    ]


@pytest.mark.django_db
def test_contacts_find_takes_three_queries(venue, case, assert_num_queries):
    for minute in range(0, 60, 5):
        make_visit(venue, iin=new_iin(), checked_in_at=at(10, minute), checked_out_at=at(11))

    # The case's visits, the visits that overlap them, the contacts' accounts.
    with assert_num_queries(3):
        found = contacts_find(case_iin=case, now=NOW)

    assert len(found) == 10


@pytest.mark.django_db
def test_contacts_find_of_a_person_without_visits_is_empty(assert_num_queries):
    with assert_num_queries(1):
        assert contacts_find(case_iin=new_iin(), now=NOW) == []


@pytest.fixture
def busy_table(db) -> str:
    return busy_table_case(NOW)


# On PostgreSQL each day's partition has its own copy of the index, named after it.
INDEX_SCAN = re.compile(
    r"(Bitmap Index Scan on|Index Scan using|Index Only Scan using) "
    r"(visit_venue_time|visits_visit_\w+_venue_id_checked_in_at_idx)"
)


@pytest.mark.django_db
def test_candidate_query_reads_the_venue_time_index_not_the_whole_table(busy_table):
    needs_postgresql()
    case = busy_table
    query = candidate_visits(case, case_visits(case, now=NOW)).values_list(
        "iin", "venue_id", "checked_in_at", "checked_out_at"
    )

    plan = query.explain()

    assert INDEX_SCAN.search(plan), plan
    assert "Seq Scan on visits_visit" not in plan, plan
