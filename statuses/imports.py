"""Lab results from a CSV file (docs/rules.md §5): parse, dry run, then commit as a whole.

The flow is upload → check (a dry run: every row accepted or rejected with a
reason) → confirm → commit. Both steps run in Celery tasks, because a
100 000-row file must not be processed inside a request. Re-importing a file
creates nothing twice: a result is unique per laboratory and sample id.

Reading the file is `statuses/lab_csv.py`, which touches no database; this
module stores, checks and commits. Messages are stored in reports as a code
and parameters, never as text, so a report reads in the language of whoever
opens it, not of the worker that wrote it.
"""

import datetime
import logging
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone, translation

from accounts.audit import audit_record
from accounts.models import AuditEntry, User
from statuses import notes
from statuses.lab_csv import FileError, ParsedFile, ParsedRow, parse_lab_csv
from statuses.models import LabImport, LabResult, StatusRecord
from statuses.rules import Derived
from statuses.selectors import lab_results_stored, statuses_at
from statuses.services import notify_changes, records_for_lab_result
from statuses.signals import statuses_changed

logger = logging.getLogger(__name__)

T = TypeVar("T")

# What a report keeps for display; the totals are always exact.
REPORT_REJECTED_LIMIT = 1000
REPORT_ACCEPTED_LIMIT = 200

# Rows per `__in` query and per INSERT: below every backend's parameter limit
# (Oracle and old SQLite stop at 1000 / 999 variables).
LOOKUP_CHUNK = 900
INSERT_BATCH = 2000

PROGRESS_TIMEOUT = 24 * 3600


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def progress_key(import_id: int) -> str:
    return f"lab-import-progress:{import_id}"


def import_progress(import_id: int) -> dict[str, Any] | None:
    return cache.get(progress_key(import_id))


def _progress(import_id: int, done: int, total: int, phase: str) -> None:
    # The cache, not the row: the commit runs in one transaction, and nobody
    # else would see the row change until it ends.
    cache.set(
        progress_key(import_id),
        {"done": done, "total": total, "phase": phase},
        PROGRESS_TIMEOUT,
    )


def _report(
    parsed: ParsedFile, new: Sequence[ParsedRow], already: Sequence[ParsedRow]
) -> dict[str, Any]:
    return {
        "error": None,
        "encoding": parsed.encoding,
        "delimiter": parsed.delimiter,
        "rejected": [row.as_report() for row in parsed.rejected[:REPORT_REJECTED_LIMIT]],
        "rejected_total": len(parsed.rejected),
        "rejected_by_code": dict(Counter(row.code for row in parsed.rejected).most_common()),
        "accepted": [row.as_report() for row in new[:REPORT_ACCEPTED_LIMIT]],
        "accepted_total": len(new),
        "already_imported": [row.as_report() for row in already[:REPORT_ACCEPTED_LIMIT]],
        "already_imported_total": len(already),
    }


def lab_import_upload(*, file_name: str, content: bytes, by: User) -> LabImport:
    """Store an uploaded file and queue its dry run."""
    from statuses.tasks import lab_import_check_task

    lab_import = LabImport.objects.create(file_name=file_name[:255], content=content, created_by=by)
    _progress(lab_import.pk, 0, 0, "checking")
    transaction.on_commit(lambda: lab_import_check_task.delay(lab_import.pk))
    logger.info("lab import %s uploaded by %s: %d bytes", lab_import.pk, by.pk, len(content))
    return lab_import


