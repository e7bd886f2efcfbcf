import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.identifiers import validate_bin_or_iin
from accounts.models import User
from accounts.services import sms_queue
from venues.models import Category, Invitation, Organisation, StaffMembership, Venue

logger = logging.getLogger(__name__)


class VenueError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


VENUE_FIELDS = (
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


def organisation_register(*, admin: User, bin: str, legal_name: str, venue: dict) -> Venue:
    """A citizen becomes a responsible person: their organisation and its first venue."""
    bin = validate_bin_or_iin(bin)
    with transaction.atomic():
        organisation = Organisation.objects.select_for_update().filter(bin=bin).first()
        if organisation is not None and organisation.admin_id != admin.pk:
            raise VenueError(
                "bin_taken",
                _(
                    "This BIN is already registered in Ashyq by someone else. Ask the "
                    "administrator of your organisation to invite you to its venues."
                ),
            )
        if organisation is None:
            try:
                with transaction.atomic():
                    organisation = Organisation.objects.create(
                        bin=bin, legal_name=" ".join(legal_name.split()), admin=admin
                    )
            except IntegrityError:
                raise VenueError(
                    "bin_taken", _("This BIN has just been registered. Please try again.")
                ) from None
        created = venue_create(organisation=organisation, **venue)
    logger.info("organisation %s registered by account %s", organisation.pk, admin.pk)
    return created


def venue_create(*, organisation: Organisation, **fields) -> Venue:
    category: Category = fields["category"]
    fields.setdefault("pcr_required", category.pcr_required_default)
    venue = Venue(organisation=organisation)
    for name in VENUE_FIELDS:
        if name in fields:
            setattr(venue, name, fields[name])
    venue.full_clean(exclude=["organisation"])
    venue.save()
    logger.info("venue %s created for organisation %s", venue.pk, organisation.pk)
    return venue


def venue_update(venue: Venue, **fields) -> Venue:
    # Every given field is written: a bound ModelForm has already copied the
    # posted values onto this instance, so comparing with it finds no change.
    changed = [name for name in VENUE_FIELDS if name in fields]
    for name in changed:
        setattr(venue, name, fields[name])
    if changed:
        venue.full_clean(exclude=["organisation"])
        venue.save(update_fields=changed)
    return venue


def staff_invite(*, venue: Venue, phone: str, by: User) -> Invitation | StaffMembership:
    """Invite a person by phone; someone who already has an account is added at once."""
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
        language = existing.language if existing else translation.get_language()
        with translation.override(language):
            text = render_to_string(
                "venues/sms/invitation.txt",
                {"venue": venue.name, "site": settings.SITE_URL or "Ashyq"},
            ).strip()
        sms_queue(to=phone, text=text)
    logger.info("account %s invited %s to venue %s", by.pk, phone[-4:], venue.pk)
    return result


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
