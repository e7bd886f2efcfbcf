"""The occupancy counter on the venue row (visits/occupancy.py): every path that
opens or closes an admitted visit keeps it, under the venue's lock."""

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections, transaction
from django.utils import timezone

from accounts.models import User
from venues.models import Venue
from visits import services
from visits.models import Visit
from visits.occupancy import venues_reconcile_occupancy
from visits.services import visit_check_in, visit_check_out_by_staff, visit_check_out_self
from visits.tests.conftest import citizen, make_venue, make_visit, new_iin
from visits.tests.test_capacity import needs_postgresql

pytestmark = pytest.mark.django_db


def occupancy(*venues: Venue) -> list[int]:
    return [Venue.objects.get(pk=venue.pk).occupancy for venue in venues]


def enter(venue: Venue, iin: str, user: User | None = None):
    return visit_check_in(venue_id=venue.pk, iin=iin, user=user, method="self_scan")


@pytest.mark.parametrize(
    ("status", "inside_before", "after"),
    [
        ("green", False, 1),  # admitted
        ("red", False, 0),  # denied: nobody came in
        ("green", True, 1),  # a re-scan of someone inside who may stay
        ("red", True, 0),  # inside, refused on a new scan: the stay ends
    ],
)
def test_a_check_in_changes_the_count_by_the_people_it_lets_in_or_out(status, inside_before, after):
    venue, person = make_venue(), citizen(status)
    if inside_before:
        make_visit(venue, iin=person.iin, user=person)

    enter(venue, person.iin, person)

    assert occupancy(venue) == [after]
    assert Visit.objects.filter(venue=venue, admitted=True, checked_out_at=None).count() == after


def test_every_exit_takes_one_off():
    venue, person, walk_in = make_venue(), citizen("green"), new_iin()
    mine = enter(venue, person.iin, person).visit
    enter(venue, walk_in)
    assert occupancy(venue) == [2]

    assert visit_check_out_self(visit_id=mine.pk, user=person) == 1
    assert visit_check_out_self(visit_id=mine.pk, user=person) == 0
    visit_check_out_by_staff(venue_id=venue.pk, iin=walk_in, staff=venue.organisation.admin)

    assert occupancy(venue) == [0]


@pytest.mark.parametrize("lower_first", [True, False])
def test_moving_to_another_venue_takes_the_person_off_the_first(lower_first):
    first, second = make_venue(name="First"), make_venue(name="Second")
    if not lower_first:
        first, second = second, first
    person = citizen("green")
    left = enter(first, person.iin, person).visit

    enter(second, person.iin, person)

    left.refresh_from_db()
    assert (left.checkout_method, occupancy(first, second)) == ("moved", [0, 1])


@pytest.fixture
def attempts(monkeypatch) -> list[tuple[int, ...]]:
    """The venues each attempt of a check-in locked first: one entry per attempt."""
    seen: list[tuple[int, ...]] = []
    attempt = services._visit_check_in

    def counted(**arguments):
        seen.append(tuple(arguments.get("lock_first", ())))
        return attempt(**arguments)

    monkeypatch.setattr(services, "_visit_check_in", counted)
    return seen


def moved_out_of_a_lower_venue() -> tuple[Venue, Venue, User]:
    lower, higher = make_venue(name="Lower"), make_venue(name="Higher")
    assert lower.pk < higher.pk
    person = citizen("green")
    enter(lower, person.iin, person)
    return lower, higher, person


@pytest.mark.django_db(transaction=True)
def test_a_move_out_of_a_free_lower_venue_takes_its_lock_at_once(attempts):
    """Taken without waiting, the lower venue's lock closes no circle of waits:
    the check-in need not start again (a move is every other check-in of
    someone who never taps "exit")."""
    lower, higher, person = moved_out_of_a_lower_venue()
    attempts.clear()

    enter(higher, person.iin, person)

    assert attempts == [()]
    assert occupancy(lower, higher) == [0, 1]
    assert Visit.objects.get(venue=lower).checkout_method == "moved"


