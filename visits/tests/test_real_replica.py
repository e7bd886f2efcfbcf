"""The reports against a real streaming replica (TEST_REPLICA_URL; .ci/run starts one).

test_replica.py checks the routing with a mirror connection; these run the
same pages on a physical standby that lags the primary, so a test waits for
the replay (`replica_caught_up`) before it reads. Skipped without a replica.
"""

import pytest
from django.db import DatabaseError, connections
from django.urls import reverse

from visits.tests.test_replica import Queries, case_at_a_venue, epidemiologist

pytestmark = [
    pytest.mark.replica,
    pytest.mark.django_db(transaction=True, databases=["default", "replica"]),
]

__all__ = ["case_at_a_venue"]


def ask(alias: str, sql: str) -> tuple:
    with connections[alias].cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()


def test_the_replica_alias_is_a_standby_reading_the_test_database():
    test_database = connections["default"].settings_dict["NAME"]

    assert ask("default", "SELECT pg_is_in_recovery(), current_database()") == (
        False,
        test_database,
    )
    assert ask("replica", "SELECT pg_is_in_recovery(), current_database()") == (
        True,
        test_database,
    )


def test_the_replica_refuses_a_write():
    with pytest.raises(DatabaseError, match="read-only"):
        ask("replica", "CREATE TABLE never_here (id int)")


def test_tracing_on_the_replica_finds_the_contact_once_replayed(
    client, case_at_a_venue, replica_caught_up
):
    _, case, contact = case_at_a_venue
    client.force_login(epidemiologist())
    replica_caught_up()

    with Queries() as queries:
        response = client.get(reverse("admin:visits_visit_tracing"), {"iin": case})

    assert response.status_code == 200
    assert contact[-4:] in response.content.decode()
    assert queries.touching(queries.replica, "visits_visit")


def test_the_export_on_the_replica_lists_both_visits(client, case_at_a_venue, replica_caught_up):
    venue = case_at_a_venue[0]
    client.force_login(venue.organisation.admin)
    replica_caught_up()

    with Queries() as queries:
        csv = client.get(reverse("visits:venue_export", args=[venue.pk]))
        body = b"".join(csv.streaming_content) if csv.streaming else csv.content

    assert csv.status_code == 200
    assert body.count(b"\n") == 3  # a header and both visits
    assert queries.touching(queries.replica, "visits_visit")
    assert queries.touching(queries.primary, "visits_visit") == []
