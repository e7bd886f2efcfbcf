from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import user_reference
from statuses.notes import note_text
from statuses.rules import Source, Status


class StatusChoices(models.TextChoices):
    GREEN = Status.GREEN.value, _("Green")
    BLUE = Status.BLUE.value, _("Blue")
    YELLOW = Status.YELLOW.value, _("Yellow")
    RED = Status.RED.value, _("Red")


class SourceChoices(models.TextChoices):
    PCR_NEGATIVE = Source.PCR_NEGATIVE.value, _("negative PCR test")
    PCR_POSITIVE = Source.PCR_POSITIVE.value, _("positive PCR test")
    VACCINATION = Source.VACCINATION.value, _("vaccination")
    RECOVERY = Source.RECOVERY.value, _("recovery")
    CONTACT = Source.CONTACT.value, _("contact with a case")
    MANUAL = Source.MANUAL.value, _("set by an epidemiologist")


# Statuses a record can carry: blue is the absence of records, never stored.
RECORD_STATUSES = [choice for choice in StatusChoices.choices if choice[0] != Status.BLUE]


def origin_reference(
    to: str | type[models.Model], verbose_name: str, *, related_name: str
) -> models.ForeignKey:
    """A column naming the row this one was made from (the import a result came in,
    the result a record came from): empty for rows that came another way, and the
    origin cannot be deleted while rows made from it remain."""
    return models.ForeignKey(
        to,
        verbose_name=verbose_name,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name=related_name,
    )


class LabResult(models.Model):
    """One result as a laboratory (or a vaccination/recovery register) reported it.

    The raw fact behind status records; unique per lab and sample id, which is
    what makes re-importing the same file harmless.
    """

    lab = models.CharField(_("laboratory"), max_length=200)
    sample_id = models.CharField(_("sample id"), max_length=100)
    iin = models.CharField(_("IIN"), max_length=12, db_index=True)
    taken_at = models.DateTimeField(_("sample taken at"))
    source = models.CharField(_("result"), max_length=20, choices=SourceChoices.choices)
    # The number the person gave the laboratory, when the file has one: the
    # evidence that decides who may claim this IIN (accounts.identity).
    phone = models.CharField(_("phone number"), max_length=16, blank=True)
    lab_import = origin_reference("statuses.LabImport", _("import"), related_name="results")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("lab result")
        verbose_name_plural = _("lab results")
        constraints = [
            models.UniqueConstraint(fields=["lab", "sample_id"], name="lab_result_unique_sample")
        ]

    def __str__(self) -> str:
        return f"{self.lab} {self.sample_id}"


class StatusRecord(models.Model):
    """One entry in a person's append-only status history (docs/rules.md §2).

    Keyed by IIN, not by account: results arrive for people who have none yet.
    Rows are never edited: a correction is a new record, or a lift, which sets
    `lifted_at` once and says who and why.
    """

    iin = models.CharField(_("IIN"), max_length=12)
    status = models.CharField(_("status"), max_length=10, choices=RECORD_STATUSES)
    source = models.CharField(_("source"), max_length=20, choices=SourceChoices.choices)
    valid_from = models.DateTimeField(_("valid from"))
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    note = models.TextField(_("reason"), blank=True)
    # A number known to belong to this IIN's holder (from the lab or the
    # epidemiologist): a claim of the IIN from another number is refused.
    phone = models.CharField(_("phone number"), max_length=16, blank=True)
    # A reason the system wrote (statuses.notes): rendered in the reader's
    # language from these, while `note` keeps what a person typed.
    note_code = models.CharField(_("reason code"), max_length=30, blank=True)
    note_params = models.JSONField(_("reason parameters"), default=dict, blank=True)
    lab_result = origin_reference(LabResult, _("lab result"), related_name="records")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = user_reference(_("created by"), on_delete=models.PROTECT)
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    lifted_by = user_reference(_("lifted by"), on_delete=models.PROTECT)
    lift_reason = models.TextField(_("reason for lifting"), blank=True)

    class Meta:
        verbose_name = _("status record")
        verbose_name_plural = _("status records")
        ordering = ["-valid_from", "-id"]
        indexes = [
            models.Index(fields=["iin", "valid_from"], name="status_record_iin_from"),
            models.Index(fields=["status", "valid_until"], name="status_record_status_until"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gt=models.F("valid_from")),
                name="status_record_window_not_empty",
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.BLUE.value), name="status_record_not_blue"
            ),
            # Two epidemiologists marking the same contacts at the same moment
            # must not give a person two yellow records (and two SMS).
            models.UniqueConstraint(
                fields=["iin", "valid_from"],
                condition=Q(source=Source.CONTACT.value, lifted_at__isnull=True),
                name="status_record_one_contact",
                violation_error_message=_(
                    "This person already has a contact record from this moment."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()} · {self.get_source_display()}"

    @property
    def reason(self) -> str:
        """Why the record exists, in the active language."""
        return note_text(self.note_code, self.note_params, self.note)


class StatusInfo(models.Model):
    """What a status means and where its holder may go: translated content.

    Editable in the admin, because the rules behind the colours changed by
    decree during the epidemic; the three languages come from modeltranslation.
    """

    status = models.CharField(
        _("status"), max_length=10, choices=StatusChoices.choices, primary_key=True
    )
    title = models.CharField(_("title"), max_length=100)
    meaning = models.TextField(_("what it means"))
    where_allowed = models.TextField(_("where you may go"))

    class Meta:
        verbose_name = _("status explanation")
        verbose_name_plural = _("status explanations")

    def __str__(self) -> str:
        return self.title


class Notification(models.Model):
    """An SMS about a status event, kept so that no event is announced twice."""

    class Kind(models.TextChoices):
        CHANGED = "changed", _("status changed")
        EXPIRING = "expiring", _("green status expiring")

    iin = models.CharField(_("IIN"), max_length=12)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    event = models.CharField(_("event"), max_length=100)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["iin", "kind", "event"], name="notification_once_per_event"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.iin[-4:]}"


class LabImport(models.Model):
    """One uploaded CSV file: checked in a dry run, then committed as a whole."""

    class State(models.TextChoices):
        CHECKING = "checking", _("checking")
        CHECKED = "checked", _("checked, waiting for confirmation")
        IMPORTING = "importing", _("importing")
        DONE = "done", _("imported")
        FAILED = "failed", _("failed")

    file_name = models.CharField(_("file name"), max_length=255)
    content = models.BinaryField(_("content"))
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.CHECKING
    )
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    accepted_rows = models.PositiveIntegerField(_("accepted rows"), default=0)
    rejected_rows = models.PositiveIntegerField(_("rejected rows"), default=0)
    duplicate_rows = models.PositiveIntegerField(_("already imported"), default=0)
    created_rows = models.PositiveIntegerField(_("created records"), default=0)
    report = models.JSONField(_("report"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    created_by = user_reference(_("uploaded by"), on_delete=models.PROTECT, null=False)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("lab result import")
        verbose_name_plural = _("lab result imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.file_name
