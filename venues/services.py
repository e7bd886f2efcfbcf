import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.audit import audit_record
from accounts.errors import AshyqError
from accounts.identifiers import validate_bin_or_iin
from accounts.models import AuditEntry, User
from accounts.ratelimit import allow
from accounts.services import sms_queue
from accounts.sms_text import sms_render, sms_safe_name
from venues.cards import venue_cards_forget
from venues.models import (
    VENUE_OWNER_FIELDS,
    Category,
    Invitation,
    Organisation,
    OrganisationDispute,
    StaffMembership,
    Venue,
)

logger = logging.getLogger(__name__)


class VenueError(AshyqError):
    """An organisation, venue or staff change that was refused."""


class BinTaken(VenueError):
    """The BIN belongs to another account's organisation: the page offers a dispute."""


def organisation_register(*, admin: User, bin: str, legal_name: str, venue: dict) -> Venue:
    """A citizen becomes a responsible person: their organisation and its first venue.

    The organisation starts pending; the verification backend is asked once
    the rows are committed, so that a slow registry holds no lock.
    """
    bin = validate_bin_or_iin(bin)
    with transaction.atomic():
        organisation = Organisation.objects.select_for_update().filter(bin=bin).first()
        if organisation is not None and organisation.admin_id != admin.pk:
            raise BinTaken(
                "bin_taken",
                _(
                    "This BIN is already registered in Ashyq by someone else. If you work "
                    "there, ask the administrator of your organisation to invite you to its "
                    "venues. If the organisation is yours, file a dispute below or call "
                    "%(support)s: an operator checks the documents and transfers it to you."
                )
                % {"support": settings.SUPPORT_PHONE},
            )
        if organisation is None:
            try:
                with transaction.atomic():
                    organisation = Organisation.objects.create(
                        bin=bin, legal_name=" ".join(legal_name.split()), admin=admin
                    )
            except IntegrityError:
                raise BinTaken(
                    "bin_taken", _("This BIN has just been registered. Please try again.")
                ) from None
        created = venue_create(organisation=organisation, **venue)
    logger.info("organisation %s registered by account %s", organisation.pk, admin.pk)
    if not organisation.is_verified:
        from venues.verification import organisation_verification_check

        organisation_verification_check(organisation)
    return created


def organisation_dispute(*, claimant: User, bin: str, message: str) -> OrganisationDispute:
    """Someone says a registered BIN is theirs: one open dispute per person and BIN."""
    bin = validate_bin_or_iin(bin)
    organisation = Organisation.objects.filter(bin=bin).exclude(admin=claimant).first()
    if organisation is None:
        raise VenueError("no_dispute", _("No one else has registered this BIN."))
    dispute, created = OrganisationDispute.objects.get_or_create(
        organisation=organisation,
        claimant=claimant,
        resolved_at=None,
        defaults={"message": message.strip()[:2000]},
    )
    if created:
        logger.info("account %s disputes organisation %s", claimant.pk, organisation.pk)
    return dispute


@transaction.atomic
def organisation_transfer(
    organisation: Organisation,
    *,
    to: User,
    by: User,
    reason: str,
    request: HttpRequest | None = None,
) -> None:
    """An operator gives the organisation (and so its venues) to another account."""
    previous = organisation.admin_id
    if previous == to.pk:
        return
    organisation.admin = to
    organisation.save(update_fields=["admin"])
    OrganisationDispute.objects.filter(
        organisation=organisation, claimant=to, resolved_at__isnull=True
    ).update(resolved_at=timezone.now())
    audit_record(
        actor=by,
        action=AuditEntry.Action.ORGANISATION_TRANSFERRED,
        obj=organisation,
        detail={"bin": organisation.bin, "from": previous, "to": to.pk, "reason": reason},
        request=request,
    )


def venue_create(*, organisation: Organisation, **fields) -> Venue:
    category: Category = fields["category"]
    fields.setdefault("pcr_required", category.pcr_required_default)
    venue = Venue(organisation=organisation)
    for name in VENUE_OWNER_FIELDS:
        if name in fields:
            setattr(venue, name, fields[name])
    venue.full_clean(exclude=["organisation"])
    venue.save()
    logger.info("venue %s created for organisation %s", venue.pk, organisation.pk)
    return venue


def venue_update(venue: Venue, **fields) -> Venue:
    # Every given field is written: a bound ModelForm has already copied the
    # posted values onto this instance, so comparing with it finds no change.
    changed = [name for name in VENUE_OWNER_FIELDS if name in fields]
    for name in changed:
        setattr(venue, name, fields[name])
    if changed:
        venue.full_clean(exclude=["organisation"])
        venue.save(update_fields=changed)
    return venue


@dataclass(frozen=True)
class Invited:
    result: Invitation | StaffMembership
    # False when this number already had an invitation SMS from this venue
    # within INVITATION_SMS_INTERVAL_MINUTES: the invitation stands, unsent.
    sms_sent: bool


