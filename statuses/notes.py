"""Reasons the system writes on status records, stored as a code and parameters.

An epidemiologist reading a history in Kazakh must not meet a reason written
in English (or in the language of whoever pressed the button): the record
keeps what happened (`note_code`, `note_params`) and each reader sees it in
their own language. A note typed by a person is kept as typed.
"""

from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

CONTACT = "contact"
LAB_IMPORT = "lab_import"

# One msgid per shape of sentence: a placeholder cannot be optional inside a
# translation, so "at a place" is a code of its own.
TEXTS = {
    CONTACT: _("contact of case %(case)s"),
    f"{CONTACT}_at": _("contact of case %(case)s at %(place)s"),
    LAB_IMPORT: _("Lab import %(id)s: %(file)s"),
}


def in_language(value: Any) -> Any:
    """A parameter given in several languages ({"kk": …, "ru": …}) in the active one."""
    if not isinstance(value, dict):
        return value
    active = (get_language() or "").split("-")[0]
    return value.get(active) or next((text for text in value.values() if text), "")


def note_text(code: str, params: dict[str, Any], typed: str = "") -> str:
    """The reason in the active language; a typed note (no code) as it was typed."""
    if not code:
        return typed
    # Names (a venue's) are stored in every language and read in the reader's.
    params = {key: in_language(value) for key, value in params.items()}
    if code == CONTACT and params.get("place"):
        code = f"{CONTACT}_at"
    template = TEXTS.get(code)
    if template is None:
        # A code from a newer release read by an older one: show it plainly.
        return typed or code
    try:
        return str(template) % params
    except (KeyError, TypeError, ValueError):
        return typed or code
