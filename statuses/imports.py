"""Lab results from a CSV file (docs/rules.md §5): parse, dry run, then commit as a whole.

The flow is upload → check (a dry run: every row accepted or rejected with a
reason) → confirm → commit. Both steps run in Celery tasks, because a
100 000-row file must not be processed inside a request. Re-importing a file
creates nothing twice: a result is unique per laboratory and sample id.

`parse_lab_csv` touches no database, so the parsing rules are tested as
tables. Messages are stored in reports as a code and parameters, never as
text, so a report reads in the language of whoever opens it, not of the
worker that wrote it.
"""

import codecs
import csv
import datetime
import io
import logging
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.audit import audit_record
from accounts.identifiers import IIN_MESSAGES, IdentifierError, validate_iin
from accounts.models import AuditEntry, User
from accounts.phones import PhoneError, parse_phone
from statuses import notes
from statuses.models import LabImport, LabResult, StatusRecord
from statuses.rules import Derived, Source
from statuses.selectors import statuses_at
from statuses.services import notify_changes, records_for_lab_result
from statuses.signals import statuses_changed

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Limits on one file. Larger exports are split by the lab: a single import is
# one transaction, and its report has to stay readable.
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 200_000

# What a report keeps for display; the totals are always exact.
REPORT_REJECTED_LIMIT = 1000
REPORT_ACCEPTED_LIMIT = 200

# Rows per `__in` query and per INSERT: below every backend's parameter limit
# (Oracle and old SQLite stop at 1000 / 999 variables).
LOOKUP_CHUNK = 900
INSERT_BATCH = 2000

# A lab clock running a little fast is not a typo; a day in the future is.
FUTURE_TOLERANCE = datetime.timedelta(hours=1)

PROGRESS_TIMEOUT = 24 * 3600

COLUMNS = ("iin", "sample_id", "taken_at", "result", "lab")

# Header names as labs write them, after lower-casing, "_" → " " and
# collapsing spaces. Russian because most lab software in Kazakhstan is
# Russian-language; Kazakh too (ЖСН is the Kazakh name of the IIN), the
# words the Kazakh upload page names.
COLUMN_ALIASES = {
    "iin": "iin",
    "иин": "iin",
    "жсн": "iin",
    "sample id": "sample_id",
    "номер пробы": "sample_id",
    "сынама нөмірі": "sample_id",
    "taken at": "taken_at",
    "sample taken at": "taken_at",
    "дата забора": "taken_at",
    "сынама алынған уақыт": "taken_at",
    "result": "result",
    "результат": "result",
    "нәтиже": "result",
    "lab": "lab",
    "лаборатория": "lab",
    # Optional: the number the person gave the laboratory.
    "phone": "phone",
    "phone number": "phone",
    "телефон": "phone",
    "номер телефона": "phone",
    "зертхана": "lab",
}
EXPECTED_COLUMNS = (
    "iin (ИИН), sample_id (номер пробы), taken_at (дата забора), "
    "result (результат), lab (лаборатория)"
)

# The result column, lower-cased. Kept small on purpose: an unknown word is
# rejected with a reason rather than guessed. The source codes themselves are
# accepted so that our own exports read back in.
RESULTS = {
    "positive": Source.PCR_POSITIVE,
    "положительный": Source.PCR_POSITIVE,
    "оң": Source.PCR_POSITIVE,
    "+": Source.PCR_POSITIVE,
    "negative": Source.PCR_NEGATIVE,
    "отрицательный": Source.PCR_NEGATIVE,
    "теріс": Source.PCR_NEGATIVE,
    "-": Source.PCR_NEGATIVE,
    "vaccinated": Source.VACCINATION,
    "вакцинирован": Source.VACCINATION,
    "вакцинацияланған": Source.VACCINATION,
    "recovered": Source.RECOVERY,
    "переболел": Source.RECOVERY,
    "ауырып жазылған": Source.RECOVERY,
    Source.PCR_POSITIVE.value: Source.PCR_POSITIVE,
    Source.PCR_NEGATIVE.value: Source.PCR_NEGATIVE,
    Source.VACCINATION.value: Source.VACCINATION,
    Source.RECOVERY.value: Source.RECOVERY,
}

# Limits of the LabResult columns: a longer value would fail the whole
# import at commit time, so it is one rejected row instead.
SAMPLE_ID_MAX_LENGTH = LabResult._meta.get_field("sample_id").max_length
LAB_MAX_LENGTH = LabResult._meta.get_field("lab").max_length