def staff_invite(*, venue: Venue, phone: str, by: User) -> Invited:
    """Invite a person by phone; someone who already has an account is added at once.

    The SMS goes out under the Ashyq name to a number the inviter typed, so it
    is rationed: only verified organisations send, at most one per venue and
    number per interval, and a daily number per organisation. Over the daily
    number nothing is written, so the owner can simply try again tomorrow.
    """
    organisation = venue.organisation
    if not organisation.is_verified:
        raise VenueError(
            "organisation_pending",
            _(
                "Your organisation is waiting for verification. You can invite colleagues "
                "once it is verified; for help call %(support)s."
            )
            % {"support": settings.SUPPORT_PHONE},
        )
    recent_key = f"invite-sms:{venue.pk}:{phone}"
    send = cache.get(recent_key) is None
    if send and not allow(
        f"invite-sms-day:{organisation.pk}", f"{settings.INVITATION_SMS_DAILY_LIMIT}/d"
    ):
        raise VenueError(
            "sms_daily_limit",
            ngettext(
                "Your organisation has sent %(limit)d invitation today, the most allowed in "
                "a day. Try again tomorrow.",
                "Your organisation has sent %(limit)d invitations today, the most allowed in "
                "a day. Try again tomorrow.",
                settings.INVITATION_SMS_DAILY_LIMIT,
            )
            % {"limit": settings.INVITATION_SMS_DAILY_LIMIT},
        )
    # add() is atomic: of two invitations at once, one sends.
    send = send and cache.add(recent_key, 1, timeout=settings.INVITATION_SMS_INTERVAL_MINUTES * 60)
    existing = User.objects.filter(phone=phone, is_active=True).first()
    with transaction.atomic():
        if existing is not None:
            membership, _created = StaffMembership.objects.get_or_create(
                venue=venue, user=existing, defaults={"added_by": by}
            )
            result: Invitation | StaffMembership = membership
        else:
            result, _created = Invitation.objects.get_or_create(
                venue=venue, phone=phone, accepted_at=None, defaults={"invited_by": by}
            )
        if send:
            language = existing.language if existing else translation.get_language()
            with translation.override(language):
                text = sms_render(
                    "venues/sms/invitation.txt",
                    {"venue": sms_safe_name(venue.name), "site": settings.SITE_URL or "Ashyq"},
                )
            sms_queue(to=phone, text=text)
    logger.info(
        "account %s invited %s to venue %s (sms %s)",
        by.pk,
        phone[-4:],
        venue.pk,
        "sent" if send else "not sent",
    )
    return Invited(result=result, sms_sent=send)


def invitations_accept(user: User) -> int:
    """Turn the open invitations for this person's number into memberships."""
    if not user.phone:
        return 0
    accepted = 0
    with transaction.atomic():
        for invitation in Invitation.objects.select_for_update().filter(
            phone=user.phone, accepted_at__isnull=True
        ):
            StaffMembership.objects.get_or_create(
                venue_id=invitation.venue_id,
                user=user,
                defaults={"added_by_id": invitation.invited_by_id},
            )
            invitation.accepted_at = timezone.now()
            invitation.save(update_fields=["accepted_at"])
            accepted += 1
    return accepted


def staff_remove(*, venue: Venue, user_id: int, by: User) -> None:
    StaffMembership.objects.filter(venue=venue, user_id=user_id).delete()
    logger.info("account %s removed account %s from venue %s", by.pk, user_id, venue.pk)


def invitation_cancel(*, venue: Venue, invitation_id: int) -> None:
    Invitation.objects.filter(venue=venue, pk=invitation_id, accepted_at__isnull=True).delete()


@transaction.atomic
def venue_suspend(
    venue: Venue, *, by: User, reason: str, request: HttpRequest | None = None
) -> bool:
    """The sanitary service closes a venue to check-ins; the reason is shown to its staff."""
    reason = reason.strip()
    if not reason:
        raise ValueError("a suspension needs a reason")
    updated = Venue.objects.filter(pk=venue.pk).update(suspended=True, suspended_reason=reason)
    venue_cards_forget()
    venue.suspended, venue.suspended_reason = True, reason
    audit_record(
        actor=by,
        action=AuditEntry.Action.VENUE_SUSPENDED,
        obj=venue,
        detail={"reason": reason},
        request=request,
    )
    return bool(updated)


@transaction.atomic
def venue_resume(venue: Venue, *, by: User, request: HttpRequest | None = None) -> bool:
    updated = Venue.objects.filter(pk=venue.pk, suspended=True).update(
        suspended=False, suspended_reason=""
    )
    venue_cards_forget()
    if updated:
        venue.suspended, venue.suspended_reason = False, ""
        audit_record(actor=by, action=AuditEntry.Action.VENUE_RESUMED, obj=venue, request=request)
    return bool(updated)
