import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.errors import AshyqError
from accounts.models import User
from statuses.rules import Status, derive_status
from venues.models import Venue
from venues.rules import effective_capacity, kiosk_token_valid
from visits.checkin_queries import (
    LockedVenue,
    OpenVisit,
    close_moved,
    insert_visit,
    lock_venue,
    read_at_door,
)
from visits.models import IsolationPoint, Visit, VisitNonce
from visits.occupancy import (
    close_visit,
    lock_venues,
    lock_venues_free,
    occupancy_change,
    open_now,
)
from visits.rules import (
    ADMITTED,
    DENIALS,
    Decision,
    Point,
    VenueFacts,
    admission_decision,
)

logger = logging.getLogger(__name__)


class CheckInError(AshyqError):
    """A check-in that could not even be decided: the message says why, the code is for tests."""


class VenueNotFound(CheckInError):
    """No venue has this code or id: the page answers 404, as for any unknown URL."""


@dataclass(frozen=True)
class CheckInResult:
    visit: Visit
    decision: Decision
    # True when nothing new was written: a repeated nonce, or a person already
    # inside who may stay (the visit is theirs, open since its checked_in_at).
    repeated: bool = False
    # A person inside refused on a new scan: since when the stay this scan
    # closed had lasted, for the staff page (which shows it without a query).
    closed_since: datetime.datetime | None = None


def decision_of(visit: Visit) -> Decision:
    if visit.admitted:
        return ADMITTED
    return Decision(admitted=False, code=visit.denial_code, message=DENIALS[visit.denial_code])


def venue_facts(venue: Venue, now: datetime.datetime) -> VenueFacts:
    return _facts(
        essential=venue.category.essential,
        pcr_required=venue.pcr_required,
        suspended=venue.suspended,
        test_mode=venue.in_test_mode(now),
        location=Point(float(venue.latitude), float(venue.longitude)),
        capacity=venue.capacity,
        zone=venue.region.zone,
    )


def _locked_facts(venue: LockedVenue, now: datetime.datetime) -> VenueFacts:
    return _facts(
        essential=venue.essential,
        pcr_required=venue.pcr_required,
        suspended=venue.suspended,
        test_mode=now < venue.test_mode_until,
        location=Point(venue.latitude, venue.longitude),
        capacity=venue.capacity,
        zone=venue.zone,
    )


def _facts(*, capacity: int, zone: str, **facts) -> VenueFacts:
    shares = settings.ZONE_CAPACITY_SHARES
    return VenueFacts(
        **facts,
        effective_capacity=effective_capacity(
            capacity, pcr_required=facts["pcr_required"], zone=zone, shares=shares
        ),
    )


def _venue_not_found() -> VenueNotFound:
    return VenueNotFound("venue_not_found", _("This venue does not exist in Ashyq."))


def _organisation_pending() -> CheckInError:
    # Anyone can register a BIN: until it is verified, a lookup here would
    # show a stranger's status to whoever typed it.
    return CheckInError(
        "organisation_pending",
        _(
            "Your organisation is waiting for verification, so its staff cannot look anyone "
            "up yet. Visitors can still check themselves in by scanning the QR poster. An "
            "operator verifies the organisation, usually within one working day; for help "
            "call %(support)s."
        )
        % {"support": settings.SUPPORT_PHONE},
    )


def visit_check_in(
    *,
    venue_id: int | None = None,
    venue_code: str = "",
    iin: str,
    user: User | None,
    method: str,
    staff: User | None = None,
    nonce: str = "",
    kiosk_token: str | None = None,
    now: datetime.datetime | None = None,
) -> CheckInResult:
    """Decide and record one entry: admitted or denied.

    The venue row is locked for the length of the transaction, so concurrent
    check-ins at one venue queue up and capacity holds exactly. Every scan
    decides anew, also for a person already inside: admitted again, the open
    visit stands; refused now, the refusal is recorded and the open visit
    closes. A nonce belongs to the person and venue of the visit it made: sent
    again by them, it returns that visit (a double tap, a retried request).
    With `staff`, only a venue this person works at is found; with `user`
    None, the account holding the IIN (if any) is linked to the visit.
    """
    arguments = {
        "venue_id": venue_id,
        "venue_code": venue_code,
        "iin": iin,
        "user": user,
        "method": method,
        "staff": staff,
        "kiosk_token": kiosk_token,
        "now": now or timezone.now(),
    }
    try:
        return _in_lock_order(arguments, nonce)
    except IntegrityError:
        # One nonce posted at two venues at once (the venue locks do not queue
        # them): the guard lets the first one stand, and this one is settled
        # as it would have been had it come second. Caught here, outside the
        # transaction, to spare every check-in a savepoint.
        guard = VisitNonce.objects.filter(nonce=nonce or None).first()
        if guard is None:
            raise
        visit = Visit.objects.select_related("venue").get(
            pk=guard.visit_id, checked_in_at=guard.checked_in_at
        )
        if visit.iin != iin:
            # Someone else's nonce: this person gets a decision of their own.
            return _in_lock_order(arguments, "")
        if visit.venue_id != venue_id and visit.venue.code != venue_code:
            raise _nonce_spent() from None
        return CheckInResult(visit=visit, decision=decision_of(visit), repeated=True)