# 14.09.2021, 14.09.2021 10:30 or 14.09.2021 10:30:15 (Russian-locale
# spreadsheets). A regex, not strptime: it is ten times faster on 100 000 rows.
DAY_FIRST = re.compile(
    r"(?P<day>\d{1,2})\.(?P<month>\d{1,2})\.(?P<year>\d{4})"
    r"(?: (?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?)?",
    re.ASCII,
)
ISO_START = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
# Control characters other than tab, CR and LF: a file holding them is not
# text, whichever single-byte encoding happened to "decode" it.
NOT_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

FILE_MESSAGES = {
    "too_large": _("The file is larger than %(limit)s MB. Split it into smaller files."),
    "too_many_rows": _("The file has more than %(limit)s rows. Split it into smaller files."),
    "empty": _("The file is empty."),
    "no_rows": _("The file has a header but no rows."),
    "encoding": _(
        "The file is not UTF-8 or Windows-1251 text. Save it from the spreadsheet as CSV UTF-8."
    ),
    "binary": _("This is not a CSV text file. Save it from the spreadsheet as CSV UTF-8."),
    "malformed": _("The file cannot be read as CSV near line %(line)s. Check the quotes there."),
    "missing_columns": _("Missing columns: %(missing)s. The file needs the columns %(expected)s."),
    "unknown_columns": _("Unknown columns: %(unknown)s. The file needs the columns %(expected)s."),
    "duplicate_columns": _("The column %(column)s appears more than once."),
    "check_failed": _("The file could not be checked: %(error)s"),
    "commit_failed": _("The import failed and nothing was imported: %(error)s"),
}

ROW_MESSAGES = {
    "column_count": _("The row has %(found)s values, the header has %(expected)s."),
    "iin_leading_zero": _(
        "The IIN has 11 digits: the spreadsheet dropped its leading zero. "
        "Format the IIN column as text and export the file again."
    ),
    "sample_id_empty": _("The sample id is empty."),
    "sample_id_too_long": _("The sample id is longer than %(limit)s characters."),
    "lab_empty": _("The laboratory is empty."),
    "lab_too_long": _("The laboratory name is longer than %(limit)s characters."),
    "taken_at_empty": _("The sample date is empty."),
    "taken_at_format": _(
        "“%(value)s” is not a date. Write it as 2021-09-14 10:30 or 14.09.2021 10:30."
    ),
    "taken_at_future": _("The sample date %(value)s is in the future."),
    "result_unknown": _(
        "“%(value)s” is not a known result. Use positive, negative, vaccinated or recovered."
    ),
    "duplicate_in_file": _(
        "Duplicate in this file: the same laboratory and sample id are on line %(line)s."
    ),
    "already_imported": _("Already imported."),
    "phone_invalid": _(
        "“%(value)s” is not a mobile phone number. Write it as +7 701 123 45 67, or leave it empty."
    ),
}


def message_for(code: str, params: dict[str, Any] | None = None) -> str:
    """The message for a report code, in the active language."""
    template = ROW_MESSAGES.get(code) or FILE_MESSAGES.get(code)
    if template is None and code.startswith("iin_"):
        template = IIN_MESSAGES.get(code.removeprefix("iin_"))
    if template is None:
        return code
    return str(template) % params if params else str(template)


@dataclass(frozen=True, slots=True)
class ParsedRow:
    line: int
    iin: str
    sample_id: str
    taken_at: datetime.datetime
    source: Source
    lab: str
    phone: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.lab, self.sample_id)

    def as_report(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "iin": self.iin,
            "sample_id": self.sample_id,
            "taken_at": self.taken_at.isoformat(),
            "source": self.source.value,
            "lab": self.lab,
            # Only when the file had one: most files have no phone column.
            **({"phone": self.phone} if self.phone else {}),
        }


@dataclass(frozen=True, slots=True)
class RejectedRow:
    line: int
    values: dict[str, str]
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> str:
        return message_for(self.code, self.params)

    def as_report(self) -> dict[str, Any]:
        return {"line": self.line, "values": self.values, "code": self.code, "params": self.params}


@dataclass(frozen=True, slots=True)
class FileError:
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> str:
        return message_for(self.code, self.params)

    def as_report(self) -> dict[str, Any]:
        return {"code": self.code, "params": self.params}