@pytest.mark.django_db(transaction=True)
def test_a_move_out_of_a_busy_lower_venue_starts_again_locking_it_first(attempts):
    """Someone holds the lower venue (a check-in there): waiting for it while
    holding the higher one could deadlock, so the check-in lets go and waits
    for the lower one first."""
    needs_postgresql()
    lower, higher, person = moved_out_of_a_lower_venue()
    attempts.clear()
    holding, release = threading.Event(), threading.Event()

    def hold_lower():
        try:
            with transaction.atomic():
                list(Venue.objects.select_for_update().filter(pk=lower.pk))
                holding.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        holder = pool.submit(hold_lower)
        assert holding.wait(timeout=30)
        threading.Timer(0.3, release.set).start()
        started = time.monotonic()
        result = enter(higher, person.iin, person)
        waited = time.monotonic() - started
        holder.result()

    assert result.decision.admitted
    assert attempts == [(), (lower.pk,)]
    assert waited >= 0.25
    assert occupancy(lower, higher) == [0, 1]
    assert Visit.objects.get(venue=lower).checkout_method == "moved"


def test_the_check_in_reads_the_counter_not_the_visits():
    venue = make_venue(capacity=2)
    Venue.objects.filter(pk=venue.pk).update(occupancy=2)  # no visit rows at all

    result = enter(venue, new_iin())

    assert result.decision.code == "full"


def test_drift_is_logged_once_per_venue_and_fixed(caplog):
    counted, forgotten, fine = make_venue(), make_venue(), make_venue()
    for venue in (counted, counted, fine):
        make_visit(venue)
    Visit.objects.create(  # written around the counter (the admin, a restore)
        venue=forgotten,
        iin=new_iin(),
        method="self_scan",
        status="green",
        admitted=True,
        checked_in_at=timezone.now(),
    )
    Venue.objects.filter(pk=counted.pk).update(occupancy=5)

    with caplog.at_level(logging.WARNING, logger="visits.occupancy"):
        fixed = venues_reconcile_occupancy()

    assert fixed == 2
    assert occupancy(counted, forgotten, fine) == [2, 1, 1]
    assert sorted(record.getMessage() for record in caplog.records) == [
        f"occupancy drift venue={counted.pk} counter=5 open_visits=2 fixed",
        f"occupancy drift venue={forgotten.pk} counter=0 open_visits=1 fixed",
    ]
    assert venues_reconcile_occupancy() == 0


PAIRS = 15


@pytest.mark.django_db(transaction=True)
def test_people_moving_both_ways_between_two_venues_at_once_never_deadlock():
    """Half move from A to B while the other half move from B to A: each check-in
    must lock both venues, and in one order, or two of them wait for each other."""
    needs_postgresql()
    a, b = make_venue(name="A", capacity=1000), make_venue(name="B", capacity=1000)
    people = [User.objects.create_user(f"+7706{n:07d}", iin=new_iin()) for n in range(2 * PAIRS)]
    moves = []
    for n, person in enumerate(people):
        origin, target = (a, b) if n % 2 else (b, a)
        enter(origin, person.iin, person)
        moves.append((target, person))
    start = threading.Barrier(len(moves))

    def move(target_and_person):
        target, person = target_and_person
        try:
            start.wait(timeout=30)
            return enter(target, person.iin, person).decision.code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(moves)) as pool:
        codes = list(pool.map(move, moves))

    assert codes == ["admitted"] * len(moves)
    assert occupancy(a, b) == [PAIRS, PAIRS]
    for venue in (a, b):
        assert (
            Visit.objects.filter(venue=venue, admitted=True, checked_out_at=None).count() == PAIRS
        )
    assert Visit.objects.filter(checkout_method="moved").count() == 2 * PAIRS
