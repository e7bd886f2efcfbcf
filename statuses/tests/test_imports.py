import datetime
import time

import pytest
from django.core.cache import cache
from django.utils import translation

from accounts.tests.constants import ALMATY, NOW
from statuses import imports
from statuses.imports import (
    lab_import_check,
    lab_import_commit,
    lab_import_confirm,
    lab_import_upload,
)
from statuses.lab_csv import EXPECTED_COLUMNS, ParsedFile, parse_lab_csv
from statuses.models import LabImport, LabResult, Notification, StatusRecord
from statuses.rules import Source
from statuses.tests.factories import UserFactory, iin, valid_iins

HEADER = "iin,sample_id,taken_at,result,lab\n"
IIN_A = iin(1)
IIN_B = iin(2)


def csv_bytes(*rows: str, header: str = HEADER, encoding: str = "utf-8") -> bytes:
    return (header + "".join(f"{row}\n" for row in rows)).encode(encoding)


# A positive for IIN_A and a negative for IIN_B, a day apart.
TWO_RESULTS = csv_bytes(
    f"{IIN_A},S-1,2021-09-14 10:30,positive,KDL",
    f"{IIN_B},S-2,2021-09-15 09:00,negative,KDL",
)


def parse(*rows: str, **kwargs) -> ParsedFile:
    return parse_lab_csv(csv_bytes(*rows, **kwargs), now=NOW)


# --- parsing: no database -------------------------------------------------


@pytest.fixture
def uploader(db):
    return UserFactory(is_staff=True, language="en")


def upload(data: bytes, by, name: str = "results.csv") -> LabImport:
    return LabImport.objects.create(file_name=name, content=data, created_by=by)


def checked(data: bytes, by) -> LabImport:
    lab_import = upload(data, by)
    lab_import_check(lab_import)
    return lab_import


@pytest.mark.django_db
def test_lab_import_check_counts_and_reports_rows(now, uploader):
    LabResult.objects.create(
        lab="KDL", sample_id="S-2", iin=IIN_B, taken_at=NOW, source=Source.PCR_NEGATIVE
    )
    data = csv_bytes(
        f"{IIN_A},S-1,2021-09-14 10:30,positive,KDL",
        f"{IIN_B},S-2,2021-09-14 10:30,negative,KDL",
        "123,S-3,2021-09-14 10:30,negative,KDL",
    )

    lab_import = checked(data, uploader)

    lab_import.refresh_from_db()
    assert lab_import.state == LabImport.State.CHECKED
    assert (
        lab_import.total_rows,
        lab_import.accepted_rows,
        lab_import.duplicate_rows,
        lab_import.rejected_rows,
        lab_import.created_rows,
    ) == (3, 1, 1, 1, 0)
    assert lab_import.report == {
        "error": None,
        "encoding": "utf-8",
        "delimiter": ",",
        "rejected": [
            {
                "line": 4,
                "values": {
                    "iin": "123",
                    "sample_id": "S-3",
                    "taken_at": "2021-09-14 10:30",
                    "result": "negative",
                    "lab": "KDL",
                },
                "code": "iin_length",
                "params": {},
            }
        ],
        "rejected_total": 1,
        "rejected_by_code": {"iin_length": 1},
        "accepted": [
            {
                "line": 2,
                "iin": IIN_A,
                "sample_id": "S-1",
                "taken_at": "2021-09-14T10:30:00+06:00",
                "source": "pcr_positive",
                "lab": "KDL",
            }
        ],
        "accepted_total": 1,
        "already_imported": [
            {
                "line": 3,
                "iin": IIN_B,
                "sample_id": "S-2",
                "taken_at": "2021-09-14T10:30:00+06:00",
                "source": "pcr_negative",
                "lab": "KDL",
            }
        ],
        "already_imported_total": 1,
    }
    assert LabResult.objects.count() == 1
    assert StatusRecord.objects.count() == 0


@pytest.mark.django_db
def test_lab_import_check_keeps_at_most_1000_rejected_rows_in_the_report(now, uploader):
    data = csv_bytes(*[f"123,S-{n},2021-09-14,negative,KDL" for n in range(1005)])

    lab_import = checked(data, uploader)

    assert lab_import.rejected_rows == 1005
    assert len(lab_import.report["rejected"]) == 1000
    assert lab_import.report["rejected_total"] == 1005


@pytest.mark.django_db
def test_lab_import_check_of_a_malformed_file_fails_with_a_report(now, uploader):
    lab_import = checked(b"name,phone\nAsel,+77011234567\n", uploader)

    lab_import.refresh_from_db()
    assert lab_import.state == LabImport.State.FAILED
    assert lab_import.error.startswith("Missing columns: iin, sample_id, taken_at, result, lab.")
    assert lab_import.report == {
        "error": {
            "code": "missing_columns",
            "params": {
                "missing": "iin, sample_id, taken_at, result, lab",
                "expected": EXPECTED_COLUMNS,
            },
        }
    }
    assert lab_import.finished_at == NOW


