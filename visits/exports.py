"""CSV that is safe to open in a spreadsheet.

A cell that starts with =, +, -, @, a tab or a carriage return is a formula
to Excel and LibreOffice: the attack that hit a German check-in app's
health-office export in 2021. Such cells get a leading apostrophe.
"""

import csv
import io
from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


def csv_safe(value: object) -> str:
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def csv_document(header: Iterable[object], rows: Iterable[Iterable[object]]) -> str:
    """UTF-8 with a byte-order mark, so Excel opens Cyrillic correctly."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([csv_safe(cell) for cell in header])
    for row in rows:
        writer.writerow([csv_safe(cell) for cell in row])
    return buffer.getvalue()
