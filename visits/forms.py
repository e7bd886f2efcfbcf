import datetime
import re

from django import forms
from django.utils.formats import get_format
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from accounts.forms import CoordinateField, translate_field_errors
from accounts.identifiers import ASCII_DIGITS, IdentifierError, find_iin, validate_iin
from accounts.personal_qr import PREFIX as PERSONAL_QR_PREFIX

# Barcodes separate their fields with control characters (NUL, GS, RS, line
# breaks); they are separators here, never part of a value, and Django's text
# field would refuse a NUL byte outright.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]+")


class ScannedField(forms.CharField):
    def to_python(self, value):
        if isinstance(value, str):
            value = _CONTROL_CHARACTERS.sub(" ", value)
        return super().to_python(value)


class StaffScanForm(forms.Form):
    """One field for everything staff can scan or type: an IIN, a personal QR,
    or a barcode (an identity card's) with an IIN somewhere in its text."""

    MODE_ENTRY = "entry"
    MODE_EXIT = "exit"

    q = ScannedField(
        label=_("IIN or personal code"),
        # An identity card's PDF417 carries names and document data too.
        max_length=1000,
        error_messages={"required": _("Type an IIN or scan a code.")},
        widget=forms.TextInput(
            attrs={
                "autofocus": True,
                "autocomplete": "off",
                "inputmode": "numeric",
                "enterkeyhint": "go",
            }
        ),
    )
    mode = forms.ChoiceField(
        choices=[(MODE_ENTRY, _("Entry")), (MODE_EXIT, _("Exit"))],
        initial=MODE_ENTRY,
        widget=forms.HiddenInput,
    )
    # Set by the page's script when the input arrived as fast as a scanner types.
    source = forms.CharField(required=False, widget=forms.HiddenInput)
    nonce = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.found_in_barcode = False
        translate_field_errors(self)

    def clean_q(self) -> str:
        value = self.cleaned_data["q"].strip()
        if value.startswith(PERSONAL_QR_PREFIX):
            return value
        try:
            return validate_iin(value)
        except IdentifierError as exc:
            typed_error = exc
        # Only digits and spaces, or as short as an IIN with a typo: typed by
        # hand, so the message says what is wrong with the number.
        if set(value.replace(" ", "")) <= ASCII_DIGITS or len(value) <= 14:
            raise forms.ValidationError(typed_error.message, code=typed_error.code)
        try:
            iin = find_iin(value)
        except IdentifierError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from None
        self.found_in_barcode = True
        return iin

    @property
    def is_personal_qr(self) -> bool:
        return self.cleaned_data["q"].startswith(PERSONAL_QR_PREFIX)

    @property
    def is_barcode(self) -> bool:
        """Read by a machine: a scanner, the camera, or found inside a longer code."""
        return self.found_in_barcode or self.cleaned_data["source"] in ("scanner", "camera")


class IsolationPointForm(forms.Form):
    address = forms.CharField(
        label=_("Address of home isolation"),
        max_length=300,
        error_messages={"required": _("Enter the address.")},
    )
    latitude = CoordinateField(
        limit=90, label=_("Latitude"), error_messages={"required": _("Enter the latitude.")}
    )
    longitude = CoordinateField(
        limit=180, label=_("Longitude"), error_messages={"required": _("Enter the longitude.")}
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        translate_field_errors(self)


FIRST_LOG_DAY = datetime.date(2020, 1, 1)
LAST_LOG_DAY = datetime.date(2099, 12, 31)


def date_format_hint() -> str:
    """How to type a date on this page, in its language: «КК.АА.ЖЖЖЖ», «ДД.ММ.ГГГГ»."""
    pattern = get_format("DATE_INPUT_FORMATS")[0]
    for code, letters in (("%d", _("DD")), ("%m", _("MM")), ("%Y", _("YYYY"))):
        pattern = pattern.replace(code, str(letters))
    return pattern


def date_format_help() -> str:
    return str(_("Format: {format}")).format(format=date_format_hint())


class LocalDateInput(forms.DateInput):
    """A date typed in the page's language format (30.11.2026 on kk and ru pages).

    A browser's own date picker shows its own format (often mm/dd/yyyy,
    whatever the page's language), so this is a text box that says the format.
    """

    def get_context(self, name: str, value, attrs: dict | None) -> dict:
        attrs = {**(attrs or {}), "placeholder": date_format_hint(), "inputmode": "numeric"}
        return super().get_context(name, value, attrs)


class VisitLogFilterForm(forms.Form):
    day_from = forms.DateField(
        label=_("From"),
        required=False,
        widget=LocalDateInput,
        help_text=lazy(date_format_help, str)(),
    )
    day_to = forms.DateField(
        label=_("To"),
        required=False,
        widget=LocalDateInput,
        help_text=lazy(date_format_help, str)(),
    )
    decision = forms.ChoiceField(
        label=_("Decision"),
        required=False,
        choices=[("", _("All")), ("admitted", _("Admitted")), ("denied", _("Denied"))],
    )
    status = forms.ChoiceField(label=_("Status"), required=False)

    def __init__(self, *args, **kwargs) -> None:
        from statuses.models import StatusChoices

        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All")), *StatusChoices.choices]
        translate_field_errors(self)

    def clean(self) -> dict:
        cleaned = super().clean()
        # A day far from now is a typo or a probe, and the day after
        # 9999-12-31 does not exist; Ashyq's log starts in 2020.
        for name in ("day_from", "day_to"):
            day = cleaned.get(name)
            if day and not FIRST_LOG_DAY <= day <= LAST_LOG_DAY:
                self.add_error(
                    name,
                    forms.ValidationError(
                        _("Choose a day from %(first)s to %(last)s."),
                        code="out_of_range",
                        params={
                            "first": FIRST_LOG_DAY.isoformat(),
                            "last": LAST_LOG_DAY.isoformat(),
                        },
                    ),
                )
        return cleaned

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        return {key: value for key, value in self.cleaned_data.items() if value}
