"""The lab-import pages in the admin (docs/rules.md §5): upload, report, confirm."""

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from statuses.models import LabImport, LabResult, StatusRecord
from statuses.tests.admin.conftest import IIN_A, lab_import
from statuses.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


CSV = (
    "iin;sample_id;taken_at;result;lab\n"
    f"{IIN_A};S-1;18.09.2021 10:30;positive;KDL\n"
    f"123;S-2;18.09.2021 10:30;negative;KDL\n"
).encode()


def test_lab_import_upload_checks_the_file_and_shows_the_report(
    client, epi, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:statuses_labimport_add"),
            {"file": SimpleUploadedFile("results.csv", CSV, content_type="text/csv")},
        )

    uploaded = LabImport.objects.get()
    report_url = reverse("admin:statuses_labimport_change", args=[uploaded.pk])
    assert response.status_code == 302
    assert response["Location"] == report_url
    assert (uploaded.created_by, uploaded.file_name, bytes(uploaded.content)) == (
        epi,
        "results.csv",
        CSV,
    )
    assert (uploaded.state, uploaded.accepted_rows, uploaded.rejected_rows) == (
        LabImport.State.CHECKED,
        1,
        1,
    )
    report = client.get(report_url)
    html = report.content.decode()
    assert [row["message"] for row in report.context["rejected"]] == [
        "An IIN must be exactly 12 digits long."
    ]
    assert "An IIN must be exactly 12 digits long." in html
    assert "Confirm import" in html
    assert 'http-equiv="refresh"' not in html


def test_lab_import_report_speaks_the_viewers_language(client, epi):
    checked = lab_import(
        epi,
        state=LabImport.State.CHECKED,
        total_rows=1,
        rejected_rows=1,
        report={
            "rejected": [
                {"line": 2, "values": {"iin": "1"}, "code": "iin_length", "params": {}},
                {
                    "line": 3,
                    "values": {"iin": IIN_A},
                    "code": "duplicate_in_file",
                    "params": {"line": 2},
                },
            ],
            "rejected_total": 2,
        },
    )
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"

    response = client.get(reverse("admin:statuses_labimport_change", args=[checked.pk]))

    assert response.context["rejected"][0]["message"] == "ИИН должен состоять ровно из 12 цифр."
    assert "Confirm import" not in response.content.decode()


def test_lab_import_confirm_imports_the_file(client, epi, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:statuses_labimport_add"),
            {"file": SimpleUploadedFile("results.csv", CSV)},
        )
    uploaded = LabImport.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:statuses_labimport_confirm", args=[uploaded.pk]))

    uploaded.refresh_from_db()
    assert response["Location"] == reverse("admin:statuses_labimport_change", args=[uploaded.pk])
    assert (uploaded.state, uploaded.created_rows) == (LabImport.State.DONE, 1)
    assert list(LabResult.objects.values_list("sample_id", flat=True)) == ["S-1"]
    assert sorted(StatusRecord.objects.values_list("source", flat=True)) == [
        "pcr_positive",
        "recovery",
    ]
    assert set(StatusRecord.objects.values_list("created_by", flat=True)) == {epi.pk}


def test_lab_import_confirm_is_post_only(client, epi):
    checked = lab_import(epi, state=LabImport.State.CHECKED, accepted_rows=1)

    response = client.get(reverse("admin:statuses_labimport_confirm", args=[checked.pk]))

    checked.refresh_from_db()
    assert response.status_code == 405
    assert checked.state == LabImport.State.CHECKED


def test_lab_import_confirm_is_refused_without_the_add_permission(client):
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_labimport"))
    client.force_login(viewer)
    checked = lab_import(viewer, state=LabImport.State.CHECKED, accepted_rows=1)

    response = client.post(reverse("admin:statuses_labimport_confirm", args=[checked.pk]))

    checked.refresh_from_db()
    assert response.status_code == 403
    assert checked.state == LabImport.State.CHECKED


def test_lab_import_report_refreshes_and_shows_progress_while_running(client, epi):
    running = lab_import(epi, state=LabImport.State.IMPORTING, accepted_rows=400)
    cache.set(
        f"lab-import-progress:{running.pk}", {"done": 100, "total": 400, "phase": "importing"}
    )

    html = client.get(
        reverse("admin:statuses_labimport_change", args=[running.pk])
    ).content.decode()

    assert '<meta http-equiv="refresh" content="2">' in html
    assert '<progress value="100" max="400">25%</progress>' in html
    assert "Confirm import" not in html


def test_lab_import_report_shows_a_file_error(client, epi, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:statuses_labimport_add"),
            {"file": SimpleUploadedFile("photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00")},
        )
    failed = LabImport.objects.get()

    response = client.get(reverse("admin:statuses_labimport_change", args=[failed.pk]))

    assert failed.state == LabImport.State.FAILED
    assert response.context["error"] == (
        "This is not a CSV text file. Save it from the spreadsheet as CSV UTF-8."
    )


def test_lab_import_upload_requires_a_file(client, epi):
    response = client.post(reverse("admin:statuses_labimport_add"), {})

    assert response.status_code == 200
    assert response.context["form"].errors == {"file": ["This field is required."]}
    assert LabImport.objects.count() == 0


def test_lab_import_cannot_be_changed_or_deleted(client, epi):
    done = lab_import(epi, state=LabImport.State.DONE)

    response = client.post(
        reverse("admin:statuses_labimport_delete", args=[done.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert LabImport.objects.count() == 1
