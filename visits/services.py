import datetime
import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.errors import AshyqError
from accounts.models import User
from accounts.services import sms_queue
from statuses.rules import Derived, Status, derive_status
from statuses.selectors import statuses_at
from statuses.services import STATUS_IN_SENTENCE
from venues.models import Venue
from venues.rules import effective_capacity, kiosk_token_valid
from visits.checkin_queries import LockedVenue, insert_visit, lock_venue, read_at_door
from visits.models import InsideAlert, IsolationPoint, Visit
from visits.rules import ADMITTED, DENIALS, Decision, Point, VenueFacts, admission_decision

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
        return _visit_check_in(**arguments, nonce=nonce)
    except IntegrityError:
        # One nonce posted at two venues at once (the venue locks do not queue
        # them): the unique nonce lets the first one stand, and this one is
        # settled as it would have been had it come second. Caught here, outside
        # the transaction, to spare every check-in a savepoint.
        spent = (
            Visit.objects.filter(nonce=nonce or None)
            .values("pk", "iin", "venue_id", "venue__code")
            .first()
        )
        if spent is None:
            raise
        if spent["iin"] != iin:
            # Someone else's nonce: this person gets a decision of their own.
            return _visit_check_in(**arguments, nonce="")
        if spent["venue_id"] != venue_id and spent["venue__code"] != venue_code:
            raise _nonce_spent() from None
        visit = Visit.objects.get(pk=spent["pk"])
        return CheckInResult(visit=visit, decision=decision_of(visit), repeated=True)


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
) -> CheckInResult:
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
            visit = Visit.objects.get(pk=spent.id)
            if user is not None and visit.user_id == user.pk:
                visit.user = user
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
    occupancy = door.occupancy - 1 if here is not None else door.occupancy
    decision = admission_decision(status, facts, isolation, occupancy=occupancy)
    if here is not None and decision.admitted:
        visit = Visit.objects.get(pk=here.id)
        if user is not None and visit.user_id == user.pk:
            visit.user = user
        logger.info("check-in venue=%s method=%s status=%s again", venue.id, method, status.value)
        return CheckInResult(visit=visit, decision=decision, repeated=True)
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
    insert_visit(visit)
    if decision.admitted:
        moved = [v.id for v in inside if v.venue_id != venue.id]
        if moved:
            Visit.objects.filter(pk__in=moved).update(
                checked_out_at=now, checkout_method=Visit.Checkout.MOVED
            )
    elif here is not None:
        # Inside, and refused now: the stay ends with this scan, under its own
        # reason, so the log tells it apart from an ordinary exit.
        Visit.objects.filter(pk=here.id).update(
            checked_out_at=max(now, here.checked_in_at),
            checkout_method=Visit.Checkout.REFUSED,
        )
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


def visits_flag_worsened(*, iins: Iterable[str], now: datetime.datetime) -> int:
    """Flag people inside a venue whose status now keeps them out of it.

    Called when these people's statuses may have changed (records added, inside
    the transaction that added them, or a record beginning as time passed).
    "Worsened" is decided by the admission rule
    itself, re-run for the venue with its capacity (and a suspension) left
    out: a yellow person inside a pharmacy near home may stay, the same person
    inside a café may not, and whether the venue is full says nothing about
    the person. Each flag appears on the venue's staff page while the visit
    is open, and the person's account (if any) gets one SMS in its language.
    A record that was already flagged for a visit is not flagged again.
    Returns how many visits were flagged.
    """
    iins = sorted(set(iins))
    inside: list[Visit] = []
    for start in range(0, len(iins), _FLAG_CHUNK):
        inside.extend(
            Visit.objects.filter(
                iin__in=iins[start : start + _FLAG_CHUNK],
                admitted=True,
                checked_out_at__isnull=True,
            ).select_related("venue__category", "venue__region")
        )
    if not inside:
        return 0
    statuses = statuses_at({visit.iin for visit in inside}, now)
    yellow = {visit.iin for visit in inside if statuses[visit.iin].status is Status.YELLOW}
    points = {
        point.iin: Point(float(point.latitude), float(point.longitude))
        for point in IsolationPoint.objects.filter(iin__in=yellow)
    }
    flagged: dict[str, Derived] = {}
    for visit in inside:
        derived = statuses[visit.iin]
        if derived.status not in (Status.YELLOW, Status.RED) or derived.record is None:
            continue
        # test_mode is the rule's own switch for "capacity does not count"; a
        # suspension is left out too, as the flag is about the person.
        facts = replace(venue_facts(visit.venue, now), suspended=False, test_mode=True)
        decision = admission_decision(derived.status, facts, points.get(visit.iin), occupancy=0)
        if decision.admitted:
            continue
        try:
            with transaction.atomic():
                InsideAlert.objects.create(
                    visit=visit,
                    record_id=derived.record.id,
                    status=derived.status.value,
                    denial_code=decision.code,
                    created_at=now,
                )
        except IntegrityError:
            continue
        flagged[visit.iin] = derived
        logger.info(
            "visit %s at venue %s: status now %s, flagged (%s)",
            visit.pk,
            visit.venue_id,
            derived.status.value,
            decision.code,
        )
    accounts = User.objects.filter(iin__in=list(flagged), phone__isnull=False, is_active=True).only(
        "iin", "phone", "language"
    )
    for account in accounts:
        with translation.override(account.language):
            text = _(
                "Ashyq: your status is now %(status_name)s, and you are still checked in at a "
                "venue where this status may not stay. Please leave now. If you have already "
                "left, record your exit in Ashyq."
            ) % {"status_name": STATUS_IN_SENTENCE[flagged[account.iin].status]}
            sms_queue(to=str(account.phone), text=str(text))
    return len(flagged)


# IINs per query when a lab import adds records for many people at once.
_FLAG_CHUNK = 5000


def visit_check_out_self(*, visit_id: int, user: User, now: datetime.datetime | None = None) -> int:
    """The visitor leaves. Returns 1 if an open visit was closed, 0 if it was not open."""
    return Visit.objects.filter(
        pk=visit_id, user=user, admitted=True, checked_out_at__isnull=True
    ).update(checked_out_at=now or timezone.now(), checkout_method=Visit.Checkout.SELF)


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
    visit = (
        Visit.objects.select_for_update()
        .filter(venue_id=venue_id, iin=iin, admitted=True, checked_out_at__isnull=True)
        .first()
    )
    if visit is None:
        raise CheckInError("not_inside", _("This person is not checked in here."))
    visit.checked_out_at = now
    visit.checkout_method = Visit.Checkout.STAFF
    visit.save(update_fields=["checked_out_at", "checkout_method"])
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