@dataclass
class ParsedFile:
    rows: list[ParsedRow] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    error: FileError | None = None
    encoding: str = ""
    delimiter: str = ""

    @property
    def total_rows(self) -> int:
        return len(self.rows) + len(self.rejected)


class _RowError(Exception):
    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


def parse_lab_csv(data: bytes, *, now: datetime.datetime | None = None) -> ParsedFile:
    """Read a lab's CSV file: every data row is accepted or rejected with a reason.

    Anything wrong with the file as a whole (size, encoding, columns) is a
    file-level error and no row counts. Blank lines are skipped.
    """
    now = now or timezone.now()
    if len(data) > MAX_FILE_BYTES:
        return ParsedFile(error=FileError("too_large", {"limit": MAX_FILE_BYTES // 2**20}))
    decoded = _decode(data)
    if isinstance(decoded, FileError):
        return ParsedFile(error=decoded)
    text, encoding = decoded
    if not text.strip():
        return ParsedFile(error=FileError("empty"), encoding=encoding)
    if NOT_TEXT.search(text):
        return ParsedFile(error=FileError("binary"), encoding=encoding)
    delimiter = _sniff_delimiter(text)
    parsed = ParsedFile(encoding=encoding, delimiter=delimiter)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        _read_rows(reader, parsed, now)
    except csv.Error:
        logger.info("lab csv unreadable near line %d", reader.line_num)
        return ParsedFile(
            error=FileError("malformed", {"line": reader.line_num}),
            encoding=encoding,
            delimiter=delimiter,
        )
    return parsed


def _decode(data: bytes) -> tuple[str, str] | FileError:
    # Excel in Kazakhstan and Russia saves "CSV" as Windows-1251 and "CSV
    # UTF-8" with a BOM; "Unicode text" is UTF-16 with a BOM.
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            return FileError("encoding")
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1251"), "cp1251"
    except UnicodeDecodeError:
        return FileError("encoding")


def _sniff_delimiter(text: str) -> str:
    # The header decides: it has no quoted commas, and csv.Sniffer guesses
    # wrong on files with many date and decimal separators.
    header = next(line for line in io.StringIO(text) if line.strip())
    counts = {delimiter: header.count(delimiter) for delimiter in (",", ";", "\t")}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def _normalise_header(name: str) -> str:
    return " ".join(name.replace("_", " ").lower().split())


def _read_rows(reader: Any, parsed: ParsedFile, now: datetime.datetime) -> None:
    header: list[str] | None = None
    positions: dict[str, int] = {}
    first_line: dict[tuple[str, str], int] = {}
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        line = reader.line_num
        if header is None:
            header = cells
            error = _columns(cells, positions)
            if error is not None:
                parsed.error = error
                return
            continue
        if parsed.total_rows >= MAX_ROWS:
            parsed.error = FileError("too_many_rows", {"limit": MAX_ROWS})
            parsed.rows.clear()
            parsed.rejected.clear()
            return
        values = {
            name: cells[positions[name]].strip() if positions[name] < len(cells) else ""
            for name in positions
        }
        try:
            # After _columns() every column is known and present exactly once.
            row = _parse_row(line, cells, len(positions), values, now)
        except _RowError as exc:
            parsed.rejected.append(RejectedRow(line, _shorten(values), exc.code, exc.params))
            continue
        if row.key in first_line:
            parsed.rejected.append(
                RejectedRow(
                    line, _shorten(values), "duplicate_in_file", {"line": first_line[row.key]}
                )
            )
            continue
        first_line[row.key] = line
        parsed.rows.append(row)
    if header is None:
        parsed.error = FileError("empty")
    elif not parsed.total_rows:
        parsed.error = FileError("no_rows")


def _columns(header: list[str], positions: dict[str, int]) -> FileError | None:
    # Spreadsheets leave empty cells after the last column; they name nothing.
    while header and not header[-1].strip():
        header = header[:-1]
    unknown = []
    for index, raw in enumerate(header):
        name = COLUMN_ALIASES.get(_normalise_header(raw))
        if name is None:
            unknown.append(raw.strip() or '""')
        elif name in positions:
            return FileError("duplicate_columns", {"column": raw.strip()})
        else:
            positions[name] = index
    missing = [name for name in COLUMNS if name not in positions]
    if missing:
        params = {"missing": ", ".join(missing), "expected": EXPECTED_COLUMNS}
        return FileError("missing_columns", params)
    if unknown:
        params = {"unknown": ", ".join(unknown), "expected": EXPECTED_COLUMNS}
        return FileError("unknown_columns", params)
    return None


def _parse_row(
    line: int, cells: list[str], width: int, values: dict[str, str], now: datetime.datetime
) -> ParsedRow:
    # Trailing empty cells are the spreadsheet's, not missing or extra data.
    found = len(cells)
    while found > width and not cells[found - 1].strip():
        found -= 1
    if found != width:
        raise _RowError("column_count", found=found, expected=width)
    try:
        iin = validate_iin(values["iin"])
    except IdentifierError as exc:
        if _lost_leading_zero(values["iin"]):
            raise _RowError("iin_leading_zero") from None
        raise _RowError(f"iin_{exc.code}") from None
    sample_id = values["sample_id"]
    if not sample_id:
        raise _RowError("sample_id_empty")
    if len(sample_id) > SAMPLE_ID_MAX_LENGTH:
        raise _RowError("sample_id_too_long", limit=SAMPLE_ID_MAX_LENGTH)
    lab = " ".join(values["lab"].split())
    if not lab:
        raise _RowError("lab_empty")
    if len(lab) > LAB_MAX_LENGTH:
        raise _RowError("lab_too_long", limit=LAB_MAX_LENGTH)
    taken_at = _parse_taken_at(values["taken_at"])
    if taken_at > now + FUTURE_TOLERANCE:
        raise _RowError("taken_at_future", value=values["taken_at"][:50])
    source = RESULTS.get(values["result"].lower())
    if source is None:
        raise _RowError("result_unknown", value=values["result"][:50])
    phone = ""
    if values.get("phone"):
        try:
            phone = parse_phone(values["phone"], settings.SMS_ALLOWED_COUNTRIES)
        except PhoneError:
            raise _RowError("phone_invalid", value=values["phone"][:50]) from None
    return ParsedRow(line, iin, sample_id, taken_at, source, lab, phone)


def _lost_leading_zero(value: str) -> bool:
    # People born in 2000-2009 have IINs starting with 0, which a spreadsheet
    # drops when the column is numeric. Said, never repaired: a guess could
    # give a result to the wrong person.
    if len(value) != 11 or not value.isascii() or not value.isdigit():
        return False
    try:
        validate_iin(f"0{value}")
    except IdentifierError:
        return False
    return True


def _parse_taken_at(value: str) -> datetime.datetime:
    """ISO 8601 or the day-first format of Russian-locale spreadsheets.

    A date or time without an offset is local time (settings.TIME_ZONE); a
    date alone means its midnight.
    """
    value = value.strip()
    if not value:
        raise _RowError("taken_at_empty")
    parsed = None
    # fromisoformat alone would also take "20210914" and week dates.
    if ISO_START.match(value):
        try:
            parsed = datetime.datetime.fromisoformat(value)
        except ValueError:
            parsed = None
    elif match := DAY_FIRST.fullmatch(value):
        parts = {name: int(number or 0) for name, number in match.groupdict().items()}
        try:
            parsed = datetime.datetime(**parts)
        except ValueError:
            parsed = None
    if parsed is None:
        raise _RowError("taken_at_format", value=value[:50])
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def _shorten(values: dict[str, str]) -> dict[str, str]:
    return {name: value[:100] for name, value in values.items()}


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


def _already_imported(rows: Sequence[ParsedRow], *, on_progress=None) -> set[tuple[str, str]]:
    """The (lab, sample id) pairs among these rows that are already stored."""
    by_lab: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        by_lab[row.lab].append(row.sample_id)
    found: set[tuple[str, str]] = set()
    done = 0
    for lab, sample_ids in by_lab.items():
        for chunk in _chunks(sample_ids, LOOKUP_CHUNK):
            found.update(
                LabResult.objects.filter(lab=lab, sample_id__in=chunk).values_list(
                    "lab", "sample_id"
                )
            )
            done += len(chunk)
            if on_progress is not None:
                on_progress(done)
    return found


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
        existing = _already_imported(
            parsed.rows, on_progress=lambda done: _progress(lab_import.pk, done, total, "checking")
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

    existing = _already_imported(rows)
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


def report_rows(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Report entries with their message in the active language (for display)."""
    return [{**row, "message": message_for(row["code"], row.get("params"))} for row in rows]
