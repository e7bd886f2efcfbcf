"""Automatic check-out and retention (docs/rules.md §4): the two periodic visit jobs."""

import datetime

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from statuses.models import StatusRecord
from visits import tasks
from visits.jobs import visits_close_expired, visits_delete_old
from visits.models import Visit
from visits.tasks import close_expired_visits, delete_old_visits
from visits.tests.conftest import give_status, make_venue, make_visit, new_iin

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 3, 12, 18, 0, tzinfo=datetime.UTC)
HOUR = datetime.timedelta(hours=1)
MINUTE = datetime.timedelta(minutes=1)
DAY = datetime.timedelta(days=1)


def statements(queries: CaptureQueriesContext, verb: str) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if q["sql"].startswith(verb)]


# Automatic check-out


def test_a_visit_past_the_maximum_stay_is_closed_when_its_stay_ran_out():
    venue = make_venue()
    visit = make_visit(venue, checked_in_at=NOW - 3 * HOUR - MINUTE)

    closed = visits_close_expired(NOW)

    visit.refresh_from_db()
    assert closed == 1
    assert venue.max_stay == 3 * HOUR
    assert visit.checked_out_at == NOW - 3 * HOUR - MINUTE + 3 * HOUR
    assert visit.checkout_method == "automatic"


def test_a_visit_exactly_at_the_maximum_stay_is_closed():
    visit = make_visit(make_venue(), checked_in_at=NOW - 3 * HOUR)

    assert visits_close_expired(NOW) == 1

    visit.refresh_from_db()
    assert visit.checked_out_at == NOW


def test_a_visit_within_its_stay_stays_open():
    visit = make_visit(make_venue(), checked_in_at=NOW - 3 * HOUR + MINUTE)

    closed = visits_close_expired(NOW)

    visit.refresh_from_db()
    assert closed == 0
    assert (visit.checked_out_at, visit.checkout_method) == (None, "")


def test_each_venue_closes_after_its_own_maximum_stay():
    cinema = make_venue(name="Cinema", max_stay=datetime.timedelta(hours=1, minutes=30))
    shop = make_venue(name="Shop")
    office = make_venue(name="Office", max_stay=9 * HOUR)
    came = NOW - 4 * HOUR
    at_cinema, at_shop, at_office = (
        make_visit(v, checked_in_at=came) for v in (cinema, shop, office)
    )
    recent_at_cinema = make_visit(cinema, checked_in_at=NOW - HOUR)

    closed = visits_close_expired(NOW)

    for visit in (at_cinema, at_shop, at_office, recent_at_cinema):
        visit.refresh_from_db()
    assert closed == 2
    assert at_cinema.checked_out_at == came + datetime.timedelta(hours=1, minutes=30)
    assert at_shop.checked_out_at == came + 3 * HOUR
    assert {at_cinema.checkout_method, at_shop.checkout_method} == {"automatic"}
    assert at_office.is_open
    assert recent_at_cinema.is_open


def test_denied_and_closed_visits_are_left_alone():
    venue = make_venue()
    denied = make_visit(
        venue, admitted=False, denial_code="red", status="red", checked_in_at=NOW - 9 * HOUR
    )
    left = make_visit(
        venue,
        checked_in_at=NOW - 9 * HOUR,
        checked_out_at=NOW - 8 * HOUR,
        checkout_method="self",
    )

    closed = visits_close_expired(NOW)

    denied.refresh_from_db()
    left.refresh_from_db()
    assert closed == 0
    assert (denied.checked_out_at, denied.checkout_method) == (None, "")
    assert (left.checked_out_at, left.checkout_method) == (NOW - 8 * HOUR, "self")


def test_running_the_job_twice_closes_nothing_more():
    make_visit(make_venue(), checked_in_at=NOW - 5 * HOUR)

    assert visits_close_expired(NOW) == 1
    assert visits_close_expired(NOW + MINUTE) == 0


def test_the_job_closes_each_venue_in_one_update_under_its_lock():
    short = make_venue(max_stay=HOUR)
    usual = make_venue()
    for minutes in range(5):
        make_visit(short, checked_in_at=NOW - 5 * HOUR - minutes * MINUTE)
        make_visit(usual, checked_in_at=NOW - 5 * HOUR - minutes * MINUTE)
    make_visit(usual, checked_in_at=NOW - MINUTE)

    with CaptureQueriesContext(connection) as queries:
        closed = visits_close_expired(NOW)

    assert closed == 10
    updates = statements(queries, "UPDATE")
    assert [sql.split()[1] for sql in updates] == ['"visits_visit"', '"venues_venue"'] * 2
    locks = [sql for sql in statements(queries, "SELECT") if "FOR UPDATE" in sql]
    assert len(locks) == (2 if connection.features.has_select_for_update else 0)
    short.refresh_from_db()
    usual.refresh_from_db()
    assert (short.occupancy, usual.occupancy) == (0, 1)


