from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.forms import reason_field
from accounts.identifiers import IdentifierError, validate_iin
from accounts.phones import PhoneError, parse_phone
from statuses.lab_csv import MAX_FILE_BYTES
from statuses.models import SourceChoices, StatusChoices, StatusRecord
from statuses.rules import Source, records_for_result
from statuses.selectors import durations

# What an epidemiologist records by hand. PCR results arrive from the labs,
# with a sample id, through the import.
HAND_SOURCES = (Source.MANUAL, Source.VACCINATION, Source.RECOVERY, Source.CONTACT)


class LabImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "Columns: IIN, sample id, sample taken at, result, lab. "
            "You will see every row checked before anything is imported."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise ValidationError(
                _("The file is larger than %(limit)s MB. Split it into smaller files."),
                code="too_large",
                params={"limit": MAX_FILE_BYTES // 2**20},
            )
        return upload


class StatusRecordAddForm(forms.ModelForm):
    """A record added by hand: the reason is required, the window has defaults.

    Records from a vaccination, a recovery or a contact carry the colour and
    the duration the rules give them (docs/rules.md §2) unless the epidemiologist sets
    an end; a manual record takes the colour chosen and may stay open until
    lifted.
    """

    class Meta:
        model = StatusRecord
        fields = ["iin", "source", "status", "valid_from", "valid_until", "note", "phone"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = [("", "---------")] + [
            (value, label) for value, label in SourceChoices.choices if value in HAND_SOURCES
        ]
        self.fields["status"].required = False
        self.fields["status"].help_text = _(
            "Leave empty for a vaccination, recovery or contact: the rules decide the colour."
        )
        self.fields["valid_from"].initial = timezone.now
        self.fields["valid_until"].help_text = _(
            "Leave empty to use the usual duration; a manual record then lasts until lifted."
        )
        self.fields["note"].required = True
        self.fields["note"].help_text = _("Why this record is added. Kept in the history.")
        self.fields["phone"].help_text = _(
            "The person's mobile number, if known: only this number may then link the IIN to an "
            "account."
        )

    def validate_unique(self) -> None:
        super().validate_unique()
        # Django skips a constraint whose condition names a field the form
        # lacks (lifted_at). A new record is never lifted: check it in full.
        (one_contact,) = [
            constraint
            for constraint in StatusRecord._meta.constraints
            if constraint.name == "status_record_one_contact"
        ]
        try:
            one_contact.validate(StatusRecord, self.instance)
        except ValidationError as exc:
            self.add_error(None, exc)

    def clean_phone(self) -> str:
        phone = self.cleaned_data.get("phone", "")
        if not phone:
            return ""
        try:
            return parse_phone(phone, settings.SMS_ALLOWED_COUNTRIES)
        except PhoneError:
            raise ValidationError(
                _("This does not look like a phone number. Example: +7 701 123 45 67."),
                code="invalid",
            ) from None

    def clean_iin(self) -> str:
        try:
            return validate_iin(self.cleaned_data["iin"])
        except IdentifierError as exc:
            raise ValidationError(exc.message, code=exc.code) from None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        source, status = cleaned.get("source"), cleaned.get("status")
        valid_from, valid_until = cleaned.get("valid_from"), cleaned.get("valid_until")
        if not source or valid_from is None:
            return cleaned
        if source == Source.MANUAL:
            if not status:
                self.add_error(
                    "status", ValidationError(_("Choose the colour."), code="status_required")
                )
        else:
            window = records_for_result(Source(source), valid_from, durations())[0]
            if not status:
                cleaned["status"] = status = window.status.value
            elif status != window.status:
                self.add_error(
                    "status",
                    ValidationError(
                        _("This source gives the colour %(status)s."),
                        code="status_mismatch",
                        params={"status": StatusChoices(window.status.value).label},
                    ),
                )
            if valid_until is None:
                cleaned["valid_until"] = valid_until = window.valid_until
        if valid_until is not None and valid_until <= valid_from:
            self.add_error(
                "valid_until",
                ValidationError(_("The record must end after it starts."), code="empty_window"),
            )
        return cleaned


class LiftForm(forms.Form):
    reason = reason_field(_("Why the record ends now. Kept in the history."))
