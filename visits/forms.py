from django import forms
from django.utils.formats import get_format
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from accounts.forms import CoordinateField, translate_field_errors
from accounts.identifiers import IdentifierError, validate_iin
from accounts.personal_qr import PREFIX as PERSONAL_QR_PREFIX


class StaffScanForm(forms.Form):
    """One field for everything staff can scan or type: an IIN or a personal QR."""

    MODE_ENTRY = "entry"
    MODE_EXIT = "exit"

    q = forms.CharField(
        label=_("IIN or personal code"),
        max_length=200,
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
        translate_field_errors(self)

    def clean_q(self) -> str:
        value = self.cleaned_data["q"].strip()
        if value.startswith(PERSONAL_QR_PREFIX):
            return value
        try:
            return validate_iin(value)
        except IdentifierError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from None

    @property
    def is_personal_qr(self) -> bool:
        return self.cleaned_data["q"].startswith(PERSONAL_QR_PREFIX)


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

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        return {key: value for key, value in self.cleaned_data.items() if value}