def lab_import_check(lab_import: LabImport, *, now: datetime.datetime | None = None) -> None:
    """The dry run: count and report the rows, write nothing but the import itself."""
    if lab_import.state != LabImport.State.CHECKING:
        logger.info("lab import %s is %s, not checking it again", lab_import.pk, lab_import.state)
        return
    now = now or timezone.now()
    _progress(lab_import.pk, 0, 0, "checking")
    try:
        parsed = parse_lab_csv(bytes(lab_import.content), now=now)
        if parsed.error is not None:
            _fail(lab_import, parsed.error, now=now)
            return
        total = len(parsed.rows)
        existing = lab_results_stored(
            [row.key for row in parsed.rows],
            on_progress=lambda done: _progress(lab_import.pk, done, total, "checking"),
        )
        new = [row for row in parsed.rows if row.key not in existing]
        already = [row for row in parsed.rows if row.key in existing]
        # total = accepted (new) + already imported + rejected
        lab_import.total_rows = parsed.total_rows
        lab_import.accepted_rows = len(new)
        lab_import.duplicate_rows = len(already)
        lab_import.rejected_rows = len(parsed.rejected)
        lab_import.report = _report(parsed, new, already)
        lab_import.state = LabImport.State.CHECKED
        lab_import.error = ""
        lab_import.save(
            update_fields=[
                "total_rows",
                "accepted_rows",
                "duplicate_rows",
                "rejected_rows",
                "report",
                "state",
                "error",
            ]
        )
    except Exception as exc:
        # Whatever went wrong, the page must stop saying "checking".
        logger.exception("lab import %s: check failed", lab_import.pk)
        _fail(lab_import, FileError("check_failed", {"error": _technical(exc)}), now=now)
        return
    _progress(lab_import.pk, total, total, "checking")
    logger.info(
        "lab import %s checked: %d rows, %d new, %d already imported, %d rejected",
        lab_import.pk,
        lab_import.total_rows,
        lab_import.accepted_rows,
        lab_import.duplicate_rows,
        lab_import.rejected_rows,
    )


def lab_import_confirm(lab_import: LabImport, *, by: User) -> bool:
    """Start the commit of a checked import; False when there is nothing to start.

    The state moves from checked to importing in one UPDATE, so a double click
    or two epidemiologists confirming at once queue a single commit.
    """
    from statuses.tasks import lab_import_commit_task

    started = LabImport.objects.filter(
        pk=lab_import.pk, state=LabImport.State.CHECKED, accepted_rows__gt=0
    ).update(state=LabImport.State.IMPORTING)
    if not started:
        return False
    lab_import.state = LabImport.State.IMPORTING
    _progress(lab_import.pk, 0, lab_import.accepted_rows, "importing")
    transaction.on_commit(lambda: lab_import_commit_task.delay(lab_import.pk, by.pk))
    logger.info("lab import %s confirmed by %s", lab_import.pk, by.pk)
    return True


def lab_import_commit(
    lab_import: LabImport, *, by: User | None, now: datetime.datetime | None = None
) -> None:
    """Create the results and status records of a checked file: all of them or none.

    Safe to run twice (a Celery task is acknowledged late): the import row is
    locked, and a finished import is left alone.
    """
    now = now or timezone.now()
    parsed = parse_lab_csv(bytes(lab_import.content), now=now)
    if parsed.error is not None:
        _fail(lab_import, parsed.error, now=now)
        return
    try:
        with transaction.atomic():
            locked = LabImport.objects.select_for_update().defer("content").get(pk=lab_import.pk)
            if locked.state not in (LabImport.State.CHECKED, LabImport.State.IMPORTING):
                logger.info("lab import %s is %s, not importing it", locked.pk, locked.state)
                return
            created, records = _import_rows(locked, parsed.rows, by=by, now=now)
            locked.state = LabImport.State.DONE
            locked.created_rows = created
            locked.finished_at = timezone.now()
            locked.report = {**locked.report, "records_created": records}
            locked.save(update_fields=["state", "created_rows", "finished_at", "report"])
            audit_record(
                actor=by,
                action=AuditEntry.Action.LAB_IMPORTED,
                obj=locked,
                detail={"file": locked.file_name, "results": created, "records": records},
            )
    except Exception as exc:
        logger.exception("lab import %s: commit failed, rolled back", lab_import.pk)
        _fail(lab_import, FileError("commit_failed", {"error": _technical(exc)}), now=now)
        return
    lab_import.refresh_from_db()
    logger.info(
        "lab import %s done: %d results, %d status records", lab_import.pk, created, records
    )


