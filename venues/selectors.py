from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from accounts.models import User
from venues.models import Invitation, Organisation, StaffMembership, Venue


def _works_at(user: User) -> Q:
    # EXISTS rather than a join to the memberships: no duplicate rows to
    # remove with DISTINCT, which sorted every column of every row it kept.
    return Q(organisation__admin=user) | Q(
        Exists(StaffMembership.objects.filter(venue=OuterRef("pk"), user=user))
    )


def venues_for(user: User) -> QuerySet[Venue]:
    """Venues a responsible person works at: all of their organisations', and
    those they were added to as staff."""
    if not user.is_authenticated:
        return Venue.objects.none()
    return (
        Venue.objects.filter(_works_at(user))
        .select_related("organisation", "category", "region")
        .order_by("organisation__legal_name", "id")
    )


def venue_for(user: User, venue_id: int) -> Venue:
    """A venue this person works at, else 404 — never 403, which would confirm it exists."""
    if not user.is_authenticated:
        raise Http404
    venue = (
        Venue.objects.filter(_works_at(user), pk=venue_id)
        .select_related("organisation", "category", "region")
        .first()
    )
    if venue is None:
        raise Http404
    return venue


def is_venue_admin(user: User, venue: Venue) -> bool:
    return user.is_authenticated and venue.organisation.admin_id == user.pk


def managed_venue(user: User, venue_id: int) -> Venue:
    """A venue of one of this person's organisations, else 404 (staff included)."""
    venue = venue_for(user, venue_id)
    if not is_venue_admin(user, venue):
        raise Http404
    return venue


def organisations_for(user: User) -> QuerySet[Organisation]:
    if not user.is_authenticated:
        return Organisation.objects.none()
    return Organisation.objects.filter(admin=user).order_by("legal_name")


def public_path(venue: Venue) -> str:
    """The path printed in the venue's QR: a public contract that never changes
    (docs/rules.md §3)."""
    return f"/v/{venue.code}/"


def public_url(venue: Venue, request_base: str) -> str:
    """The absolute URL for the QR: SITE_URL when set, else the request's own origin."""
    from django.conf import settings

    base = settings.SITE_URL or request_base.rstrip("/")
    return base + public_path(venue)


def staff_of(venue: Venue) -> QuerySet[StaffMembership]:
    return StaffMembership.objects.filter(venue=venue).select_related("user")


def invitations_waiting(venue: Venue) -> QuerySet[Invitation]:
    """Invitations to this venue whose phone number has not signed in yet."""
    return Invitation.objects.filter(venue=venue, accepted_at__isnull=True)
