"""Reports read the replica; writes, and reads that must see a write, the primary.

The test settings add a `replica` alias mirroring `default` (root conftest): a
second connection to the test database. These tests commit their data
(transactional) so that the replica connection sees it, and count which
connection ran which query (ashyq/db.py, docs/scaling.md).
"""

import datetime
from contextlib import ExitStack

import pytest
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from ashyq.db import PIN_COOKIE, read_alias, replica_reads
from ashyq.tests.test_outage import kill_database
from visits.models import Visit
from visits.tests.conftest import make_venue, make_visit, new_iin

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


class Queries:
    """The SQL each connection ran inside the block."""

    def __enter__(self) -> "Queries":
        self._stack = ExitStack()
        self.primary = self._stack.enter_context(CaptureQueriesContext(connections["default"]))
        self.replica = self._stack.enter_context(CaptureQueriesContext(connections["replica"]))
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stack.__exit__(*exc_info)

    @staticmethod
    def touching(captured: CaptureQueriesContext, table: str) -> list[str]:
        return [query["sql"] for query in captured.captured_queries if f'"{table}"' in query["sql"]]


def epidemiologist() -> User:
    user = User.objects.create_user("+77070000001", is_staff=True, full_name="Dr Serik")
    user.groups.add(Group.objects.get(name="epidemiologist"))
    return user


@pytest.fixture
def case_at_a_venue():
    """A case and a contact who shared an hour at one venue yesterday."""
    venue = make_venue(name="Магнум", name_kk="Магнум", name_ru="Магнум", name_en="Магнум")
    start = timezone.now() - datetime.timedelta(days=1)
    case, contact = new_iin(), new_iin()
    make_visit(
        venue, iin=case, checked_in_at=start, checked_out_at=start + datetime.timedelta(hours=1)
    )
    make_visit(
        venue,
        iin=contact,
        checked_in_at=start + datetime.timedelta(minutes=10),
        checked_out_at=start + datetime.timedelta(hours=2),
    )
    return venue, case, contact


def test_tracing_reads_the_replica_and_writes_its_audit_entry_to_the_primary(
    client, case_at_a_venue
):
    _, case, contact = case_at_a_venue
    client.force_login(epidemiologist())

    with Queries() as queries:
        response = client.get(reverse("admin:visits_visit_tracing"), {"iin": case})

    assert response.status_code == 200
    assert contact[-4:] in response.content.decode()
    assert len(queries.touching(queries.replica, "visits_visit")) >= 2
    assert queries.touching(queries.primary, "visits_visit") == []
    assert queries.touching(queries.replica, "accounts_auditentry") == []
    assert len(queries.touching(queries.primary, "accounts_auditentry")) == 1
    assert queries.touching(queries.replica, "django_session") == []


def test_the_reports_page_reads_the_replica(client, case_at_a_venue):
    client.force_login(epidemiologist())

    with Queries() as queries:
        response = client.get(reverse("admin:visits_visit_reports"))

    assert response.status_code == 200
    assert queries.touching(queries.replica, "visits_visit")
    assert queries.touching(queries.primary, "visits_visit") == []


def test_the_dashboard_and_the_export_read_the_replica(client, case_at_a_venue):
    venue = case_at_a_venue[0]
    client.force_login(venue.organisation.admin)

    with Queries() as dashboard:
        page = client.get(reverse("visits:venue_dashboard", args=[venue.pk]))
    with Queries() as export:
        csv = client.get(reverse("visits:venue_export", args=[venue.pk]))
        body = b"".join(csv.streaming_content) if csv.streaming else csv.content

    assert page.status_code == 200
    assert csv.status_code == 200
    assert body.count(b"\n") >= 3  # a header and both visits
    for queries in (dashboard, export):
        assert queries.touching(queries.replica, "visits_visit")
        assert queries.touching(queries.primary, "visits_visit") == []


def test_a_report_reads_the_primary_while_the_replica_is_down(
    client, case_at_a_venue, monkeypatch, caplog
):
    venue = case_at_a_venue[0]
    client.force_login(venue.organisation.admin)
    kill_database(monkeypatch, "replica")

    with CaptureQueriesContext(connections["default"]) as primary:
        page = client.get(reverse("visits:venue_dashboard", args=[venue.pk]))

    assert page.status_code == 200
    assert Queries.touching(primary, "visits_visit")
    assert "replica unavailable, the report reads the primary" in caplog.text
    connections["replica"].close()


def test_the_door_never_reads_the_replica(client, case_at_a_venue):
    venue = case_at_a_venue[0]
    person = User.objects.create_user("+77011112233", iin=new_iin(), full_name="Aigerim")
    client.force_login(person)

    with Queries() as queries:
        page = client.get(reverse("visits:venue_entry", args=[venue.code]))
        entered = client.post(reverse("visits:venue_entry", args=[venue.code]))

    assert page.status_code == 200
    assert entered["Content-Location"] == f"/visits/{Visit.objects.get(iin=person.iin).pk}/"
    assert Visit.objects.filter(iin=person.iin).count() == 1
    assert queries.replica.captured_queries == []


def test_after_a_form_the_same_browser_reads_the_primary_for_a_while(client, case_at_a_venue):
    _, case, _ = case_at_a_venue
    client.force_login(epidemiologist())

    posted = client.post(reverse("admin:visits_visit_tracing"), {"iin": "not an iin"})
    with Queries() as queries:
        response = client.get(reverse("admin:visits_visit_tracing"), {"iin": case})

    assert posted.cookies[PIN_COOKIE]["max-age"] == 5
    assert response.status_code == 200
    assert queries.replica.captured_queries == []
    assert queries.touching(queries.primary, "visits_visit")


def test_read_alias_keeps_transactions_and_sessions_on_the_primary():
    assert read_alias(Visit) == "default"
    with replica_reads():
        assert read_alias(Visit) == "replica"
        assert read_alias(Session) == "default"
        with transaction.atomic():
            assert read_alias(Visit) == "default"
    assert read_alias(Visit) == "default"


def test_without_a_replica_everything_reads_the_primary(settings):
    with pytest.warns(UserWarning, match="Overriding setting DATABASES"):
        settings.DATABASES = {"default": settings.DATABASES["default"]}

    with replica_reads():
        assert read_alias(Visit) == "default"


def test_a_streamed_export_reads_the_replica_while_it_is_sent():
    from ashyq.db import _iterate_on_replica

    def rows():
        for _ in range(3):
            yield read_alias(Visit).encode()

    assert b"".join(_iterate_on_replica(rows())) == b"replica" * 3
    assert read_alias(Visit) == "default"
