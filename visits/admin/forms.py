"""The forms of the epidemiologists' pages: find a person, trace a case, report."""

import datetime
from typing import Any, NamedTuple

from django import forms
from django.conf import settings
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from accounts.forms import IINField
from accounts.identifiers import IdentifierError, validate_iin
from accounts.models import User
from accounts.phones import PhoneError, parse_phone
from accounts.selectors import account_with_iin, account_with_phone
from visits.epidemiology import REPORT_DAYS
from visits.models import IsolationPoint
from visits.tracing import DEFAULT_DAYS, DEFAULT_MIN_OVERLAP, whole_minutes


def days_back_field(initial: int) -> forms.IntegerField:
    return forms.IntegerField(
        label=_("Days back"),
        min_value=1,
        max_value=settings.VISIT_RETENTION_DAYS,
        required=False,
        initial=initial,
    )


class Person(NamedTuple):
    iin: str
    user: User | None
    found_by: str


class PersonLookupForm(forms.Form):
    q = forms.CharField(
        label=_("IIN or phone number"),
        max_length=40,
        error_messages={"required": _("Enter an IIN or a phone number.")},
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}),
    )

    def clean_q(self) -> Person:
        raw = self.cleaned_data["q"]
        compact = "".join(raw.split())
        if not (compact.isascii() and compact.isdigit() and len(compact) == 12):
            try:
                phone = parse_phone(raw, settings.SMS_ALLOWED_COUNTRIES)
            except PhoneError:
                pass
            else:
                user = account_with_phone(phone)
                if user is None:
                    raise forms.ValidationError(
                        _("No account has this phone number."), code="no_account"
                    )
                return Person(iin=user.iin or "", user=user, found_by="phone")
        try:
            iin = validate_iin(raw)
        except IdentifierError as exc:
            raise exc.validation_error() from None
        return Person(iin=iin, user=account_with_iin(iin), found_by="iin")


class TracingForm(forms.Form):
    iin = IINField(
        label=_("IIN of the case"),
        max_length=40,
        error_messages={"required": _("Enter the IIN of the case.")},
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    days = days_back_field(DEFAULT_DAYS)
    minutes = forms.IntegerField(
        label=_("Minimum overlap, minutes"),
        min_value=1,
        max_value=24 * 60,
        required=False,
        initial=whole_minutes(DEFAULT_MIN_OVERLAP),
    )

    def clean_days(self) -> int:
        return self.cleaned_data["days"] or DEFAULT_DAYS

    def clean_minutes(self) -> int:
        return self.cleaned_data["minutes"] or whole_minutes(DEFAULT_MIN_OVERLAP)

    def tracing(self) -> dict[str, Any]:
        return {
            "case_iin": self.cleaned_data["iin"],
            "days": self.cleaned_data["days"],
            "min_overlap": datetime.timedelta(minutes=self.cleaned_data["minutes"]),
        }

    def query(self) -> str:
        return urlencode({name: self.cleaned_data[name] for name in ("iin", "days", "minutes")})


class ReportForm(forms.Form):
    days = days_back_field(REPORT_DAYS)

    def clean_days(self) -> int:
        return self.cleaned_data["days"] or REPORT_DAYS


class IsolationPointAdminForm(forms.ModelForm):
    class Meta:
        model = IsolationPoint
        fields = ["iin", "address", "latitude", "longitude"]
        field_classes = {"iin": IINField}
