"""Everything that shows or changes a person's status leaves an audit entry."""

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.models import AuditEntry
from accounts.tests.constants import DAY, NOW
from statuses.imports import lab_import_commit
from statuses.models import StatusRecord
from statuses.services import record_add, record_lift
from statuses.tests.admin.conftest import add_form
from statuses.tests.factories import UserFactory, epidemiologist, iin
from statuses.tests.test_imports import HEADER, checked

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("now")]


@pytest.fixture
def epi(client):
    user = epidemiologist()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user)
    return user


def entries(action: str) -> list[tuple]:
    return list(
        AuditEntry.objects.filter(action=action).values_list(
            "actor", "iin", "object_type", "object_id"
        )
    )


def test_adding_a_record_is_audited_with_who_and_whose():
    by = UserFactory()

    record = record_add(
        iin=iin(1),
        status="red",
        source="manual",
        valid_from=NOW - DAY,
        valid_until=NOW + DAY,
        created_by=by,
    )

    assert entries(AuditEntry.Action.STATUS_ADDED) == [
        (by.pk, iin(1), "statuses.statusrecord", str(record.pk))
    ]
    assert AuditEntry.objects.get().detail["status"] == "red"


def test_adding_a_record_in_the_admin_is_audited(client, epi):
    client.post(reverse("admin:statuses_statusrecord_add"), add_form(iin=iin(1)))

    record = StatusRecord.objects.get()
    assert entries(AuditEntry.Action.STATUS_ADDED) == [
        (epi.pk, iin(1), "statuses.statusrecord", str(record.pk))
    ]


def test_lifting_a_record_is_audited_with_the_reason(client, epi):
    record = StatusRecord.objects.create(
        iin=iin(1), status="red", source="manual", valid_from=NOW - DAY
    )

    client.post(
        reverse("admin:statuses_statusrecord_lift", args=[record.pk]), {"reason": "A mix-up"}
    )

    assert entries(AuditEntry.Action.STATUS_LIFTED) == [
        (epi.pk, iin(1), "statuses.statusrecord", str(record.pk))
    ]
    assert AuditEntry.objects.get(action=AuditEntry.Action.STATUS_LIFTED).detail == {
        "reason": "A mix-up"
    }


def test_lifting_through_the_service_is_audited():
    by = UserFactory()
    record = StatusRecord.objects.create(
        iin=iin(2), status="yellow", source="contact", valid_from=NOW - DAY
    )

    record_lift(record=record, by=by, reason="Not a contact")

    assert entries(AuditEntry.Action.STATUS_LIFTED) == [
        (by.pk, iin(2), "statuses.statusrecord", str(record.pk))
    ]


def test_committing_a_lab_import_is_audited_once():
    uploader = UserFactory(is_staff=True, language="en")
    data = (HEADER + f"{iin(1)},S-1,2021-09-14,negative,KDL\n").encode()
    lab_import = checked(data, uploader)

    lab_import_commit(lab_import, by=uploader)

    assert entries(AuditEntry.Action.LAB_IMPORTED) == [
        (uploader.pk, "", "statuses.labimport", str(lab_import.pk))
    ]
    assert AuditEntry.objects.get(action=AuditEntry.Action.LAB_IMPORTED).detail == {
        "file": "results.csv",
        "results": 1,
        "records": 1,
    }


def test_opening_a_status_record_in_the_admin_is_audited(client, epi):
    record = StatusRecord.objects.create(
        iin=iin(3), status="red", source="manual", valid_from=NOW - DAY
    )

    response = client.get(reverse("admin:statuses_statusrecord_change", args=[record.pk]))

    assert response.status_code == 200
    assert entries(AuditEntry.Action.PERSON_VIEWED) == [
        (epi.pk, iin(3), "statuses.statusrecord", str(record.pk))
    ]


def test_opening_a_user_in_the_admin_is_audited(client):
    operator = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(operator)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    person = UserFactory(iin=iin(4))

    response = client.get(reverse("admin:accounts_user_change", args=[person.pk]))

    assert response.status_code == 200
    assert entries(AuditEntry.Action.PERSON_VIEWED) == [
        (operator.pk, iin(4), "accounts.user", str(person.pk))
    ]
