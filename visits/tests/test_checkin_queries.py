"""The check-in's hand-written statements agree with the rules and the models they stand in for."""

import datetime
import re

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from statuses.models import StatusRecord
from statuses.rules import is_active
from statuses.selectors import facts
from visits import checkin_queries, door_reads
from visits.checkin_queries import lock_venue, read_at_door
from visits.models import Visit, VisitNonce
from visits.rules import open_window
from visits.services import visit_check_in
from visits.tests.conftest import make_venue, make_visit, new_iin, staff_member

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)
HOUR = datetime.timedelta(hours=1)

# (valid_from, valid_until, lifted_at) around NOW, the edges included: a record
# counts from its first moment and no longer at its end or its lift (docs/rules.md §2).
WINDOWS = [
    (NOW - HOUR, NOW + HOUR, None),
    (NOW, NOW + HOUR, None),
    (NOW + HOUR, None, None),
    (NOW - HOUR, NOW, None),
    (NOW - HOUR, None, None),
    (NOW - HOUR, None, NOW),
    (NOW - HOUR, None, NOW + HOUR),
    (NOW - 2 * HOUR, NOW - HOUR, None),
]


def test_the_status_records_read_at_the_door_are_those_the_rule_counts():
    venue, iin = make_venue(), new_iin()
    records = [
        StatusRecord.objects.create(
            iin=iin,
            status="yellow",
            source="manual",
            valid_from=valid_from,
            valid_until=valid_until,
            lifted_at=lifted_at,
            note="test",
        )
        for valid_from, valid_until, lifted_at in WINDOWS
    ]
    StatusRecord.objects.create(
        iin=new_iin(), status="red", source="manual", valid_from=NOW - HOUR, note="other"
    )

    door = read_at_door(venue_id=venue.pk, iin=iin, nonce="", now=NOW)

    expected = {record.pk for record in records if is_active(facts(record), NOW)}
    assert (
        {record.id for record in door.records}
        == expected
        == {
            records[0].pk,
            records[1].pk,
            records[4].pk,
            records[6].pk,
        }
    )
    assert door.records[0].valid_from.tzinfo is not None


def test_the_lock_reads_the_occupancy_and_the_door_the_open_visits_and_the_nonce():
    venue, elsewhere, iin = make_venue(), make_venue(name="Small"), new_iin()
    for _ in range(3):
        make_visit(venue, checked_in_at=NOW - HOUR)
    make_visit(venue, checked_in_at=NOW - HOUR, checked_out_at=NOW)
    make_visit(venue, checked_in_at=NOW - HOUR, admitted=False, denial_code="full")
    inside = make_visit(elsewhere, iin=iin, checked_in_at=NOW - HOUR, nonce="n-0")
    retried = make_visit(elsewhere, checked_in_at=NOW - HOUR, nonce="n-1")
    make_visit(elsewhere, checked_in_at=NOW - HOUR, nonce="n-2")  # no guard row
    for visit in (inside, retried):
        VisitNonce.objects.create(
            nonce=visit.nonce, visit_id=visit.pk, checked_in_at=visit.checked_in_at
        )

    door = read_at_door(venue_id=venue.pk, iin=iin, nonce="n-1", now=NOW)

    assert lock_venue(venue_id=venue.pk).occupancy == 3
    assert {(v.id, v.venue_id) for v in door.visits} == {
        (inside.pk, elsewhere.pk),
        (retried.pk, elsewhere.pk),
    }
    # The person's own open visit, found by the nonce too, is there once.
    again = read_at_door(venue_id=venue.pk, iin=iin, nonce="n-0", now=NOW)
    assert [v.id for v in again.visits] == [inside.pk]
    # Only the guard finds a nonce's visit: past its life, a nonce is new again.
    stranger = new_iin()
    assert read_at_door(venue_id=venue.pk, iin=stranger, nonce="n-2", now=NOW).visits == []
    assert read_at_door(venue_id=venue.pk, iin=new_iin(), nonce="", now=NOW).visits == []


def test_only_the_organisation_admin_and_the_venue_staff_find_the_venue():
    venue = make_venue()
    member, stranger = staff_member(venue), staff_member(make_venue(name="Other"))

    assert lock_venue(venue_id=venue.pk, staff_id=venue.organisation.admin_id).id == venue.pk
    assert lock_venue(venue_id=venue.pk, staff_id=member.pk).id == venue.pk
    assert lock_venue(venue_id=venue.pk, staff_id=stranger.pk) is None
    assert lock_venue(code=venue.code).id == venue.pk
    assert lock_venue(code="nosuchcode00") is None


