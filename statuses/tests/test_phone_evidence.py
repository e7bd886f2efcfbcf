"""A phone number on record for an IIN decides which account may claim it."""

import datetime

import pytest
from django.utils import timezone

from accounts.services import ClaimRefused, user_claim_iin
from statuses.imports import lab_import_commit
from statuses.models import LabResult, StatusRecord
from statuses.services import record_add
from statuses.tests.factories import UserFactory, iin
from statuses.tests.test_imports import checked

pytestmark = pytest.mark.django_db

HEADER = "iin,sample_id,taken_at,result,lab,phone\n"


def lab_file(*rows: str) -> bytes:
    return (HEADER + "".join(f"{row}\n" for row in rows)).encode()


@pytest.fixture
def uploader():
    return UserFactory(is_staff=True, language="en")


def test_the_importer_keeps_the_phone_of_each_result(uploader):
    lab_import = checked(
        lab_file(
            f"{iin(1)},S-1,2021-09-14,positive,KDL,8 701 765 43 21",
            f"{iin(2)},S-2,2021-09-14,negative,KDL,",
        ),
        uploader,
    )

    lab_import_commit(lab_import, by=uploader)

    assert dict(LabResult.objects.values_list("iin", "phone")) == {
        iin(1): "+77017654321",
        iin(2): "",
    }
    assert set(StatusRecord.objects.filter(iin=iin(1)).values_list("phone", flat=True)) == {
        "+77017654321"
    }


def test_the_importer_rejects_a_phone_that_is_no_mobile_number(uploader):
    lab_import = checked(lab_file(f"{iin(1)},S-1,2021-09-14,positive,KDL,12345"), uploader)

    assert (lab_import.accepted_rows, lab_import.rejected_rows) == (0, 1)
    assert lab_import.report["rejected"][0]["code"] == "phone_invalid"


def test_a_claim_from_another_number_than_the_lab_had_is_refused(settings):
    settings.LANGUAGE_CODE = "en"
    LabResult.objects.create(
        lab="KDL",
        sample_id="S-1",
        iin=iin(1),
        taken_at=timezone.now(),
        source="pcr_negative",
        phone="+77017654321",
    )
    stranger = UserFactory(phone="+77010000001")

    with pytest.raises(ClaimRefused) as refused:
        user_claim_iin(stranger, iin=iin(1), full_name="Someone")

    assert refused.value.code == "phone_mismatch"
    assert "1406" in refused.value.message
    stranger.refresh_from_db()
    assert stranger.iin is None


@pytest.fixture
def contact_with_phone() -> None:
    """A contact's yellow status for iin(1), entered with the number +77017654321."""
    record_add(
        iin=iin(1),
        status="yellow",
        source="contact",
        valid_from=timezone.now() - datetime.timedelta(days=1),
        valid_until=None,
        created_by=None,
        phone="+77017654321",
    )


def test_the_number_on_a_status_record_may_claim_the_iin(contact_with_phone):
    holder = UserFactory(phone="+77017654321")
    UserFactory(phone="+77010000001")

    user_claim_iin(holder, iin=iin(1), full_name="Holder")

    holder.refresh_from_db()
    assert holder.iin == iin(1)


def test_a_status_record_phone_refuses_another_number(contact_with_phone):
    with pytest.raises(ClaimRefused):
        user_claim_iin(UserFactory(phone="+77010000001"), iin=iin(1), full_name="Someone")


def test_without_a_phone_on_record_the_backend_decides():
    LabResult.objects.create(
        lab="KDL", sample_id="S-1", iin=iin(1), taken_at=timezone.now(), source="pcr_negative"
    )
    claimer = UserFactory(phone="+77010000001")

    user_claim_iin(claimer, iin=iin(1), full_name="First")

    claimer.refresh_from_db()
    assert claimer.iin == iin(1)
