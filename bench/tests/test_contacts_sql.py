"""The benchmark's hand-written tracing statement: the ORM's answer, from the indexes."""

import datetime
import re
import zoneinfo

import pytest
from django.db import connection

from accounts.models import User
from bench.contacts_sql import contacts_sql, contacts_statement
from visits.tests.conftest import (
    busy_table_case,
    make_venue,
    needs_postgresql,
    new_iin,
    random_visits,
)
from visits.tracing import contacts_find

NOW = datetime.datetime(2021, 9, 20, 12, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Almaty"))

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("days", "minutes"), [(14, 15), (3, 1), (14, 60)])
def test_contacts_sql_gives_the_same_answer_as_the_orm(days, minutes):
    venues = [make_venue(name=f"Venue {number}") for number in range(5)]
    venues[0].max_stay = datetime.timedelta(hours=1)
    venues[0].save(update_fields=["max_stay"])
    people = [new_iin() for _ in range(40)]
    for number, iin in enumerate(people[:10]):
        User.objects.create_user(f"+7707{number:07d}", iin=iin)
    random_visits(venues, people, 600, seed=days * 100 + minutes, now=NOW)
    min_overlap = datetime.timedelta(minutes=minutes)

    for case in people[:8]:
        orm = contacts_find(case_iin=case, now=NOW, days=days, min_overlap=min_overlap)
        sql = contacts_sql(case_iin=case, now=NOW, days=days, min_overlap=min_overlap)

        assert sql == orm
    assert any(contacts_find(case_iin=case, now=NOW) for case in people[:8])


def test_contacts_statement_reads_the_indexes_not_the_whole_table():
    needs_postgresql()
    case = busy_table_case(NOW)
    sql, params, _as_time = contacts_statement(case_iin=case, now=NOW)

    with connection.cursor() as cursor:
        # A table of 2 000 rows is read whole as cheaply as through an index,
        # and autovacuum's statistics of the tests' own tables tip the choice
        # either way; at 10 M rows only an index can answer. With sequential
        # scans priced out, a statement no index fits still shows one.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    # Both sides come from indexes: the case's visits from (iin, time), the
    # others per case visit from a venue index; on a table this small the
    # planner may prefer the plain venue_id index to (venue, time). Each day's
    # partition has its own copies of the indexes, named after it.
    iin_time = r"(visit_iin_time|visits_visit_\w+_iin_checked_in_at_idx)"
    venue = r"(visit_venue_time|visits_visit_venue_id_|visits_visit_\w+_venue_id_\w*idx)"
    assert re.search(rf"(Bitmap Index Scan on|Index Scan using) {iin_time}", plan), plan
    assert re.search(rf"Index Scan (on|using) {venue}", plan), plan
    # On PostgreSQL the empty partitions of other days are scanned at no cost;
    # the one holding the rows (2021, conftest.TEST_PARTITIONS) must not be.
    assert not re.search(r"Seq Scan on visits_visit(_y2021)? ", plan), plan
