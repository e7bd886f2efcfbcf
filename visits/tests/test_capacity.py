"""SPEC §4: 200 people pressing "Enter" at a 50-place venue at once admit exactly 50."""

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

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
