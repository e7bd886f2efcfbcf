import uuid
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField


def user_reference(
    verbose_name: str, *, on_delete: Callable, null: bool = True, blank: bool | None = None
) -> models.ForeignKey:
    """A column naming the account that did something to a row (added, verified, lifted it).

    No reverse accessor: nobody asks an account for everything it ever touched,
    and a dozen such columns would crowd the User model's namespace.
    """
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=verbose_name,
        on_delete=on_delete,
        null=null,
        blank=null if blank is None else blank,
        related_name="+",
    )


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, phone: str, password: str | None = None, **extra) -> "User":
        user = self.model(phone=phone, **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, phone: str, password: str | None = None, **extra) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("phone_verified", True)
        return self.create_user(phone, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with a phone number.

    The phone may be NULL for a moment: allauth saves the user before it
    attaches the phone. The IIN links the account to the person's status
    records (docs/rules.md §1): at most one account per IIN and one IIN per account.
    """

    phone = PhoneNumberField(_("phone number"), region="KZ", unique=True, null=True, blank=True)
    phone_verified = models.BooleanField(_("phone verified"), default=False)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    iin = models.CharField(_("IIN"), max_length=12, unique=True, null=True, blank=True)
    # The only thing a personal QR carries: random, so a QR says nothing of
    # whose it is, and rotatable if a person ever needs a fresh one.
    qr_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    is_staff = models.BooleanField(
        _("staff status"),
        default=False,
        help_text=_("Whether the user can sign in to the administration site."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "phone"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or str(self.phone or f"#{self.pk}")

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else str(self.phone or "")


class AuditEntry(models.Model):
    """Who looked at or changed whose data, when, from where (docs/rules.md §5).

    Append-only: the admin shows it read-only, and on PostgreSQL a trigger
    refuses UPDATE and DELETE, so not even a bug in our code can rewrite it.
    """

    class Action(models.TextChoices):
        PERSON_VIEWED = "person_viewed", _("looked at a person")
        CONTACTS_TRACED = "contacts_traced", _("traced contacts")
        CONTACTS_MARKED = "contacts_marked", _("marked contacts")
        EXPORTED = "exported", _("exported data")
        STATUS_ADDED = "status_added", _("added a status record")
        STATUS_LIFTED = "status_lifted", _("lifted a status record")
        LAB_IMPORTED = "lab_imported", _("imported lab results")
        ISOLATION_SET = "isolation_set", _("set a place of isolation")
        ORGANISATION_VERIFIED = "organisation_verified", _("verified an organisation")
        ORGANISATION_UNVERIFIED = "organisation_unverified", _("withdrew a verification")
        ORGANISATION_TRANSFERRED = "organisation_transferred", _("transferred an organisation")
        VENUE_SUSPENDED = "venue_suspended", _("suspended a venue")
        VENUE_RESUMED = "venue_resumed", _("lifted a venue's suspension")
        IIN_MOVED = "iin_moved", _("moved an IIN to another account")

    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = user_reference(_("who"), on_delete=models.PROTECT, blank=False)
    action = models.CharField(_("what"), max_length=40, choices=Action.choices)
    iin = models.CharField(_("whose IIN"), max_length=12, blank=True, db_index=True)
    object_type = models.CharField(_("object type"), max_length=60, blank=True)
    object_id = models.CharField(_("object id"), max_length=60, blank=True)
    detail = models.JSONField(_("details"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("from where"), null=True, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} · {self.get_action_display()}"


class OutgoingSMS(models.Model):
    """An SMS decided in a transaction, written in that same transaction (docs/rules.md §7).

    After the commit it is handed to Celery; when that fails (the broker is
    away, the process died) the relay job hands it over later, so an outage
    delays an SMS and loses none. The id is the idempotency key: the task sends
    a row only while it is unsent, under the row's lock, and marks it sent.
    The text (a sign-in code, say) is dropped once the message is done with.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    to = models.CharField(max_length=16)
    text = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # When the relay job may hand it over (again) if it is still unsent.
    relay_after = models.DateTimeField()
    tries = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    given_up_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["relay_after"],
                condition=models.Q(sent_at__isnull=True, given_up_at__isnull=True),
                name="sms_outbox_pending",
            )
        ]

    def __str__(self) -> str:
        return str(self.id)
