"""IIN and BIN: the 12-digit numbers that identify a person and an organisation.

docs/rules.md §1: the IIN is the person key (lab results, vaccinations and contact lists
arrive by IIN before any account exists), so a malformed one must be refused
with a message that says what is wrong, never a 500 and never stored.

Pure functions: no models, no database, so forms, the CSV import and the staff
check-in field all share one definition of "valid".
"""

import datetime
import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from accounts.errors import AshyqError

IDENTIFIER_LENGTH = 12

# The two weight rows of the check digit, as published for IIN and BIN alike.
FIRST_PASS_WEIGHTS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
SECOND_PASS_WEIGHTS = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)

# 7th IIN digit -> first year of the century; the digit also carries sex (odd = male).
CENTURY_START = {1: 1800, 2: 1800, 3: 1900, 4: 1900, 5: 2000, 6: 2000}

# 5th BIN digit: 4 resident legal entity, 5 non-resident legal entity,
# 6 individual entrepreneur (joint venture).
BIN_ORGANISATION_TYPES = frozenset("456")
# 6th BIN digit: 0 head organisation, 1 branch, 2 representative office,
# 3 peasant farm / joint enterprise.
BIN_DIVISION_TYPES = frozenset("0123")

ASCII_DIGITS = frozenset("0123456789")

# Values are lazy translations; typed as str, which is how they are used.
Messages = dict[str, str]

IIN_MESSAGES: Messages = {
    "length": _("An IIN must be exactly 12 digits long."),
    "digits": _("An IIN may contain only the digits 0 to 9."),
    "century": _("The 7th digit of an IIN must be from 1 to 6."),
    "date": _("The first six digits of an IIN must be a real date of birth (YYMMDD)."),
    "check_digit": _(
        "This IIN is not valid: the last digit does not match the others. Check it for a typo."
    ),
}

BIN_MESSAGES: Messages = {
    "length": _("A BIN must be exactly 12 digits long."),
    "digits": _("A BIN may contain only the digits 0 to 9."),
    "date": _("The first four digits of a BIN must be a registration year and month (YYMM)."),
    "type": _("The 5th digit of a BIN must be 4, 5 or 6 (the type of organisation)."),
    "division": _("The 6th digit of a BIN must be from 0 to 3 (the type of division)."),
    "check_digit": _(
        "This BIN is not valid: the last digit does not match the others. Check it for a typo."
    ),
}


class IdentifierError(AshyqError, ValueError):
    """A malformed IIN or BIN; `code` says what is wrong (length, digits, date, check digit)."""


def check_digit(first11: str) -> int | None:
    """The 12th digit for these 11 digits, or None when no 12th digit can be valid.

    None is a real outcome, not an error: numbers whose both passes give 10 are
    never issued, so any 12-digit string starting with them is invalid.
    """
    if len(first11) != IDENTIFIER_LENGTH - 1 or not set(first11) <= ASCII_DIGITS:
        raise ValueError("check_digit() needs exactly 11 ASCII digits")
    digits = [int(char) for char in first11]
    for weights in (FIRST_PASS_WEIGHTS, SECOND_PASS_WEIGHTS):
        remainder = sum(w * d for w, d in zip(weights, digits, strict=True)) % 11
        if remainder != 10:
            return remainder
    return None


def _clean(raw: str, messages: Messages) -> str:
    # People type "061211 600012" or paste with a trailing newline; spaces are
    # never significant. Dashes are not removed: nobody writes an IIN with them,
    # so a dash more likely means a different number was pasted.
    value = "".join((raw or "").split())
    if len(value) != IDENTIFIER_LENGTH:
        raise IdentifierError("length", messages["length"])
    # Not str.isdigit(): it accepts Arabic-Indic and superscript digits, which
    # int() would then quietly turn into a different, "valid" number.
    if not set(value) <= ASCII_DIGITS:
        raise IdentifierError("digits", messages["digits"])
    return value


def _check(value: str, messages: Messages) -> None:
    expected = check_digit(value[:11])
    if expected is None or expected != int(value[11]):
        raise IdentifierError("check_digit", messages["check_digit"])


def _birth_date(value: str) -> datetime.date:
    century = CENTURY_START[int(value[6])]
    year, month, day = century + int(value[0:2]), int(value[2:4]), int(value[4:6])
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise IdentifierError("date", IIN_MESSAGES["date"]) from None


def validate_iin(raw: str) -> str:
    """Return the IIN as 12 ASCII digits, or raise IdentifierError.

    Checks run in the order a person can act on them: a wrong length first,
    then stray characters, then the birth date, and the check digit last,
    since a check-digit failure only says "there is a typo somewhere".
    """
    value = _clean(raw, IIN_MESSAGES)
    if int(value[6]) not in CENTURY_START:
        raise IdentifierError("century", IIN_MESSAGES["century"])
    _birth_date(value)
    _check(value, IIN_MESSAGES)
    return value


