import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import DurationField, ExpressionWrapper, F, Value
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from statuses.rules import Status, derive_status
from venues.models import Venue
from venues.rules import effective_capacity, kiosk_token_valid
from visits.checkin_queries import LockedVenue, insert_visit, lock_venue, read_at_door
from visits.models import IsolationPoint, Visit
from visits.rules import ADMITTED, DENIALS, Decision, Point, VenueFacts, admission_decision

logger = logging.getLogger(__name__)


class CheckInError(Exception):
    """A check-in that could not even be decided: the message says why, the code is for tests."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class CheckInResult:
    visit: Visit
    decision: Decision
    # True when nothing new was written: a repeated nonce or a person already inside.
    repeated: bool = False


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


def _venue_not_found() -> CheckInError:
    return CheckInError("venue_not_found", _("This venue does not exist in Ashyq."))


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
    """Decide and record one entry: admitted or denied (SPEC §4).

    The venue row is locked for the length of the transaction, so concurrent
    check-ins at one venue queue up and capacity holds exactly. A repeated
    nonce (a double tap, a retried request) returns the visit it created.
    With `staff`, only a venue this person works at is found; with `user`
    None, the account holding the IIN (if any) is linked to the visit.
    """
    try:
        return _visit_check_in(
            venue_id=venue_id,
            venue_code=venue_code,
            iin=iin,
            user=user,
            method=method,
            staff=staff,
            nonce=nonce,
            kiosk_token=kiosk_token,
            now=now or timezone.now(),
        )
    except IntegrityError:
        # The same nonce at two venues at once: the first one stands. Caught
        # here, outside the transaction, to spare every check-in a savepoint.
        visit = Visit.objects.filter(nonce=nonce or None).first()
        if visit is None:
            raise
        return CheckInResult(visit=visit, decision=decision_of(visit), repeated=True)


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
        user = User(pk=venue.person_id)
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
    for earlier in door.visits:
        if nonce and earlier.nonce == nonce:
            visit = Visit.objects.get(pk=earlier.id)
            return CheckInResult(visit=visit, decision=decision_of(visit), repeated=True)
    for earlier in door.visits:
        if earlier.venue_id == venue.id:
            visit = Visit.objects.get(pk=earlier.id)
            return CheckInResult(visit=visit, decision=ADMITTED, repeated=True)

    status = derive_status(door.records, now).status
    isolation = None
    if status is Status.YELLOW:
        point = IsolationPoint.objects.filter(iin=iin).first()
        if point is not None:
            isolation = Point(float(point.latitude), float(point.longitude))
    facts = _locked_facts(venue, now)
    decision = admission_decision(status, facts, isolation, occupancy=door.occupancy)
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
        moved = [v.id for v in door.visits if v.venue_id != venue.id]
        if moved:
            Visit.objects.filter(pk__in=moved).update(
                checked_out_at=now, checkout_method=Visit.Checkout.MOVED
            )
    logger.info(
        "check-in venue=%s method=%s status=%s decision=%s",
        venue.id,
        method,
        status.value,
        decision.code,
    )
    return CheckInResult(visit=visit, decision=decision)


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


def visits_close_expired(now: datetime.datetime | None = None) -> int:
    """Close visits open longer than their venue's maximum stay.

    The visit is closed at the moment its stay ran out, not at the moment
    this job ran: contact tracing should not see people inside for longer
    than they can have been.
    """
    now = now or timezone.now()
    closed = 0
    stays = (
        Visit.objects.filter(admitted=True, checked_out_at__isnull=True)
        .order_by()  # the default ordering would defeat DISTINCT
        .values_list("venue__max_stay", flat=True)
        .distinct()
    )
    for max_stay in stays:
        closed += Visit.objects.filter(
            admitted=True,
            checked_out_at__isnull=True,
            venue__max_stay=max_stay,
            checked_in_at__lte=now - max_stay,
        ).update(
            checked_out_at=_stay_end(max_stay),
            checkout_method=Visit.Checkout.AUTOMATIC,
        )
    return closed


def _stay_end(delta: datetime.timedelta) -> ExpressionWrapper:
    return ExpressionWrapper(
        F("checked_in_at") + Value(delta, output_field=DurationField()),
        output_field=Visit._meta.get_field("checked_in_at"),
    )


def visits_delete_old(
    now: datetime.datetime | None = None, *, days: int | None = None, batch: int = 10_000
) -> int:
    """Retention (SPEC §4): delete visits older than VISIT_RETENTION_DAYS, in batches
    so no single transaction holds the table for long. Status history stays."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.VISIT_RETENTION_DAYS if days is None else days)
    deleted = 0
    while True:
        ids = list(
            Visit.objects.filter(checked_in_at__lt=cutoff).values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return deleted
        deleted += Visit.objects.filter(pk__in=ids).delete()[0]


def isolation_point_set(
    *, iin: str, address: str, latitude, longitude, by: User | None
) -> IsolationPoint:
    point, _created = IsolationPoint.objects.update_or_create(
        iin=iin,
        defaults={
            "address": address,
            "latitude": latitude,
            "longitude": longitude,
            "updated_by": by,
        },
    )
    return point
