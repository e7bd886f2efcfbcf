"""docs/rules.md §4: 200 people pressing "Enter" at a 50-place venue at once admit exactly 50."""

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections, transaction

from accounts.models import User
from visits.models import Visit
from visits.services import visit_check_in
from visits.tests.conftest import make_venue, new_iin

PEOPLE = 200
PLACES = 50
# Below PostgreSQL's default max_connections (100), with room for the test's own.
THREADS = 40


def needs_postgresql() -> None:
    if connection.vendor != "postgresql":
        if os.environ.get("CI"):
            pytest.fail("The capacity test must run on PostgreSQL in CI (set DATABASE_URL).")
        pytest.skip("SQLite serialises every write; this test needs PostgreSQL (DATABASE_URL).")


@pytest.mark.django_db(transaction=True)
def test_concurrent_entries_admit_exactly_the_capacity():
    needs_postgresql()
    _two_hundred_at_fifty_places()


@pytest.fixture
def repeatable_read_by_default():
    """The test database's default isolation level set to REPEATABLE READ for the
    connections opened from now on (each thread opens its own), as a server
    configured that way would have it."""
    needs_postgresql()
    name = connection.settings_dict["NAME"]
    with connection.cursor() as cursor:
        cursor.execute(
            f"ALTER DATABASE \"{name}\" SET default_transaction_isolation = 'repeatable read'"
        )
    connections.close_all()
    yield
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER DATABASE "{name}" RESET default_transaction_isolation')
    connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_capacity_holds_when_the_server_defaults_to_repeatable_read(repeatable_read_by_default):
    with connection.cursor() as cursor:
        cursor.execute("SHOW default_transaction_isolation")
        default = cursor.fetchone()[0]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SHOW transaction_isolation")
        in_a_transaction = cursor.fetchone()[0]
    assert (default, in_a_transaction) == ("repeatable read", "read committed")

    _two_hundred_at_fifty_places()


def _two_hundred_at_fifty_places() -> None:
    venue = make_venue(capacity=PLACES, category="mall")
    people = [
        User.objects.create_user(f"+7705{number:07d}", iin=new_iin()) for number in range(PEOPLE)
    ]
    start = threading.Barrier(THREADS)

    def enter(batch: list[User]) -> list[str]:
        try:
            start.wait(timeout=30)
            return [
                visit_check_in(
                    venue_id=venue.pk,
                    iin=person.iin,
                    user=person,
                    method=Visit.Method.SELF_SCAN,
                    nonce=f"n-{person.pk}",
                ).decision.code
                for person in batch
            ]
        finally:
            connections.close_all()

    batches = [people[i::THREADS] for i in range(THREADS)]
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        codes = [code for batch in pool.map(enter, batches) for code in batch]

    assert codes.count("admitted") == PLACES
    assert codes.count("full") == PEOPLE - PLACES
    assert Visit.objects.filter(venue=venue, admitted=True).count() == PLACES
    assert Visit.objects.filter(venue=venue, admitted=False, denial_code="full").count() == 150
