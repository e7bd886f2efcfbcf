import datetime
import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from accounts.models import user_reference
from venues.rules import LONGEST_STAY, Zone

# Unambiguous when printed or typed: no 0/O, 1/l/I.
CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
CODE_LENGTH = 12


def new_venue_code() -> str:
    """The permanent public code in a venue's QR: about 59 bits, unguessable."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def new_kiosk_secret() -> str:
    return secrets.token_hex(32)


def coordinate_field(verbose_name: str, *, limit: int) -> models.DecimalField:
    """A latitude (limit 90) or longitude (limit 180) to six decimals, about 10 cm:
    where a venue or a place of isolation is, for the 500 m rule (docs/rules.md §4)."""
    return models.DecimalField(
        verbose_name,
        max_digits=9,
        decimal_places=6,
        validators=[MinValueValidator(-limit), MaxValueValidator(limit)],
    )


def default_test_mode_until() -> datetime.datetime:
    return timezone.now() + datetime.timedelta(days=settings.VENUE_TEST_MODE_DAYS)


class ZoneChoices(models.TextChoices):
    GREEN = Zone.GREEN.value, _("green zone")
    YELLOW = Zone.YELLOW.value, _("yellow zone")
    RED = Zone.RED.value, _("red zone")


class Region(models.Model):
    """A region of Kazakhstan, or one of the cities of republican significance."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    zone = models.CharField(
        _("epidemic zone"), max_length=10, choices=ZoneChoices.choices, default=Zone.GREEN
    )
    zone_changed_at = models.DateTimeField(_("zone changed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    """A kind of venue; data, because decrees kept moving kinds between lists."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    essential = models.BooleanField(
        _("essential"),
        default=False,
        help_text=_("Grocery, household goods, pharmacy: open to yellow status nearby."),
    )
    pcr_required_default = models.BooleanField(
        _("PCR test mandatory by default"),
        default=False,
        help_text=_("New venues of this kind refuse blue status (nothing known)."),
    )
    ordering = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["ordering", "name"]

    def __str__(self) -> str:
        return self.name


class Organisation(models.Model):
    """A legal entity (BIN) with its venues.

    Anyone can register a BIN, so a new organisation is *pending* until an
    operator or the registry backend verifies it (`verified_at` set): until
    then its venues take self check-ins only, and its staff may look nobody up.
    """

    class VerifiedVia(models.TextChoices):
        OPERATOR = "operator", _("by an operator")
        REGISTRY = "registry", _("by the state registry")

    bin = models.CharField(_("BIN"), max_length=12, unique=True)
    legal_name = models.CharField(_("legal name"), max_length=300)
    admin = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("administrator"),
        on_delete=models.PROTECT,
        related_name="organisations",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verified_by = user_reference(_("verified by"), on_delete=models.SET_NULL)
    verified_via = models.CharField(
        _("verified how"), max_length=20, choices=VerifiedVia.choices, blank=True
    )

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["legal_name"]

    def __str__(self) -> str:
        return self.legal_name

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None


class OrganisationDispute(models.Model):
    """Someone says a BIN registered by another account is theirs.

    An operator checks the papers (the support line calls back) and, when the
    claim holds, transfers the organisation in the admin.
    """

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="disputes",
    )
    claimant = user_reference(_("claimant"), on_delete=models.CASCADE, null=False)
    message = models.TextField(_("message"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("BIN dispute")
        verbose_name_plural = _("BIN disputes")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "claimant"],
                condition=models.Q(resolved_at__isnull=True),
                name="dispute_one_open_per_claimant",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation.bin} · {self.claimant}"


class Venue(models.Model):
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="venues",
    )
    name = models.CharField(_("name"), max_length=200)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="+"
    )
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="venues"
    )
    address = models.CharField(_("address"), max_length=300)
    latitude = coordinate_field(_("latitude"), limit=90)
    longitude = coordinate_field(_("longitude"), limit=180)
    capacity = models.PositiveIntegerField(
        _("capacity"),
        validators=[MinValueValidator(1), MaxValueValidator(100_000)],
        help_text=_("The most people allowed inside at once."),
    )
    pcr_required = models.BooleanField(
        _("PCR test mandatory"),
        default=False,
        help_text=_(
            "Blue status (nothing known) may not enter. Yellow status may still enter an "
            "essential venue near the place of isolation."
        ),
    )
    max_stay = models.DurationField(
        _("maximum stay"),
        default=datetime.timedelta(hours=3),
        help_text=_("Visits still open after this long are closed automatically."),
        validators=[
            MinValueValidator(datetime.timedelta(minutes=1)),
            MaxValueValidator(LONGEST_STAY),
        ],
    )
    code = models.CharField(
        _("public code"), max_length=32, unique=True, default=new_venue_code, editable=False
    )
    kiosk_secret = models.CharField(
        _("kiosk secret"), max_length=64, default=new_kiosk_secret, editable=False
    )
    kiosk_only = models.BooleanField(
        _("kiosk only"),
        default=False,
        help_text=_("Accept self check-in only from the rotating code on the kiosk screen."),
    )
    test_mode_until = models.DateTimeField(_("test mode until"), default=default_test_mode_until)
    suspended = models.BooleanField(_("suspended"), default=False)
    # The admitted visits still open here, kept by every check-in and check-out
    # under this row's lock (visits/occupancy.py), so that a check-in reads one
    # number instead of counting the people inside; a periodic job recounts it.
    occupancy = models.PositiveIntegerField(
        _("people inside"), default=0, db_default=0, editable=False
    )
    suspended_reason = models.TextField(_("reason for suspension"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("venue")
        verbose_name_plural = _("venues")
        ordering = ["organisation_id", "id"]
        constraints = [
            # What the door's lookups of open visits rely on (LONGEST_STAY).
            models.CheckConstraint(
                condition=Q(
                    max_stay__gte=datetime.timedelta(minutes=1), max_stay__lte=LONGEST_STAY
                ),
                name="venue_max_stay_range",
                violation_error_message=_(
                    "The maximum stay must be between one minute and 24 hours."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("venues:detail", args=[self.pk])

    def in_test_mode(self, now: datetime.datetime | None = None) -> bool:
        return (now or timezone.now()) < self.test_mode_until


# What a venue's owner may set; the rest (code, kiosk secret, test period,
# suspension) is the system's or an operator's.
VENUE_OWNER_FIELDS = (
    "name_kk",
    "name_ru",
    "name_en",
    "category",
    "region",
    "address",
    "latitude",
    "longitude",
    "capacity",
    "pcr_required",
    "max_stay",
    "kiosk_only",
)


class StaffMembership(models.Model):
    """A responsible person who checks people in at a venue."""

    venue = models.ForeignKey(
        Venue, verbose_name=_("venue"), on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    added_by = user_reference(_("added by"), on_delete=models.SET_NULL, blank=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("staff membership")
        verbose_name_plural = _("staff memberships")
        constraints = [
            models.UniqueConstraint(fields=["venue", "user"], name="staff_membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.venue}"


class Invitation(models.Model):
    """An invitation to work at a venue, by phone number, accepted at sign-in."""

    venue = models.ForeignKey(
        Venue, verbose_name=_("venue"), on_delete=models.CASCADE, related_name="invitations"
    )
    phone = PhoneNumberField(_("phone number"), region="KZ")
    invited_by = user_reference(_("invited by"), on_delete=models.CASCADE, null=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.UniqueConstraint(
                fields=["venue", "phone"],
                condition=models.Q(accepted_at__isnull=True),
                name="invitation_one_open_per_phone",
            )
        ]

    def __str__(self) -> str:
        return f"{self.phone} → {self.venue}"
