"""The CSV files: the visit log (the organisation's dashboard and the admin)
and the contacts of a traced case, safe to open in a spreadsheet.

A cell that starts with =, +, -, @, a tab or a carriage return is a formula
to Excel and LibreOffice: the attack that hit a German check-in app's
health-office export in 2021. Such cells get a leading apostrophe.

A year of a mall's visits is millions of rows: the visit log is streamed a
line at a time from a database cursor, so memory stays the same whatever the
size of the file.
"""

import csv
import datetime
from collections.abc import Iterable, Iterator, Sequence

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.identifiers import mask_iin
from statuses.models import StatusChoices
from visits.models import Visit
from visits.rules import DENIAL_LABELS
from visits.tracing import Contact

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
# Rows fetched from the cursor at a time: large enough to be quick, small
# enough that memory stays flat.
CHUNK_ROWS = 2000


def csv_safe(value: object) -> str:
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


class _Line:
    """csv.writer's file: hands each written line back instead of keeping it."""

    def write(self, line: str) -> str:
        return line


def csv_lines(header: Iterable[object], rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """UTF-8 with a byte-order mark, so Excel opens Cyrillic correctly."""
    writer = csv.writer(_Line(), lineterminator="\r\n")
    yield BOM + writer.writerow([csv_safe(cell) for cell in header])
    for row in rows:
        yield writer.writerow([csv_safe(cell) for cell in row])


def csv_download(
    header: Iterable[object], rows: Iterable[Iterable[object]], filename: str
) -> StreamingHttpResponse:
    """The file as an attachment, sent while its rows are read.

    The rows are read after the view has returned, so the language and the
    time zone of the request are carried into the stream.
    """
    language = translation.get_language()
    zone = timezone.get_current_timezone()

    def lines() -> Iterator[bytes]:
        with translation.override(language), timezone.override(zone):
            for line in csv_lines(header, rows):
                yield line.encode()

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _local(value: datetime.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def visit_log_header(*, full: bool) -> list[str]:
    """`full` is the epidemiologist's file: whole IINs, names and who recorded the
    visit; the organisation's has the IIN masked as staff see it (docs/rules.md §9)."""
    names = [_("Checked in"), _("Checked out"), _("IIN")]
    names += [_("Name")] if full else []
    names += [_("Status"), _("Decision"), _("Reason"), _("How")]
    return names + ([_("Recorded by")] if full else [])


def visit_log_rows(visits: QuerySet[Visit], *, full: bool) -> Iterator[list[str]]:
    """One row a visit, in the order of `visits`, read through a cursor."""
    if full:
        visits = visits.select_related("user", "recorded_by")
    for visit in visits.iterator(chunk_size=CHUNK_ROWS):
        row = [
            _local(visit.checked_in_at),
            _local(visit.checked_out_at),
            visit.iin if full else mask_iin(visit.iin),
        ]
        if full:
            row.append(visit.user.full_name if visit.user else "")
        row += [
            StatusChoices(visit.status).label,
            _("admitted") if visit.admitted else _("denied"),
            DENIAL_LABELS.get(visit.denial_code, visit.denial_code or ""),
            visit.get_method_display(),
        ]
        if full:
            row.append(str(visit.recorded_by) if visit.recorded_by else "")
        yield row


def contacts_header() -> list[str]:
    return [
        _("Contact IIN"),
        _("Name"),
        _("Phone"),
        _("Venue"),
        _("Contact from"),
        _("Contact to"),
        _("Case from"),
        _("Case to"),
        _("Overlap, minutes"),
    ]


def contacts_rows(contacts: Sequence[Contact]) -> Iterator[list[object]]:
    """Tracing results for a spreadsheet: one row per overlap, full IINs."""
    for contact in contacts:
        for item in contact.overlaps:
            yield [
                contact.iin,
                contact.account.full_name if contact.account else "",
                contact.account.phone if contact.account else "",
                item.venue_name,
                _local(item.contact_start),
                _local(item.contact_end),
                _local(item.case_start),
                _local(item.case_end),
                item.minutes,
            ]