@pytest.mark.django_db
def test_lab_import_check_does_not_run_again_after_the_commit(now, uploader):
    lab_import = checked(csv_bytes(f"{IIN_A},S-1,2021-09-14,negative,KDL"), uploader)
    lab_import_commit(lab_import, by=uploader)

    lab_import_check(lab_import)

    lab_import.refresh_from_db()
    assert (lab_import.state, lab_import.accepted_rows) == (LabImport.State.DONE, 1)


@pytest.mark.django_db
def test_lab_import_commit_creates_results_and_records(now, uploader):
    data = csv_bytes(
        f"{IIN_A},S-1,2021-09-14 10:30,positive,KDL",
        f"{IIN_B},S-2,2021-09-15 09:00,negative,KDL",
        f"{IIN_B},V-9,2021-06-01,vaccinated,Vaccination register",
        "123,S-3,2021-09-14 10:30,negative,KDL",
    )
    lab_import = checked(data, uploader)

    lab_import_commit(lab_import, by=uploader)

    assert lab_import.state == LabImport.State.DONE
    assert (lab_import.created_rows, lab_import.finished_at) == (3, NOW)
    assert lab_import.report["records_created"] == 4
    sample = datetime.datetime(2021, 9, 14, 10, 30, tzinfo=ALMATY)
    negative = datetime.datetime(2021, 9, 15, 9, 0, tzinfo=ALMATY)
    vaccinated = datetime.datetime(2021, 6, 1, 0, 0, tzinfo=ALMATY)
    records = StatusRecord.objects.order_by("iin", "valid_from")
    assert [
        (r.iin, r.status, r.source, r.valid_from, r.valid_until, r.lab_result.sample_id)
        for r in records
    ] == [
        (IIN_A, "red", "pcr_positive", sample, sample + datetime.timedelta(days=10), "S-1"),
        (
            IIN_A,
            "green",
            "recovery",
            sample + datetime.timedelta(days=10),
            sample + datetime.timedelta(days=100),
            "S-1",
        ),
        (
            IIN_B,
            "green",
            "vaccination",
            vaccinated,
            vaccinated + datetime.timedelta(days=365),
            "V-9",
        ),
        (IIN_B, "green", "pcr_negative", negative, negative + datetime.timedelta(days=7), "S-2"),
    ]
    with translation.override("en"):
        assert {(r.created_by, r.reason) for r in records} == {
            (uploader, f"Lab import {lab_import.pk}: results.csv")
        }
    assert {(r.note_code, r.note) for r in records} == {("lab_import", "")}
    assert set(LabResult.objects.values_list("lab_import", flat=True)) == {lab_import.pk}
    assert cache.get(f"lab-import-progress:{lab_import.pk}") == {
        "done": 6,
        "total": 6,
        "phase": "importing",
    }


@pytest.mark.django_db
def test_importing_the_same_file_twice_creates_nothing_the_second_time(now, uploader):
    first = checked(TWO_RESULTS, uploader)
    lab_import_commit(first, by=uploader)

    second = checked(TWO_RESULTS, uploader)
    confirmed = lab_import_confirm(second, by=uploader)
    lab_import_commit(second, by=uploader)

    second.refresh_from_db()
    assert confirmed is False
    assert (second.accepted_rows, second.duplicate_rows, second.created_rows) == (0, 2, 0)
    assert LabResult.objects.count() == 2
    assert StatusRecord.objects.count() == 3


@pytest.mark.django_db
def test_lab_import_commit_skips_rows_imported_since_the_check(now, uploader):
    lab_import = checked(TWO_RESULTS, uploader)
    LabResult.objects.create(
        lab="KDL", sample_id="S-1", iin=IIN_A, taken_at=NOW, source=Source.PCR_NEGATIVE
    )

    lab_import_commit(lab_import, by=uploader)

    assert lab_import.created_rows == 1
    assert list(StatusRecord.objects.values_list("iin", "source")) == [(IIN_B, "pcr_negative")]


@pytest.mark.django_db
def test_lab_import_commit_that_fails_leaves_nothing(now, uploader, monkeypatch, sms_outbox):
    UserFactory(iin=IIN_A)
    lab_import = checked(csv_bytes(f"{IIN_A},S-1,2021-09-14 10:30,positive,KDL"), uploader)

    def broken(*args, **kwargs):
        raise RuntimeError("SMS queue is down")

    monkeypatch.setattr(imports, "notify_changes", broken)

    lab_import_commit(lab_import, by=uploader)

    lab_import.refresh_from_db()
    assert lab_import.state == LabImport.State.FAILED
    assert lab_import.error == (
        "The import failed and nothing was imported: RuntimeError: SMS queue is down"
    )
    assert lab_import.report["error"] == {
        "code": "commit_failed",
        "params": {"error": "RuntimeError: SMS queue is down"},
    }
    assert LabResult.objects.count() == 0
    assert StatusRecord.objects.count() == 0
    assert sms_outbox == []