def iin_birth_date(iin: str) -> datetime.date:
    return _birth_date(validate_iin(iin))


def validate_bin(raw: str) -> str:
    """Return the BIN as 12 ASCII digits, or raise IdentifierError.

    Only the month of `YYMM` is checked: a two-digit year cannot be told apart
    from a future one without guessing the century.
    """
    value = _clean(raw, BIN_MESSAGES)
    if not 1 <= int(value[2:4]) <= 12:
        raise IdentifierError("date", BIN_MESSAGES["date"])
    if value[4] not in BIN_ORGANISATION_TYPES:
        raise IdentifierError("type", BIN_MESSAGES["type"])
    if value[5] not in BIN_DIVISION_TYPES:
        raise IdentifierError("division", BIN_MESSAGES["division"])
    _check(value, BIN_MESSAGES)
    return value


def mask_iin(iin: str) -> str:
    """The IIN as staff may see it: only the last four digits.

    The first six digits are the birth date and the seventh the sex, so a
    "partly masked" IIN that keeps its start would still leak both.
    """
    value = "".join((iin or "").split())
    if len(value) != IDENTIFIER_LENGTH:
        return "*" * IDENTIFIER_LENGTH
    return "*" * 8 + value[-4:]


@dataclass(frozen=True)
class PersonAtDoor:
    """What staff at the door see of a person: enough to match a face to an ID card."""

    name: str  # "Айгүл С.", or "" for a person without an account
    birth_year: int | None

    def __str__(self) -> str:
        """As the staff page shows it: `Айгүл С., 1987`, or `Born in 1987`
        for a person without an account."""
        if self.name:
            return f"{self.name}, {self.birth_year}" if self.birth_year else self.name
        if self.birth_year:
            return _("Born in %(year)s") % {"year": self.birth_year}
        return ""


def person_at_door(full_name: str, iin: str) -> PersonAtDoor:
    """`Айгүл Сәрсенова Болатқызы` + IIN `870412...` -> `Айгүл С.`, 1987.

    The first name, the initial of the surname (the second word: names are
    written first name first here) and the year of birth from the IIN. Never
    more: no patronymic, no birth date, no IIN, so a glance over a shoulder
    at the door learns little.
    """
    words = full_name.split()
    name = " ".join([words[0], f"{words[1][0]}."] if len(words) > 1 else words[:1])
    try:
        year = iin_birth_date(iin).year
    except IdentifierError:
        year = None
    return PersonAtDoor(name=name, birth_year=year)


def validate_bin_or_iin(raw: str) -> str:
    """An organisation's number: a BIN, or the IIN of an individual entrepreneur.

    The two are told apart by the 5th digit: 4-6 is a BIN's organisation
    type, 0-3 the first digit of the day in an IIN's birth date. The message
    of an error is the one for the kind of number it looks like.
    """
    value = "".join((raw or "").split())
    if len(value) == IDENTIFIER_LENGTH and set(value) <= ASCII_DIGITS and value[4] in "0123":
        return validate_iin(value)
    return validate_bin(value)


SCAN_MESSAGES: Messages = {
    "no_iin": _("No IIN was found in this code. Type the IIN from the identity card."),
    "several_iins": _(
        "This code holds more than one IIN, so it is not clear whose it is. "
        "Type the IIN from the identity card."
    ),
}

# A maximal run of digits of any script. A run is an IIN only when it is
# exactly 12 ASCII digits: a 12-digit window inside a longer number (a document
# or a phone number) passes the check digit one time in eleven by chance, and a
# run with Arabic-Indic or other non-ASCII digits is not one anybody printed.
_DIGIT_RUN = re.compile(r"\d+")


def find_iin(payload: str) -> str:
    """The one IIN in a scanned code that is not a bare IIN, or IdentifierError.

    Identity cards and other documents print barcodes whose text carries the
    IIN among names, dates and document numbers. Exactly one distinct valid
    IIN must be found: none (`no_iin`) or two different ones (`several_iins`)
    is refused rather than guessed. The same IIN twice is one person.
    """
    found = set()
    for run in _DIGIT_RUN.findall(payload or ""):
        try:
            # Refuses runs that are not 12 ASCII digits, too.
            found.add(validate_iin(run))
        except IdentifierError:
            continue
    if not found:
        raise IdentifierError("no_iin", SCAN_MESSAGES["no_iin"])
    if len(found) > 1:
        raise IdentifierError("several_iins", SCAN_MESSAGES["several_iins"])
    return found.pop()
