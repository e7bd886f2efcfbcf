import datetime
import itertools
import os
import random

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import F
from django.utils import timezone, translation

from accounts.identifiers import check_digit
from accounts.models import User
from statuses.services import record_add
from venues.models import Category, Organisation, Region, Venue
from visits.models import Visit

_serials = itertools.count(1)


def new_iin() -> str:
    """A fresh valid IIN: born 1 Jan 1990, male, a new serial each time."""
    while True:
        first11 = f"9001013{next(_serials):04d}"
        digit = check_digit(first11)
        if digit is not None:
            return first11 + str(digit)


def make_venue(admin: User | None = None, **fields) -> Venue:
    admin = admin or User.objects.create_user(f"+7701{next(_serials):07d}")
    organisation = Organisation.objects.create(
        bin=fields.pop("bin", f"05014{next(_serials):06d}"[:12]),
        legal_name="ТОО Ashyq Test",
        admin=admin,
        verified_at=fields.pop("verified_at", timezone.now()),
    )
    defaults = {
        "name": "Magnum",
        "name_kk": "Magnum",
        "category": Category.objects.get(code=fields.pop("category", "grocery")),
        "region": Region.objects.get(code=fields.pop("region", "almaty")),
        "address": "Abai 10",
        "latitude": "43.238949",
        "longitude": "76.889709",
        "capacity": 50,
        "test_mode_until": timezone.now() - datetime.timedelta(days=1),
    }
    defaults.update(fields)
    return Venue.objects.create(organisation=organisation, **defaults)


def citizen(status: str | None = None, **fields) -> User:
    user = User.objects.create_user(
        f"+7702{next(_serials):07d}", iin=new_iin(), full_name="Aigerim Sarsenova", **fields
    )
    if status:
        give_status(user.iin, status)
    return user


def give_status(iin: str, status: str) -> None:
    now = timezone.now()
    source = {"green": "pcr_negative", "yellow": "contact", "red": "pcr_positive"}[status]
    record_add(
        iin=iin,
        status=status,
        source=source,
        valid_from=now - datetime.timedelta(hours=1),
        valid_until=now + datetime.timedelta(days=5),
        created_by=None,
        note="test",
    )


@pytest.fixture
def client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def staff_member(venue: Venue, **fields) -> User:
    """A responsible person the organisation added to this venue's staff."""
    from venues.models import StaffMembership

    fields.setdefault("full_name", "Dana Kassymova")
    user = User.objects.create_user(f"+7703{next(_serials):07d}", **fields)
    StaffMembership.objects.create(venue=venue, user=user, added_by=venue.organisation.admin)
    return user


def make_visit(venue: Venue, *, iin: str | None = None, **fields):
    """A visit row written directly, for tests that need history rather than a check-in."""
    values = {
        "iin": iin or new_iin(),
        "method": Visit.Method.SELF_SCAN,
        "status": "green",
        "admitted": True,
        "checked_in_at": timezone.now(),
    }
    values.update(fields)
    visit = Visit.objects.create(venue=venue, **values)
    if visit.is_open:
        # As a check-in would count it (visits/occupancy.py).
        Venue.objects.filter(pk=venue.pk).update(occupancy=F("occupancy") + 1)
    return visit


def inside_at_a_staffed_door(client, status: str) -> tuple[Venue, User, Visit]:
    """A person of `status` inside a new venue by their own scan, and a staff member of
    the venue signed in on `client`."""
    venue = make_venue()
    person = citizen(status)
    visit = make_visit(venue, iin=person.iin, user=person)
    client.force_login(staff_member(venue))
    return venue, person, visit


@pytest.fixture
def reference_data() -> None:
    """Regions and categories loaded again. A transactional test empties every
    table when it ends, the data migration's rows too, so the next one must
    bring them back itself; the migration's loader is idempotent."""
    import importlib

    from django.apps import apps

    importlib.import_module("venues.migrations.0002_reference_data").load(apps, None)


@pytest.fixture
def assert_num_queries():
    """An exact query budget, blind to SQLite's explicit BEGIN (PostgreSQL sends
    it with the first statement): the budget counts real round trips."""
    from contextlib import contextmanager

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    @contextmanager
    def check(expected: int):
        with CaptureQueriesContext(connection) as context:
            yield context
        queries = [q["sql"] for q in context.captured_queries if q["sql"] != "BEGIN"]
        assert len(queries) == expected, "\n\n".join([f"{len(queries)} queries:", *queries])

    return check


def random_visits(venues, people, count: int, seed: int, now: datetime.datetime) -> None:
    """`count` visits of `people` over the 15 days before `now`, the same for a seed."""
    from visits.models import Visit

    rng = random.Random(seed)  # noqa: S311 - repeatable test data, not a secret
    visits = []
    for _ in range(count):
        checked_in_at = now - datetime.timedelta(microseconds=rng.randrange(15 * 86_400_000_000))
        stay = datetime.timedelta(microseconds=rng.randrange(4 * 3_600_000_000))
        checked_out_at = checked_in_at + stay
        if checked_out_at > now or rng.random() < 0.1:
            checked_out_at = None
        admitted = rng.random() < 0.9
        visits.append(
            Visit(
                venue=rng.choice(venues),
                iin=rng.choice(people),
                method=Visit.Method.SELF_SCAN,
                status="green" if admitted else "red",
                admitted=admitted,
                denial_code="" if admitted else "red",
                checked_in_at=checked_in_at,
                checked_out_at=checked_out_at if admitted else None,
            )
        )
    Visit.objects.bulk_create(visits)


def needs_postgresql() -> None:
    if connection.vendor != "postgresql":
        if os.environ.get("CI"):
            pytest.fail("The query plan test must run on PostgreSQL in CI (set DATABASE_URL).")
        pytest.skip("The query plan is PostgreSQL's; this test needs DATABASE_URL.")


def busy_table_case(now: datetime.datetime) -> str:
    """About 2000 visits over 50 venues and two weeks, and a case among them."""
    venues = [make_venue(name=f"Venue {number}") for number in range(50)]
    people = [new_iin() for _ in range(300)]
    random_visits(venues, people, 2000, seed=2021, now=now)
    case = people[0]
    hour = datetime.timedelta(hours=1)
    for hours in (30, 80, 200):
        start = now - hours * hour
        make_visit(venues[hours % 50], iin=case, checked_in_at=start, checked_out_at=start + hour)
    with connection.cursor() as cursor:
        # Statistics as autovacuum would gather them on a live table.
        cursor.execute("ANALYZE visits_visit")
    return case


def translated(message: str, language: str) -> str:
    """The catalog's translation, which must exist: English left on the page is a bug."""
    with translation.override(language):
        text = translation.gettext(message)
    assert text != message, f"no {language} translation for {message!r}"
    return text