class VenueLockOrder(Exception):
    """The person's open visit is at a venue whose id is lower than the one
    locked: locking it now could deadlock with a check-in moving someone the
    other way (visits/occupancy.py). The check-in starts again with these
    venues locked first."""

    def __init__(self, venue_ids: tuple[int, ...]) -> None:
        super().__init__(venue_ids)
        self.venue_ids = venue_ids


# A person's open visit that moves between the attempts of one check-in means
# they are checking in elsewhere at the same moment: a few rounds settle it.
_LOCK_ROUNDS = 4


def _in_lock_order(arguments: dict, nonce: str) -> CheckInResult:
    first: tuple[int, ...] = ()
    for _round in range(_LOCK_ROUNDS):
        try:
            return _visit_check_in(**arguments, nonce=nonce, lock_first=first)
        except VenueLockOrder as order:
            first = order.venue_ids
    raise CheckInError(
        "busy", _("This person is being checked in somewhere else right now. Try again.")
    )


def _nonce_spent() -> CheckInError:
    return CheckInError(
        "nonce_spent",
        _("This check-in was already sent for another venue. Scan the code again."),
    )


@transaction.atomic
def _visit_check_in(
    *,
    venue_id: int | None,
    venue_code: str,
    iin: str,
    user: User | None,
    method: str,
    staff: User | None,
    nonce: str,
    kiosk_token: str | None,
    now: datetime.datetime,
    lock_first: tuple[int, ...] = (),
) -> CheckInResult:
    if lock_first:
        lock_venues(lock_first)
    venue = lock_venue(
        venue_id=venue_id,
        code=venue_code,
        staff_id=staff.pk if staff is not None else None,
        # The account of a person checked in by IIN rides along with the lock.
        iin=iin if user is None else "",
    )
    if venue is None:
        raise _venue_not_found()
    if staff is not None and not venue.organisation_verified:
        raise _organisation_pending()
    if user is None and venue.person_id is not None:
        user = User(pk=venue.person_id, full_name=venue.person_name)
    if (
        venue.kiosk_only
        and method == Visit.Method.SELF_SCAN
        and not kiosk_token_valid(venue.kiosk_secret, kiosk_token or "", now.timestamp())
    ):
        raise CheckInError(
            "kiosk_required",
            _(
                "This venue accepts check-ins only from the code on the screen at the entrance. "
                "Scan the code at the entrance."
            ),
        )
    door = read_at_door(venue_id=venue.id, iin=iin, nonce=nonce, now=now)
    spent = next((v for v in door.visits if nonce and v.nonce == nonce), None)
    if spent is not None:
        if spent.iin != iin:
            # A form sent back with another person's IIN (the browser's back
            # button at the staff page): never their visit, a decision of this
            # person's own. The nonce stays with the visit it made.
            nonce = ""
        elif spent.venue_id != venue.id:
            raise _nonce_spent()
        else:
            visit = _stored(spent, user)
            return CheckInResult(visit=visit, decision=decision_of(visit), repeated=True)
    # This person's open visits; a nonce's visit of theirs has been settled above.
    inside = [v for v in door.visits if v.iin == iin]
    here = next((v for v in inside if v.venue_id == venue.id), None)

    status = derive_status(door.records, now).status
    isolation = None
    if status is Status.YELLOW:
        point = IsolationPoint.objects.filter(iin=iin).first()
        if point is not None:
            isolation = Point(float(point.latitude), float(point.longitude))
    facts = _locked_facts(venue, now)
    # A person already inside holds one of the places counted: a re-scan must
    # not refuse them as "full" because of themselves.
    occupancy = venue.occupancy - 1 if here is not None else venue.occupancy
    decision = admission_decision(status, facts, isolation, occupancy=occupancy)
    if here is not None and decision.admitted:
        visit = _stored(here, user)
        logger.info("check-in venue=%s method=%s status=%s again", venue.id, method, status.value)
        return CheckInResult(visit=visit, decision=decision, repeated=True)
    moved = [v for v in inside if v.venue_id != venue.id] if decision.admitted else []
    held = {venue.id, *lock_first}
    lower = {v.venue_id for v in moved if v.venue_id < venue.id} - held
    # Waiting for a lower venue's lock while holding this one could close a
    # circle with a check-in moving someone the other way; taking it when
    # free cannot (visits/occupancy.py). Only when it is busy does the
    # check-in start again, the lower ones first: the higher ones are locked
    # after this venue.
    if lower and not lock_venues_free(lower):
        raise VenueLockOrder(tuple(sorted(lower | set(lock_first))))
    change = 1 if decision.admitted else 0
    if here is not None and not decision.admitted:
        # Inside, and refused now: the stay ends with this scan, under its own
        # reason, so the log tells it apart from an ordinary exit.
        change -= close_visit(
            here, checked_out_at=max(now, here.checked_in_at), how=Visit.Checkout.REFUSED
        )
    visit = Visit(
        venue_id=venue.id,
        iin=iin,
        user=user,
        method=method,
        recorded_by=staff,
        status=status.value,
        admitted=decision.admitted,
        denial_code="" if decision.admitted else decision.code,
        test_mode=facts.test_mode,
        checked_in_at=now,
        nonce=nonce,
    )
    insert_visit(visit, occupancy_change=change)
    if moved:
        close_moved(moved, checked_out_at=now, lock={v.venue_id for v in moved} - held - lower)
    logger.info(
        "check-in venue=%s method=%s status=%s decision=%s%s",
        venue.id,
        method,
        status.value,
        decision.code,
        " inside-closed" if here is not None else "",
    )
    return CheckInResult(
        visit=visit,
        decision=decision,
        closed_since=here.checked_in_at if here is not None and not decision.admitted else None,
    )