def _import_rows(
    lab_import: LabImport,
    rows: Sequence[ParsedRow],
    *,
    by: User | None,
    now: datetime.datetime,
) -> tuple[int, int]:
    """Insert inside the caller's transaction; return (results, records) created."""
    total = len(rows)
    # docs/rules.md §2: people with an account get an SMS when their colour changes,
    # so their statuses are taken before anything is written.
    iins = sorted({row.iin for row in rows})
    account_iins: list[str] = []
    for chunk in _chunks(iins, LOOKUP_CHUNK):
        account_iins.extend(User.objects.filter(iin__in=chunk).values_list("iin", flat=True))
    before: dict[str, Derived] = {}
    for chunk in _chunks(account_iins, LOOKUP_CHUNK):
        before.update(statuses_at(chunk, now))

    existing = lab_results_stored([row.key for row in rows])
    new = [row for row in rows if row.key not in existing]
    # Two steps per row: its result, then its status records.
    steps = 2 * len(new)
    done = 0
    _progress(lab_import.pk, done, steps, "importing")
    for batch in _chunks(new, INSERT_BATCH):
        # A row another import stored since the lookup above hits the unique
        # constraint and is skipped; only this import's rows are read back.
        LabResult.objects.bulk_create(
            [
                LabResult(
                    lab=row.lab,
                    sample_id=row.sample_id,
                    iin=row.iin,
                    taken_at=row.taken_at,
                    source=row.source.value,
                    phone=row.phone,
                    lab_import=lab_import,
                )
                for row in batch
            ],
            batch_size=INSERT_BATCH,
            ignore_conflicts=True,
        )
        done += len(batch)
        _progress(lab_import.pk, done, steps, "importing")

    note = {
        "note_code": notes.LAB_IMPORT,
        "note_params": {"id": lab_import.pk, "file": lab_import.file_name},
    }
    created = 0
    records_created = 0
    pending: list[StatusRecord] = []
    results = LabResult.objects.filter(lab_import=lab_import).order_by("pk")
    for result in results.iterator(chunk_size=INSERT_BATCH):
        created += 1
        pending.extend(records_for_lab_result(result, created_by=by, **note))
        if len(pending) >= INSERT_BATCH:
            records_created += _insert_records(pending)
            _progress(lab_import.pk, len(new) + created, steps, "importing")
    records_created += _insert_records(pending)

    for chunk in _chunks(list(before.items()), LOOKUP_CHUNK):
        notify_changes(dict(chunk), now=now)
    statuses_changed.send(sender=StatusRecord, iins=sorted({row.iin for row in new}), now=now)
    _progress(lab_import.pk, steps, steps, "importing")
    logger.info("lab import %s: %d of %d valid rows were new", lab_import.pk, created, total)
    return created, records_created


def _insert_records(pending: list[StatusRecord]) -> int:
    count = len(pending)
    StatusRecord.objects.bulk_create(pending, batch_size=INSERT_BATCH)
    pending.clear()
    return count


def _technical(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]


def _fail(lab_import: LabImport, error: FileError, *, now: datetime.datetime) -> None:
    with translation.override(getattr(lab_import.created_by, "language", None)):
        text = error.message
    report = {**(lab_import.report or {}), "error": error.as_report()}
    LabImport.objects.filter(pk=lab_import.pk).update(
        state=LabImport.State.FAILED, error=text, report=report, finished_at=now
    )
    lab_import.state = LabImport.State.FAILED
    lab_import.error = text
    lab_import.report = report
    lab_import.finished_at = now
    logger.info("lab import %s failed: %s", lab_import.pk, error.code)
