from allauth.account.adapter import get_adapter
from allauth.account.forms import ConfirmLoginCodeForm, RequestLoginCodeForm
from allauth.core import context, ratelimit
from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.identifiers import IdentifierError, validate_iin
from accounts.phones import PhoneError, country_names, parse_phone
from accounts.services import user_for_phone


class PhoneField(forms.CharField):
    """A phone number as people type it, cleaned to an E.164 string.

    allauth uses the cleaned value as its rate-limit key, so it must be a
    plain string, not a PhoneNumber object.
    """

    default_error_messages = {
        "required": _("Enter your mobile phone number."),
        "invalid": _("This does not look like a phone number. Example: +7 701 123 45 67."),
        "not_mobile": _("Enter a mobile number: codes are sent by SMS."),
        "country": _("Sign-in codes can only be sent to mobile numbers from: %(countries)s."),
    }

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("label", _("Mobile phone number"))
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={
                    "type": "tel",
                    "autocomplete": "tel",
                    "inputmode": "tel",
                    "placeholder": "+7 701 123 45 67",
                }
            ),
        )
        super().__init__(**kwargs)

    def to_python(self, value: str | None) -> str:
        value = super().to_python(value)
        if value in self.empty_values:
            return ""
        try:
            return parse_phone(value, settings.SMS_ALLOWED_COUNTRIES)
        except PhoneError as exc:
            raise forms.ValidationError(
                self.error_messages[exc.code],
                code=exc.code,
                params={"countries": country_names(settings.SMS_ALLOWED_COUNTRIES)},
            ) from None


class RequestPhoneCodeForm(RequestLoginCodeForm):
    """One screen for sign-in and sign-up alike (SPEC §7)."""

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"]
        if not phone:
            return phone
        usage = ratelimit.consume(context.request, action="request_login_code", key=phone.lower())
        if not usage:
            raise get_adapter().validation_error("too_many_login_attempts")
        self._user = user_for_phone(phone)
        return phone


class ConfirmPhoneCodeForm(ConfirmLoginCodeForm):
    code = forms.CharField(
        label=_("Code from the SMS"),
        max_length=16,
        error_messages={"required": _("Enter the code from the SMS.")},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": "[0-9 ]*",
                "autofocus": True,
            }
        ),
    )

    def clean_code(self) -> str:
        self.cleaned_data["code"] = "".join(self.cleaned_data["code"].split())
        return super().clean_code()


class ProfileForm(forms.Form):
    full_name = forms.CharField(
        label=_("Full name"),
        max_length=200,
        error_messages={
            "required": _("Enter your full name as in your identity card."),
            "max_length": _("A full name can be at most %(limit_value)d characters long."),
        },
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    iin = forms.CharField(
        label=_("IIN"),
        help_text=_("12 digits, printed on your identity card."),
        error_messages={"required": _("Enter your IIN.")},
        # No max_length: validate_iin says what is wrong with a long paste.
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "maxlength": 32}
        ),
    )

    def clean_iin(self) -> str:
        try:
            return validate_iin(self.cleaned_data["iin"])
        except IdentifierError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from None
