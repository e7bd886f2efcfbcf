from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.identifiers import mask_iin
from accounts.models import user_reference
from statuses.models import StatusChoices
from venues.models import coordinate_field


class Visit(models.Model):
    """One attempt to enter a venue: admitted or denied (docs/rules.md §4).

    Denied attempts are kept too: they show epidemiologists where red and
    yellow people try to go. An admitted visit is open until checked out.
    """

    class Method(models.TextChoices):
        SELF_SCAN = "self_scan", _("self scan")
        STAFF_IIN = "staff_iin", _("staff, by IIN")
        STAFF_BARCODE = "staff_barcode", _("staff, by barcode")
        STAFF_QR = "staff_qr", _("staff, by personal QR")

    class Checkout(models.TextChoices):
        SELF = "self", _("by the visitor")
        STAFF = "staff", _("by staff")
        AUTOMATIC = "automatic", _("automatically")
        MOVED = "moved", _("moved to another venue")
        # Scanned again while inside, and refused this time (the status changed).
        REFUSED = "refused", _("refused on a new scan")

    venue = models.ForeignKey(
        "venues.Venue", verbose_name=_("venue"), on_delete=models.PROTECT, related_name="visits"
    )
    iin = models.CharField(_("IIN"), max_length=12)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="visits",
    )
    method = models.CharField(_("recorded by"), max_length=20, choices=Method.choices)
    recorded_by = user_reference(_("staff member"), on_delete=models.SET_NULL)
    status = models.CharField(_("status at entry"), max_length=10, choices=StatusChoices.choices)
    admitted = models.BooleanField(_("admitted"))
    denial_code = models.CharField(_("reason for denial"), max_length=40, blank=True)
    test_mode = models.BooleanField(_("in test mode"), default=False)
    checked_in_at = models.DateTimeField(_("checked in at"))
    checked_out_at = models.DateTimeField(_("checked out at"), null=True, blank=True)
    checkout_method = models.CharField(
        _("checked out"), max_length=20, choices=Checkout.choices, blank=True
    )
    # The request that made this visit (a double tap sends it twice); the guard
    # against a second visit is VisitNonce, as a unique index on a table
    # partitioned by day would have to include the day.
    nonce = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-checked_in_at"]
        indexes = [
            models.Index(fields=["venue", "checked_in_at"], name="visit_venue_time"),
            models.Index(fields=["iin", "checked_in_at"], name="visit_iin_time"),
            # Occupancy and "close my open visit" read only open visits: small
            # partial indexes however large the table grows.
            models.Index(
                fields=["venue"],
                condition=Q(admitted=True, checked_out_at__isnull=True),
                name="visit_open_by_venue",
            ),
            models.Index(
                fields=["iin"],
                condition=Q(admitted=True, checked_out_at__isnull=True),
                name="visit_open_by_iin",
            ),
            models.Index(fields=["checked_in_at"], name="visit_time"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(checked_out_at__isnull=True)
                | Q(checked_out_at__gte=models.F("checked_in_at")),
                name="visit_checkout_after_checkin",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.venue_id} · {mask_iin(self.iin)} · {self.checked_in_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.admitted and self.checked_out_at is None


class VisitNonce(models.Model):
    """The double-tap guard: one row per check-in request that wrote a visit.

    Written in the same statement as the visit (visits/checkin_queries.py): a
    second request with the same nonce fails on this primary key and is
    answered with the first one's visit, found through `visit_id` and
    `checked_in_at` (the partition key, so the look-up reads one partition).
    Kept for NONCE_LIFE, the time in which a repeated request can come, and
    pruned by an hourly job; the table stays small however many visits exist.
    """

    nonce = models.CharField(max_length=64, primary_key=True)
    visit_id = models.BigIntegerField()
    checked_in_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.nonce


class InsideAlert(models.Model):
    """A person inside a venue whose status turned yellow or red while there.

    Written when a new status record (a lab result, a contact, a manual record)
    leaves an open visit's holder with a status the venue may not admit. Staff
    see it at the top of the venue's page while the visit is open; the person
    gets one SMS. One per visit and record: a record is never announced twice.
    """

    # No constraint in the database: on PostgreSQL visits are partitioned by
    # day, and a foreign key may only point at a unique key of the partitioned
    # table, which must contain the partition key (id, checked_in_at). Django
    # still cascades deletes; retention deletes a day's alerts before it drops
    # the day's partition (visits/partitions.py).
    visit = models.ForeignKey(
        Visit,
        verbose_name=_("visit"),
        on_delete=models.CASCADE,
        related_name="alerts",
        db_constraint=False,
    )
    record = models.ForeignKey(
        "statuses.StatusRecord",
        verbose_name=_("status record"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    status = models.CharField(_("status"), max_length=10, choices=StatusChoices.choices)
    denial_code = models.CharField(_("reason for denial"), max_length=40)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("person inside whose status worsened")
        verbose_name_plural = _("people inside whose status worsened")
        constraints = [
            models.UniqueConstraint(fields=["visit", "record"], name="inside_alert_once")
        ]

    def __str__(self) -> str:
        return f"{self.visit} · {self.status}"


class IsolationPoint(models.Model):
    """Where a person with yellow status stays in home quarantine, by IIN.

    Set by the citizen in their profile or by an epidemiologist; needed to
    admit yellow status to essential shops within 500 m (docs/rules.md §4).
    """

    iin = models.CharField(_("IIN"), max_length=12, unique=True)
    address = models.CharField(_("address"), max_length=300)
    latitude = coordinate_field(_("latitude"), limit=90)
    longitude = coordinate_field(_("longitude"), limit=180)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = user_reference(_("updated by"), on_delete=models.SET_NULL)
    # A place the sanitary service set is theirs to change: the citizen sees
    # it and whom to call, but cannot move it closer to a shop they want.
    set_by_epidemiologist = models.BooleanField(
        _("set by an epidemiologist"), default=False, editable=False
    )

    class Meta:
        verbose_name = _("place of home isolation")
        verbose_name_plural = _("places of home isolation")

    def __str__(self) -> str:
        return self.address


class StatusLookup(models.Model):
    """A staff scan that showed a person's status but wrote no visit of its own.

    Every other staff scan is a visit with `recorded_by`; together they are the
    person's "who checked my status" list. Only re-scans of someone already
    inside and staff exits land here, so the check-in's usual path writes
    nothing more than its visit.
    """

    iin = models.CharField(_("IIN"), max_length=12)
    venue = models.ForeignKey(
        "venues.Venue", verbose_name=_("venue"), on_delete=models.CASCADE, related_name="+"
    )
    recorded_by = user_reference(_("staff member"), on_delete=models.SET_NULL, blank=False)
    looked_up_at = models.DateTimeField(_("looked up at"))

    class Meta:
        verbose_name = _("status lookup")
        verbose_name_plural = _("status lookups")
        indexes = [models.Index(fields=["iin", "looked_up_at"], name="lookup_iin_time")]

    def __str__(self) -> str:
        return f"{self.venue_id} · {mask_iin(self.iin)} · {self.looked_up_at:%Y-%m-%d %H:%M}"
