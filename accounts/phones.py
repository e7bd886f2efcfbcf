"""Phone numbers as citizens type them, and which of them may receive a code.

docs/rules.md §7: Kazakhstan numbers by default, `8 701 …` and `+7 701 …` both
accepted; numbers outside the allowed countries, and numbers that are not
mobile (premium-rate, fixed-line, toll-free), are refused before any SMS is
queued, which is what stops SMS-pumping fraud.
"""

from collections.abc import Iterable

import phonenumbers
from django.utils.translation import gettext_lazy as _
from phonenumbers import PhoneNumberType

DEFAULT_REGION = "KZ"

MOBILE_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})

COUNTRY_NAMES = {
    "KZ": _("Kazakhstan"),
    "KG": _("Kyrgyzstan"),
    "UZ": _("Uzbekistan"),
    "RU": _("Russia"),
}


class PhoneError(ValueError):
    """A number that cannot receive a sign-in code; `code` says why."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def parse_phone(raw: str, allowed_countries: Iterable[str]) -> str:
    """Return the number in E.164 (`+77011234567`) or raise PhoneError.

    Codes: `invalid` (not a phone number), `country` (outside
    `allowed_countries`), `not_mobile` (cannot receive SMS or costs extra).
    """
    text = (raw or "").strip()
    if not text or len(text) > 32:
        raise PhoneError("invalid")
    try:
        number = phonenumbers.parse(text, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise PhoneError("invalid") from None
    if not phonenumbers.is_valid_number(number):
        raise PhoneError("invalid")
    if phonenumbers.region_code_for_number(number) not in set(allowed_countries):
        raise PhoneError("country")
    if phonenumbers.number_type(number) not in MOBILE_TYPES:
        raise PhoneError("not_mobile")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def country_names(codes: Iterable[str]) -> str:
    return ", ".join(str(COUNTRY_NAMES.get(code, code)) for code in codes)


def display_phone(e164: str) -> str:
    """`+77011234567` -> `+7 701 123 4567`, the way people read it back."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
