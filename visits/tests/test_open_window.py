"""The longest stay (docs/rules.md §3) and the window an open visit can have begun in (§4).

No venue keeps anyone longer than 24 hours, so a visit still open from
before then has ended; the door looks for open visits only within the window,
and the automatic check-out records when such a stay ran out.
"""

import datetime
import importlib

import pytest
import time_machine
from django.apps import apps
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from venues.models import Venue
from venues.rules import LONGEST_STAY
from visits.jobs import visits_close_expired
from visits.rules import CLOCK_ALLOWANCE, open_window
from visits.services import CheckInError, visit_check_in, visit_check_out_by_staff
from visits.tests.conftest import citizen, make_venue, make_visit, staff_member

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 3, 12, 18, 0, tzinfo=datetime.UTC)
HOUR = datetime.timedelta(hours=1)
MINUTE = datetime.timedelta(minutes=1)


def test_the_window_is_the_longest_stay_back_and_a_clock_allowance_ahead():
    assert LONGEST_STAY == 24 * HOUR
    assert CLOCK_ALLOWANCE == 5 * MINUTE
    assert open_window(NOW) == (NOW - 24 * HOUR, NOW + 5 * MINUTE)


@pytest.fixture
def at_now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.mark.parametrize(
    ("began", "moved"),
    [(23 * HOUR + 59 * MINUTE, True), (24 * HOUR + MINUTE, False)],
    ids=["within-the-window", "before-the-window"],
)
def test_entering_elsewhere_moves_only_a_visit_that_can_still_be_open(at_now, began, moved):
    user = citizen("green")
    first, second = make_venue(max_stay=LONGEST_STAY), make_venue(name="Small")
    old = make_visit(first, iin=user.iin, user=user, checked_in_at=NOW - began)

    result = visit_check_in(venue_id=second.pk, iin=user.iin, user=user, method="self_scan")
    visits_close_expired(NOW)

    old.refresh_from_db()
    assert result.decision.admitted
    # Moved now, or closed by the automatic check-out when its stay ran out:
    # never "moved" a day after the person had left.
    expected = ("moved", NOW) if moved else ("automatic", old.checked_in_at + LONGEST_STAY)
    assert (old.checkout_method, old.checked_out_at) == expected
    assert Venue.objects.get(pk=first.pk).occupancy == 0


def test_staff_cannot_record_the_exit_of_a_visit_past_the_longest_stay(at_now):
    venue = make_venue(max_stay=LONGEST_STAY)
    staff = staff_member(venue)
    visit = make_visit(venue, checked_in_at=NOW - LONGEST_STAY - MINUTE)

    with pytest.raises(CheckInError) as refused:
        visit_check_out_by_staff(venue_id=venue.pk, iin=visit.iin, staff=staff)

    assert refused.value.code == "not_inside"


def test_the_venue_page_does_not_offer_exit_from_a_visit_past_the_longest_stay(client, at_now):
    user = citizen("green")
    venue = make_venue(max_stay=LONGEST_STAY)
    make_visit(venue, iin=user.iin, user=user, checked_in_at=NOW - LONGEST_STAY - MINUTE)
    client.force_login(user)

    page = client.get(reverse("visits:venue_entry", args=[venue.code])).content.decode()

    assert "Exit" not in page
    assert "Enter" in page


def test_a_visitor_cannot_exit_a_visit_past_the_longest_stay(client, at_now):
    user = citizen("green")
    venue = make_venue(max_stay=LONGEST_STAY)
    visit = make_visit(venue, iin=user.iin, user=user, checked_in_at=NOW - LONGEST_STAY - MINUTE)
    client.force_login(user)

    client.post(reverse("visits:exit", args=[visit.pk]))

    visit.refresh_from_db()
    assert visit.checked_out_at is None  # the automatic check-out's to record


@pytest.mark.parametrize("max_stay", [LONGEST_STAY + MINUTE, datetime.timedelta(0)])
def test_the_database_refuses_a_maximum_stay_out_of_range(max_stay):
    venue = make_venue()

    with pytest.raises(IntegrityError), transaction.atomic():
        Venue.objects.filter(pk=venue.pk).update(max_stay=max_stay)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite rebuilds the table instead")
def test_the_migration_brings_existing_venues_into_range():
    migration = importlib.import_module("venues.migrations.0006_longest_stay")
    venues = [make_venue(max_stay=stay) for stay in (3 * HOUR, LONGEST_STAY)]
    too_long = make_venue()
    Venue.objects.filter(pk=too_long.pk).update(max_stay=3 * HOUR)

    with transaction.atomic():
        # As the database held it before the constraint.
        _drop_constraint()
        Venue.objects.filter(pk=too_long.pk).update(max_stay=72 * HOUR)
        migration.clamp_max_stay(apps, None)
        _add_constraint()

    assert [Venue.objects.get(pk=v.pk).max_stay for v in [*venues, too_long]] == [
        3 * HOUR,
        LONGEST_STAY,
        LONGEST_STAY,
    ]


def _constraint():
    return next(c for c in Venue._meta.constraints if c.name == "venue_max_stay_range")


def _drop_constraint() -> None:
    with connection.cursor() as cursor:
        # The rows made above have their foreign keys checked at commit.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with connection.schema_editor(atomic=False) as editor:
        editor.remove_constraint(Venue, _constraint())


def _add_constraint() -> None:
    with connection.schema_editor(atomic=False) as editor:
        editor.add_constraint(Venue, _constraint())
