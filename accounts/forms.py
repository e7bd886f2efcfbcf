from collections.abc import Callable
from typing import Any

from allauth.account.adapter import get_adapter
from allauth.account.forms import ConfirmLoginCodeForm, RequestLoginCodeForm
from allauth.core import context, ratelimit
from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.attempts import attempt_take
from accounts.identifiers import IdentifierError, validate_iin
from accounts.models import User
from accounts.phones import PhoneError, country_names, parse_phone


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
    """One screen for sign-in and sign-up alike (docs/rules.md §7)."""

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"]
        if not phone:
            return phone
        usage = ratelimit.consume(context.request, action="request_login_code", key=phone.lower())
        if not usage:
            raise get_adapter().validation_error("too_many_login_attempts")
        # New and returning numbers alike: the view makes or finds the account.
        self._user = None
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

    def __init__(self, *args, attempt_key: str = "", **kwargs) -> None:
        self.attempt_key = attempt_key
        self.attempts_exhausted = False
        super().__init__(*args, **kwargs)

    def clean_code(self) -> str:
        self.cleaned_data["code"] = "".join(self.cleaned_data["code"].split())
        # Counted before the comparison, atomically (accounts.attempts): the
        # fourth guess is refused unread however many arrive at once.
        if self.attempt_key and not attempt_take(self.attempt_key):
            self.attempts_exhausted = True
            raise get_adapter().validation_error("too_many_login_attempts")
        return super().clean_code()


# Django's Kazakh catalogue lacks many form messages; every form a citizen or
# a responsible person fills in takes ours instead (docs/rules.md §6).
FIELD_ERRORS = {
    "required": _("Fill in this field."),
    "max_length": _("This is too long: at most %(limit_value)d characters."),
    "min_length": _("This is too short: at least %(limit_value)d characters."),
    "invalid_choice": _("Choose one of the options."),
    "max_value": _("Enter a number no greater than %(limit_value)s."),
    "min_value": _("Enter a number no less than %(limit_value)s."),
    "max_digits": _("Enter no more than %(max)s digits."),
    "max_decimal_places": _("Enter no more than %(max)s digits after the decimal point."),
    "max_whole_digits": _("Enter no more than %(max)s digits before the decimal point."),
}
TYPED_INVALID = {
    forms.DateField: _("Enter a date."),
    forms.DecimalField: _("Enter a number."),
    forms.IntegerField: _("Enter a whole number."),
}


def translate_field_errors(form: forms.BaseForm) -> None:
    """Replace Django's stock messages with ours; messages a form set itself stay."""
    from django.core.validators import DecimalValidator

    for field in form.fields.values():
        stock = {}
        for klass in reversed(type(field).__mro__):
            if klass.__module__.startswith("django."):
                stock.update(getattr(klass, "default_error_messages", {}))
        ours = dict(FIELD_ERRORS)
        for kind, message in TYPED_INVALID.items():
            # DecimalField is an IntegerField too: the first, closer kind wins.
            if isinstance(field, kind):
                ours["invalid"] = message
                break
        for code, message in ours.items():
            if code in field.error_messages and field.error_messages[code] == stock.get(code):
                field.error_messages[code] = message
        for validator in field.validators:
            if isinstance(validator, DecimalValidator):
                validator.messages = {
                    **validator.messages,
                    **{code: ours[code] for code in validator.messages if code in ours},
                }
            elif getattr(validator, "code", None) in ours:
                validator.message = ours[validator.code]


class IdentifierField(forms.CharField):
    """Twelve digits typed or pasted by a person, cleaned by `check` (which raises
    IdentifierError); the error says what is wrong with them.

    Checked before the length, so that a long paste is told what it is not.
    """

    check: Callable[[str], str]

    def to_python(self, value: Any) -> str:
        value = super().to_python(value)
        if value in self.empty_values:
            return value
        try:
            return type(self).check(value)
        except IdentifierError as exc:
            raise exc.validation_error() from None


class IINField(IdentifierField):
    """A person's IIN."""

    check = staticmethod(validate_iin)


class ProfileForm(forms.Form):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        translate_field_errors(self)

    full_name = forms.CharField(
        label=_("Full name"),
        max_length=200,
        error_messages={
            "required": _("Enter your full name as in your identity card."),
            "max_length": _("A full name can be at most %(limit_value)d characters long."),
        },
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    iin = IINField(
        label=_("IIN"),
        help_text=_("12 digits, printed on your identity card."),
        error_messages={"required": _("Enter your IIN.")},
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "maxlength": 32}
        ),
    )


class CoordinateField(forms.DecimalField):
    """Latitude or longitude as pasted from a map: rounded to six decimals
    (about 10 cm), never refused for having more."""

    def __init__(self, *, limit: int, **kwargs) -> None:
        super().__init__(
            min_value=-limit,
            max_value=limit,
            max_digits=9,
            decimal_places=6,
            widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
            **kwargs,
        )

    def to_python(self, value):
        number = super().to_python(value)
        if number is None:
            return None
        from decimal import ROUND_HALF_UP, Decimal

        # Infinity, NaN and sNaN parse as decimals but are no place; a number
        # too big to round is left as it is for the range check to refuse.
        if not number.is_finite():
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        if abs(number) > 1000:
            return number
        return number.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)


def reason_field(
    help_text: str = "", *, label: str = _("Reason"), rows: int = 3, **options: Any
) -> forms.CharField:
    """Why a member of staff does what they do (lift a record, move an IIN, suspend a
    venue): a few lines of text, kept with the record or in the audit log."""
    return forms.CharField(
        label=label, help_text=help_text, widget=forms.Textarea(attrs={"rows": rows}), **options
    )


class MoveIinForm(forms.Form):
    """The operator's form to move a claimed IIN to the account of its holder."""

    phone = forms.CharField(
        label=_("Mobile number of the account to move the IIN to"),
        max_length=32,
        help_text=_("The person must have signed in once with this number."),
    )
    reason = reason_field(_("How the person proved the IIN is theirs. Kept in the audit log."))

    def clean_phone(self) -> User:
        try:
            phone = parse_phone(self.cleaned_data["phone"], settings.SMS_ALLOWED_COUNTRIES)
        except PhoneError:
            raise forms.ValidationError(
                _("This does not look like a phone number. Example: +7 701 123 45 67."),
                code="invalid",
            ) from None
        user = User.objects.filter(phone=phone).first()
        if user is None:
            raise forms.ValidationError(
                _("No account has this number. Ask the person to sign in once first."),
                code="unknown",
            )
        return user