def test_the_visit_written_by_hand_is_the_one_the_orm_reads_back():
    venue = make_venue()
    staff = venue.organisation.admin

    result = visit_check_in(
        venue_id=venue.pk, iin=new_iin(), user=None, method="staff_iin", staff=staff, nonce="w1"
    )

    stored = Visit.objects.get(pk=result.visit.pk)
    for field in Visit._meta.concrete_fields:
        assert getattr(stored, field.attname) == getattr(result.visit, field.attname), field.name
    assert result.visit._state.adding is False


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL prepares statements")
def test_postgresql_prepares_the_check_in_statements_and_logs_them():
    venue = make_venue()

    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        visit_check_in(venue_code=venue.code, iin=new_iin(), user=None, method="self_scan")
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements")
            prepared = [row[0] for row in cursor.fetchall()]

    assert any("FOR UPDATE OF v" in statement for statement in prepared)
    assert any("UNION ALL" in statement for statement in prepared)
    # The visit and the venue's counter in one statement.
    assert any(
        "UPDATE venues_venue SET occupancy" in statement and "INSERT INTO visits_visit" in statement
        for statement in prepared
    )
    logged = [query["sql"] for query in queries.captured_queries]
    assert any(f"v.code = '{venue.code}' FOR UPDATE OF v" in sql for sql in logged)


@pytest.mark.parametrize("module", [checkin_queries, door_reads])
def test_no_prepared_door_statement_binds_its_limit(module):
    # A LIMIT bound as a parameter kept PostgreSQL from ever settling on the
    # prepared statement's generic plan: at 10 M visits in 30 daily partitions
    # it planned the staff page's read anew on every scan (4 ms of its CPU,
    # against 0.03 ms). Small test tables do not show it, so the rule is read
    # from the statements themselves.
    statements = [value for value in vars(module).values() if isinstance(value, str)]
    assert any("SELECT" in statement for statement in statements)
    assert not [s for s in statements if re.search(r"\b(LIMIT|OFFSET)\s+%s", s)]


def door_reads_sql() -> list[str]:
    """The statements of the three door pages and the check-in's read after
    the lock, as run now (their values written in)."""
    venue, iin, now = make_venue(), new_iin(), timezone.now()
    with CaptureQueriesContext(connection) as queries:
        read_at_door(venue_id=venue.pk, iin=iin, nonce="n" * 32, now=now)
        door_reads.venue_page_reads(venue_id=venue.pk, iin=iin, now=now)
        checkin_queries.staff_page_reads(venue_id=venue.pk, now=now)
    return [query["sql"] for query in queries.captured_queries]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite keeps one table of visits")
def test_the_door_reads_only_the_last_days_partitions_of_the_visits():
    # An open visit began within the longest stay (visits.rules.open_window):
    # the door's lookups name that window, and PostgreSQL skips the other days
    # (at 30 days of 10 M visits, probing every day's index doubled the
    # database's CPU per check-in).
    since, until = open_window(timezone.now())
    days = range((until.date() - since.date()).days + 1)
    recent = {f"visits_visit_p{since.date() + datetime.timedelta(days=n):%Y%m%d}" for n in days}
    statements = door_reads_sql()
    assert len(statements) == 3
    for sql in statements:
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (COSTS OFF) {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
        read = set(re.findall(r"visits_visit_(?:p\d{8}|y\d{4}|h\d{4})", plan))
        assert read, plan
        assert read <= recent, plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite keeps one table of visits")
def test_a_move_closes_the_visit_elsewhere_in_its_own_days_partition():
    """The visit a check-in moves the person out of is found by its id and day,
    with its venue's counter in the same statement."""
    first, second = make_venue(), make_venue()
    iin = new_iin()
    left = visit_check_in(venue_id=first.pk, iin=iin, user=None, method="self_scan").visit
    with CaptureQueriesContext(connection) as queries:
        visit_check_in(venue_id=second.pk, iin=iin, user=None, method="self_scan")
    (sql,) = [q["sql"] for q in queries.captured_queries if "WITH closed AS" in q["sql"]]

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (COSTS OFF) {sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert set(re.findall(r"visits_visit_p\d{8}", plan)) == {
        f"visits_visit_p{left.checked_in_at:%Y%m%d}"
    }, plan
    left.refresh_from_db()
    assert left.checkout_method == "moved"
    first.refresh_from_db()
    assert first.occupancy == 0


@pytest.mark.skipif(
    connection.vendor != "postgresql"
    or "prepare_threshold" not in connection.settings_dict["OPTIONS"],
    reason="PostgreSQL with prepared statements",
)
def test_the_door_statements_run_on_their_generic_plans():
    # Left to choose, PostgreSQL plans a statement that names a window of days
    # anew on every run (its generic plan costs every partition before the
    # pruning), 0.8 ms of its CPU at 38 days against 0.1 ms on the generic plan.
    for _run in range(8):
        door_reads_sql()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
            " WHERE statement LIKE '%%visits_visit%%'"
        )
        plans = cursor.fetchall()

    assert len(plans) == 3
    assert all(custom == 0 and generic >= 8 for generic, custom in plans), plans


def test_the_venue_page_looks_up_the_open_visit_here_without_ordering_the_day():
    # Ordered by time within the day's window, the lookup was planned as a walk
    # down the day's time index at a busy venue (docs/scaling.md, the soak).
    # The plan needs a day's worth of skewed visits to appear, so the rule is
    # read from the statement: at most one open visit per person and venue.
    here = door_reads._VENUE_PAGE.split("LEFT JOIN (", 1)[1].split(") here", 1)[0]
    assert "visits_visit" in here
    assert "ORDER BY" not in here
