"""Visits partitioned by day on PostgreSQL (visits/partitions.py, migration 0006)."""

import datetime
import re

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from conftest import TEST_PARTITIONS, visit_partitions_for_tests
from statuses.models import StatusRecord
from venues.models import Venue
from visits import partitions
from visits.jobs import visits_delete_old
from visits.models import InsideAlert, Visit, VisitNonce
from visits.tests.conftest import give_status, make_venue, make_visit, new_iin

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="SQLite keeps the plain table of visits"
    ),
]

DAY = datetime.timedelta(days=1)
FAR = datetime.datetime(2027, 2, 10, 9, 30, tzinfo=datetime.UTC)


def names() -> set[str]:
    return set(partitions.partition_names())


def test_the_job_makes_today_and_the_week_ahead_once():
    created = partitions.visits_partitions_create_ahead(FAR)

    assert created == [f"visits_visit_p202702{day}" for day in range(10, 18)]
    assert partitions.visits_partitions_create_ahead(FAR + DAY) == ["visits_visit_p20270218"]
    assert partitions.visits_partitions_create_ahead(FAR + DAY) == []
    make_visit(make_venue(), checked_in_at=FAR + DAY)  # tomorrow's partition is there


def test_a_day_without_a_partition_is_refused_not_stored_elsewhere():
    venue = make_venue()

    with pytest.raises(DatabaseError, match="no partition"), transaction.atomic():
        make_visit(venue, checked_in_at=FAR + 30 * DAY)


def test_retention_drops_the_days_past_the_period_with_their_alerts():
    now = timezone.now()
    venue, iin = make_venue(), new_iin()
    give_status(iin, "red")
    old = make_visit(venue, iin=iin, checked_in_at=now - 40 * DAY)
    InsideAlert.objects.create(
        visit=old,
        record=StatusRecord.objects.get(iin=iin),
        status="red",
        denial_code="red",
        created_at=now,
    )
    kept = make_visit(venue, checked_in_at=now - 29 * DAY)
    edge = (now - 30 * DAY).astimezone(datetime.UTC).date()

    before = names()

    days = visits_delete_old(now)

    dropped = before - names()
    assert days == len(dropped)
    assert partitions.daily_name(edge - 10 * DAY) in dropped
    # The day the period ends in is kept whole, so nothing younger goes.
    assert partitions.daily_name(edge - DAY) in dropped
    assert partitions.daily_name(edge) in names()
    assert partitions.daily_name(edge) not in dropped
    assert list(Visit.objects.values_list("pk", flat=True)) == [kept.pk]
    assert not InsideAlert.objects.exists()


@pytest.fixture
def partitions_restored():
    """Tests that commit drop or rebuild partitions for real: the next tests need
    the test database's (conftest.py) again, and no daily ones inside its ranges."""
    yield
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE visits_visit")
        for name in partitions.partition_names():
            day = re.fullmatch(r"visits_visit_p(\d{8})", name)
            if day and any(
                start <= datetime.datetime.strptime(day.group(1), "%Y%m%d").date() < end
                for _, start, end in TEST_PARTITIONS
            ):
                cursor.execute(f'DROP TABLE "{name}"')
    visit_partitions_for_tests()


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_a_day_is_detached_concurrently(reference_data, partitions_restored):
    now = timezone.now()
    make_visit(make_venue(), checked_in_at=now - 35 * DAY)
    day = partitions.daily_name((now - 35 * DAY).astimezone(datetime.UTC).date())

    assert day in names()

    assert visits_delete_old(now) >= 1
    assert day not in names()
    assert not Visit.objects.exists()


def migrate(target: tuple[str, str]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])


@pytest.mark.django_db(transaction=True)
def test_the_migration_converts_a_plain_table_keeping_every_row(
    reference_data, partitions_restored
):
    venue = make_venue()
    migrate(("visits", "0005_status_lookup"))
    try:
        assert not partitions.partitioned()
        now = timezone.now()
        moments = [
            datetime.datetime(2019, 5, 1, 23, 59, tzinfo=datetime.UTC),
            datetime.datetime(2021, 9, 20, 6, 0, tzinfo=datetime.UTC),
            now - 3 * DAY,
            now - datetime.timedelta(minutes=5),
        ]
        with connection.cursor() as cursor:
            for n, moment in enumerate(moments):
                cursor.execute(
                    "INSERT INTO visits_visit (iin, method, status, admitted, denial_code, "
                    "test_mode, checked_in_at, checkout_method, nonce, venue_id) "
                    "VALUES (%s, 'self_scan', 'green', true, '', false, %s, '', %s, %s)",
                    [new_iin(), moment, f"old-{n}", venue.pk],
                )
            cursor.execute("SELECT * FROM visits_visit ORDER BY id")
            before = cursor.fetchall()
    finally:
        migrate(("visits", "0006_partitioned_visits_and_nonce_table"))

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM visits_visit ORDER BY id")
        assert cursor.fetchall() == before
        cursor.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
            "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = 'visits_visit'::regclass "
            "AND i.indisprimary ORDER BY a.attnum"
        )
        assert [row[0] for row in cursor.fetchall()] == ["id", "checked_in_at"]
    assert partitions.partitioned()
    days = {moment.astimezone(datetime.UTC).date() for moment in moments}
    today = datetime.datetime.now(datetime.UTC).date()
    days |= {today + n * DAY for n in range(partitions.PARTITIONS_AHEAD + 1)}
    assert names() == {partitions.daily_name(day) for day in days}
    # The ids go on from where they were; the counter and the guard start right.
    newest = make_visit(venue)
    assert newest.pk > max(row[0] for row in before)
    assert Venue.objects.get(pk=venue.pk).occupancy == len(moments) + 1
    assert list(VisitNonce.objects.values_list("nonce", flat=True)) == ["old-3"]