@pytest.mark.django_db
def test_lab_import_commit_texts_account_holders_whose_colour_changes(
    now, uploader, sms_outbox, django_capture_on_commit_callbacks
):
    holder = UserFactory(iin=IIN_A, language="ru")
    unchanged = UserFactory(iin=iin(3))
    data = csv_bytes(
        f"{IIN_A},S-1,2021-09-18 10:30,positive,KDL",
        f"{IIN_B},S-2,2021-09-18 10:30,positive,KDL",
        # Long expired: the colour of this account holder stays blue.
        f"{unchanged.iin},S-3,2021-01-10 10:30,negative,KDL",
    )
    lab_import = checked(data, uploader)

    with django_capture_on_commit_callbacks(execute=True):
        lab_import_commit(lab_import, by=uploader)

    assert lab_import.created_rows == 3
    assert [(sms.to, sms.text) for sms in sms_outbox] == [
        (str(holder.phone), "Ashyq: ваш статус теперь красный, до 28.09.2021 10:30.")
    ]
    assert list(Notification.objects.values_list("iin", "kind")) == [(IIN_A, "changed")]


@pytest.mark.django_db
def test_lab_import_commit_of_a_finished_import_does_nothing(now, uploader):
    lab_import = checked(csv_bytes(f"{IIN_A},S-1,2021-09-14,negative,KDL"), uploader)
    lab_import_commit(lab_import, by=uploader)

    lab_import_commit(lab_import, by=uploader)

    assert (lab_import.state, lab_import.created_rows) == (LabImport.State.DONE, 1)
    assert StatusRecord.objects.count() == 1


@pytest.mark.django_db
def test_lab_import_confirm_starts_one_commit(now, uploader, django_capture_on_commit_callbacks):
    lab_import = checked(csv_bytes(f"{IIN_A},S-1,2021-09-14,negative,KDL"), uploader)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        first = lab_import_confirm(lab_import, by=uploader)
        second = lab_import_confirm(lab_import, by=uploader)

    lab_import.refresh_from_db()
    assert (first, second, len(callbacks)) == (True, False, 1)
    assert (lab_import.state, lab_import.created_rows) == (LabImport.State.DONE, 1)


@pytest.mark.django_db
def test_lab_import_upload_checks_in_a_task(now, uploader, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        lab_import = lab_import_upload(
            file_name="r.csv",
            content=csv_bytes(f"{IIN_A},S-1,2021-09-14,negative,KDL"),
            by=uploader,
        )

    lab_import.refresh_from_db()
    assert (lab_import.state, lab_import.accepted_rows) == (LabImport.State.CHECKED, 1)


@pytest.mark.django_db
def test_lab_import_tasks_return_when_the_import_is_gone():
    from statuses.tasks import lab_import_check_task, lab_import_commit_task

    assert lab_import_check_task.delay(999).get() is None
    assert lab_import_commit_task.delay(999, 1).get() is None


# About 25 s on SQLite (parse 2 s, check 3 s, commit 20 s), so out of the
# default run: `pytest -m slow` runs it.
@pytest.mark.slow
@pytest.mark.django_db
def test_a_100_000_row_import_runs_through_the_tasks(
    uploader, django_capture_on_commit_callbacks, capsys
):
    people = valid_iins()
    # One in ten positive: 110 000 status records. Semicolons and day-first
    # dates, as a Russian-locale spreadsheet writes them.
    rows = [
        f"{next(people)};S-{n};14.09.2021 10:{n % 60:02d};"
        f"{'positive' if n % 10 == 0 else 'negative'};Lab {n % 5}"
        for n in range(100_000)
    ]
    data = csv_bytes(*rows, header=HEADER.replace(",", ";"))

    started = time.perf_counter()
    parsed = parse_lab_csv(data)
    parse_seconds = time.perf_counter() - started

    started = time.perf_counter()
    with django_capture_on_commit_callbacks(execute=True):
        lab_import = lab_import_upload(file_name="big.csv", content=data, by=uploader)
    lab_import.refresh_from_db()
    check_seconds = time.perf_counter() - started

    started = time.perf_counter()
    with django_capture_on_commit_callbacks(execute=True):
        lab_import_confirm(lab_import, by=uploader)
    lab_import.refresh_from_db()
    commit_seconds = time.perf_counter() - started

    with capsys.disabled():
        print(
            f"\n100 000 rows: parse {parse_seconds:.1f} s, check task {check_seconds:.1f} s, "
            f"commit task {commit_seconds:.1f} s"
        )
    assert (len(parsed.rows), parsed.rejected) == (100_000, [])
    assert lab_import.state == LabImport.State.DONE
    assert (lab_import.accepted_rows, lab_import.created_rows) == (100_000, 100_000)
    assert LabResult.objects.count() == 100_000
    assert StatusRecord.objects.count() == 110_000
