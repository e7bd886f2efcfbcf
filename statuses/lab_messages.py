"""What a lab import's report says, in the language of whoever reads it.

Reports store a code and its parameters (statuses/lab_csv.py); the sentence is
made only when a page shows it.
"""

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext_lazy as _

from accounts.identifiers import IIN_MESSAGES

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


def report_rows(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Report entries with their message in the active language (for display)."""
    return [{**row, "message": message_for(row["code"], row.get("params"))} for row in rows]
