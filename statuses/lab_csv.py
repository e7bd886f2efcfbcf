"""Reading a lab's CSV file (docs/rules.md §5): columns, results, dates and
encodings, every row accepted or rejected with a reason. No database: the
rules are tested as tables. Messages are kept as a code and parameters, so a
report reads in the language of whoever opens it, not of the worker that
wrote it.
"""

import codecs
import csv
import datetime
import io
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import timezone

from accounts.identifiers import IdentifierError, validate_iin
from accounts.phones import PhoneError, parse_phone
from statuses.lab_messages import message_for
from statuses.models import LabResult
from statuses.rules import Source

# Limits on one file. Larger exports are split by the lab: a single import is
# one transaction, and its report has to stay readable.
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 200_000

logger = logging.getLogger(__name__)


# A lab clock running a little fast is not a typo; a day in the future is.
FUTURE_TOLERANCE = datetime.timedelta(hours=1)


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


class _Coded:
    """A row's or a file's problem: its `code` and `params` make the sentence."""

    __slots__ = ()

    @property
    def message(self) -> str:
        return message_for(self.code, self.params)


@dataclass(frozen=True, slots=True)
class RejectedRow(_Coded):
    line: int
    values: dict[str, str]
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def as_report(self) -> dict[str, Any]:
        return {"line": self.line, "values": self.values, "code": self.code, "params": self.params}


@dataclass(frozen=True, slots=True)
class FileError(_Coded):
    code: str
    params: dict[str, Any] = field(default_factory=dict)

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
