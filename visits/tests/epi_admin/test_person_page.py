"""The person page: found by IIN or phone, status, history and visits, audited."""

import pytest
from django.urls import reverse

from accounts.models import AuditEntry
from accounts.tests.constants import DAY, NOW
from statuses.models import StatusRecord
from visits.models import IsolationPoint, Visit
from visits.tests.conftest import make_visit, new_iin
from visits.tests.epi_admin.conftest import at, entries

pytestmark = pytest.mark.django_db


def test_person_page_by_iin_shows_status_history_visits_and_writes_an_audit_entry(
    client, epi, scene
):
    StatusRecord.objects.create(
        iin=scene.holder.iin,
        status="red",
        source="manual",
        valid_from=NOW - DAY,
        valid_until=NOW + 9 * DAY,
        note="positive rapid test at the clinic",
        created_by=epi,
    )
    IsolationPoint.objects.create(
        iin=scene.holder.iin, address="Abai 1, flat 5", latitude="43.2", longitude="76.9"
    )
    make_visit(
        scene.venue,
        iin=scene.holder.iin,
        checked_in_at=at(11, 45),
        admitted=False,
        status="red",
        denial_code="red",
        method=Visit.Method.STAFF_IIN,
    )

    response = client.get(reverse("admin:visits_visit_person"), {"q": scene.holder.iin})

    html = response.content.decode()
    person = response.context["person"]
    assert (person.iin, person.user, person.status.status.value) == (
        scene.holder.iin,
        scene.holder,
        "red",
    )
    assert [
        (row["visit"].checked_in_at, row["decision"]) for row in response.context["visits"]
    ] == [
        (at(11, 45), "red status"),
        (at(10, 30), "admitted"),
    ]
    for text in [
        "Айгерім Сәрсенова",
        "+77011110001",
        "positive rapid test at the clinic",
        "Abai 1, flat 5",
        "staff, by IIN",
        "self scan",
        "red status",
        "Магнум",
        f"{reverse('admin:visits_visit_tracing')}?iin={scene.holder.iin}",
        f"{reverse('admin:statuses_statusrecord_add')}?iin={scene.holder.iin}",
    ]:
        assert text in html, text
    assert entries() == [
        (epi, "person_viewed", scene.holder.iin, "accounts.user", str(scene.holder.pk), "127.0.0.1")
    ]


def test_person_page_by_phone_finds_the_account(client, epi, scene):
    response = client.get(reverse("admin:visits_visit_person"), {"q": "8 701 111 00 01"})

    assert response.context["person"].iin == scene.holder.iin
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.iin, entry.detail) == (
        "person_viewed",
        scene.holder.iin,
        {"found_by": "phone"},
    )


def test_person_page_of_an_iin_without_account_or_records(client, epi):
    iin = new_iin()

    response = client.get(reverse("admin:visits_visit_person"), {"q": f"{iin[:6]} {iin[6:]}"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "No account: this person was only checked in by IIN." in html
    assert "No status records: the status is blue." in html
    assert "No visits recorded." in html
    assert entries() == [(epi, "person_viewed", iin, "", "", "127.0.0.1")]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("12345", "An IIN must be exactly 12 digits long."),
        ("90010130001X", "An IIN may contain only the digits 0 to 9."),
        ("900101300019", "This IIN is not valid: the last digit does not match the others."),
        ("+7 701 999 99 99", "No account has this phone number."),
        ("", "Enter an IIN or a phone number."),
    ],
)
def test_person_page_explains_a_bad_query_and_writes_nothing(client, epi, query, message):
    response = client.get(reverse("admin:visits_visit_person"), {"q": query})

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["q"])
    assert message in response.content.decode()
    assert AuditEntry.objects.count() == 0