def _stored(found: OpenVisit, user: User | None) -> Visit:
    """The visit the door read found, as the answer shows it; the account the
    check-in already holds stands in for the visit's, sparing a query."""
    visit = Visit.objects.get(pk=found.id, checked_in_at=found.checked_in_at)
    if user is not None and visit.user_id == user.pk:
        visit.user = user
    return visit


@transaction.atomic
def visit_check_out_self(*, visit_id: int, user: User, now: datetime.datetime | None = None) -> int:
    """The visitor leaves. Returns 1 if an open visit was closed, 0 if it was not open."""
    # The venue's lock before the visit's row (visits/occupancy.py), found through the visit.
    now = now or timezone.now()
    venue_id = (
        Venue.objects.select_for_update(of=("self",))
        .filter(visits__pk=visit_id, visits__user=user, **open_now(now, "visits__"))
        .values_list("pk", flat=True)
        .first()
    )
    if venue_id is None:
        return 0
    closed = Visit.objects.filter(pk=visit_id, user=user, **open_now(now)).update(
        checked_out_at=now, checkout_method=Visit.Checkout.SELF
    )
    if closed:
        occupancy_change(venue_id, -closed)
    return closed


@transaction.atomic
def visit_check_out_by_staff(
    *, venue_id: int, iin: str, staff: User, now: datetime.datetime | None = None
) -> Visit:
    """Staff record an exit at their venue, the same way as an entry."""
    now = now or timezone.now()
    venue = lock_venue(venue_id=venue_id, staff_id=staff.pk)
    if venue is None:
        raise _venue_not_found()
    if not venue.organisation_verified:
        raise _organisation_pending()
    # Whoever closes a visit here holds the venue's lock, as this does: the
    # visit read now is still open when it is closed.
    visit = Visit.objects.filter(venue_id=venue_id, iin=iin, **open_now(now)).first()
    if visit is None:
        raise CheckInError("not_inside", _("This person is not checked in here."))
    occupancy_change(venue_id, -close_visit(visit, checked_out_at=now, how=Visit.Checkout.STAFF))
    visit.checked_out_at = now
    visit.checkout_method = Visit.Checkout.STAFF
    return visit


class IsolationPointLocked(AshyqError):
    """The citizen tried to change a place of isolation the sanitary service set."""

    def __init__(self) -> None:
        super().__init__(
            "isolation_locked",
            _(
                "Your place of home isolation was set by the sanitary service and can only be "
                "changed by them. Call %(phone)s."
            )
            % {"phone": settings.SUPPORT_PHONE},
        )


@transaction.atomic
def isolation_point_set(
    *,
    iin: str,
    address: str,
    latitude,
    longitude,
    by: User | None,
    by_epidemiologist: bool = False,
) -> IsolationPoint:
    """Set where this IIN stays in home isolation. An epidemiologist's place
    stays theirs: a citizen's later change is refused (IsolationPointLocked)."""
    point = IsolationPoint.objects.select_for_update().filter(iin=iin).first()
    if point is not None and point.set_by_epidemiologist and not by_epidemiologist:
        raise IsolationPointLocked
    point = point or IsolationPoint(iin=iin)
    point.address = address
    point.latitude = latitude
    point.longitude = longitude
    point.updated_by = by
    point.set_by_epidemiologist = by_epidemiologist
    point.save()
    return point