def test_the_close_task_returns_how_many_it_closed():
    venue = make_venue()
    for hours in (4, 5, 6):
        make_visit(venue, checked_in_at=NOW - hours * HOUR)
    make_visit(venue, checked_in_at=NOW - HOUR)

    with time_machine.travel(NOW, tick=False):
        result = close_expired_visits.delay().get()

    assert result == 3
    assert Visit.objects.filter(checkout_method="automatic").count() == 3


# Retention: rows deleted on SQLite; on PostgreSQL whole days are dropped
# (visits/tests/test_partitions.py).

rows_deleted = pytest.mark.skipif(
    connection.vendor == "postgresql", reason="PostgreSQL drops days: test_partitions.py"
)


@rows_deleted
def test_visits_older_than_the_retention_period_are_deleted():
    venue = make_venue()
    iin = new_iin()
    give_status(iin, "green")
    old = [
        make_visit(venue, iin=iin, checked_in_at=NOW - 30 * DAY - delta) for delta in (MINUTE, DAY)
    ]
    kept = [
        make_visit(venue, iin=iin, checked_in_at=NOW - 30 * DAY),
        make_visit(venue, iin=iin, checked_in_at=NOW - 29 * DAY),
        make_visit(venue, iin=iin, checked_in_at=NOW - HOUR),
    ]
    records = list(StatusRecord.objects.values_list("pk", "iin", "status"))

    deleted = visits_delete_old(NOW)

    assert settings.VISIT_RETENTION_DAYS == 30
    assert deleted == len(old) == 2
    assert set(Visit.objects.values_list("pk", flat=True)) == {visit.pk for visit in kept}
    assert len(records) == 1
    assert list(StatusRecord.objects.values_list("pk", "iin", "status")) == records


@rows_deleted
def test_old_visits_are_deleted_in_batches():
    venue = make_venue()
    for days in range(31, 36):
        make_visit(venue, checked_in_at=NOW - days * DAY)
    recent = make_visit(venue, checked_in_at=NOW - DAY)

    with CaptureQueriesContext(connection) as queries:
        deleted = visits_delete_old(NOW, batch=2)

    assert deleted == 5
    assert list(Visit.objects.values_list("pk", flat=True)) == [recent.pk]
    # Three batches; each also takes the visits' flags (InsideAlert) with it.
    deletes = statements(queries, "DELETE")
    assert len([sql for sql in deletes if 'FROM "visits_visit"' in sql]) == 3
    assert len(deletes) == 6


@rows_deleted
def test_the_retention_setting_is_respected(settings):
    settings.VISIT_RETENTION_DAYS = 7
    venue = make_venue()
    make_visit(venue, checked_in_at=NOW - 7 * DAY - MINUTE)
    week_old = make_visit(venue, checked_in_at=NOW - 6 * DAY)

    deleted = visits_delete_old(NOW)

    assert deleted == 1
    assert list(Visit.objects.values_list("pk", flat=True)) == [week_old.pk]


@rows_deleted
def test_the_retention_task_deletes_old_visits():
    venue = make_venue()
    make_visit(venue, checked_in_at=NOW - 40 * DAY)
    make_visit(venue, checked_in_at=NOW - 31 * DAY)
    kept = make_visit(venue, checked_in_at=NOW - 2 * DAY)

    with time_machine.travel(NOW, tick=False):
        result = delete_old_visits.delay().get()

    assert result == 2
    assert list(Visit.objects.values_list("pk", flat=True)) == [kept.pk]


# Schedule


def test_both_jobs_are_on_the_beat_schedule():
    scheduled = {
        entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }

    assert close_expired_visits.name == "visits.tasks.close_expired_visits"
    assert delete_old_visits.name == "visits.tasks.delete_old_visits"
    assert scheduled[close_expired_visits.name] == 5 * 60
    assert scheduled[delete_old_visits.name] == 24 * 3600


def test_the_partition_nonce_and_occupancy_jobs_are_on_the_beat_schedule():
    scheduled = {
        entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }

    assert scheduled["visits.tasks.create_visit_partitions"] == 3600
    assert scheduled["visits.tasks.prune_visit_nonces"] == 3600
    assert scheduled["visits.tasks.reconcile_occupancy"] == 15 * 60
    for name in ("create_visit_partitions", "prune_visit_nonces", "reconcile_occupancy"):
        assert getattr(tasks, name).name == f"visits.tasks.{name}"
