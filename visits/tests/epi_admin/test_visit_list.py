"""The visit list and a visit, read-only and audited; the audit log itself."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from accounts.models import AuditEntry
from visits.models import Visit
from visits.tests.conftest import make_venue, make_visit, new_iin
from visits.tests.epi_admin.conftest import at, entries

pytestmark = pytest.mark.django_db


def test_visit_list_finds_a_person_by_iin_and_writes_an_audit_entry(client, epi, scene):
    url = reverse("admin:visits_visit_changelist")

    response = client.get(url, {"q": f"{scene.case[:6]} {scene.case[6:]}"})

    assert [visit.iin for visit in response.context["cl"].result_list] == [scene.case]
    assert entries() == [(epi, "person_viewed", scene.case, "", "", "127.0.0.1")]


def test_visit_list_finds_visits_by_venue_name_and_by_phone(client, epi, scene):
    make_visit(make_venue(name="Small", name_en="Small"), checked_in_at=at(9))
    url = reverse("admin:visits_visit_changelist")

    by_venue = client.get(url, {"q": "Магн"}).context["cl"].result_list
    by_phone = client.get(url, {"q": "+77011110001"}).context["cl"].result_list

    assert {visit.venue for visit in by_venue} == {scene.venue}
    assert len(by_venue) == 4
    assert [visit.iin for visit in by_phone] == [scene.holder.iin]


def test_visit_is_read_only_and_looking_at_it_is_audited(client, epi, scene):
    visit = Visit.objects.get(iin=scene.case)
    url = reverse("admin:visits_visit_change", args=[visit.pk])

    page = client.get(url)
    post = client.post(url, {"iin": new_iin()})
    delete = client.post(reverse("admin:visits_visit_delete", args=[visit.pk]), {"post": "yes"})

    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert (post.status_code, delete.status_code) == (403, 403)
    assert Visit.objects.get(pk=visit.pk).iin == scene.case
    assert entries() == [
        (epi, "person_viewed", scene.case, "visits.visit", str(visit.pk), "127.0.0.1")
    ]


def test_audit_log_is_read_only_in_the_admin(client, epi):
    entry = AuditEntry.objects.create(actor=epi, action="exported", iin=new_iin())
    changelist = client.get(reverse("admin:accounts_auditentry_changelist"))

    change = client.post(
        reverse("admin:accounts_auditentry_change", args=[entry.pk]), {"iin": "forged"}
    )
    delete = client.post(
        reverse("admin:accounts_auditentry_delete", args=[entry.pk]), {"post": "yes"}
    )
    bulk = client.post(
        reverse("admin:accounts_auditentry_changelist"),
        {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"},
    )

    assert changelist.status_code == 200
    assert 'name="action"' not in changelist.content.decode()
    assert (change.status_code, delete.status_code) == (403, 403)
    # No actions at all: the list is shown again and nothing is deleted.
    assert bulk.status_code == 200
    assert bulk.context["action_form"] is None
    assert list(AuditEntry.objects.values_list("pk", "iin")) == [(entry.pk, entry.iin)]


def test_audit_log_refuses_updates_and_deletes_in_postgresql(epi):
    if connection.vendor != "postgresql":
        pytest.skip("The append-only trigger is PostgreSQL's; this test needs DATABASE_URL.")
    entry = AuditEntry.objects.create(actor=epi, action="exported", iin=new_iin())

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.update(iin="forged")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.all().delete()

    assert list(AuditEntry.objects.values_list("iin", flat=True)) == [entry.iin]
