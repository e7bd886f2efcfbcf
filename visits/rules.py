"""The admission rule (docs/rules.md §4): one pure function of status, venue, place and occupancy.

No models here: the service hands in plain facts, and the table test reads
like the spec. Denials carry a code for machines and a message for people;
the message is lazy, so each side reads it in their own language.
"""

import datetime
import math
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from statuses.rules import Status
from venues.rules import LONGEST_STAY

# Yellow status may shop for food and medicine near home (docs/rules.md §2).
YELLOW_RADIUS_METRES = 500
EARTH_RADIUS_METRES = 6_371_008.8


# Web servers' clocks agree to well within this: a visit that another server
# stamped a moment ahead of this one's clock is still found.
CLOCK_ALLOWANCE = datetime.timedelta(minutes=5)


def open_window(now: datetime.datetime) -> tuple[datetime.datetime, datetime.datetime]:
    """When a visit still open at `now` can have begun (docs/rules.md §4):
    after the first moment and no later than the second.

    A visit still open from before the window has outlasted its venue's
    maximum stay, whatever the venue: the person has left, and the automatic
    check-out records it when the stay ran out. The door looks no further, so
    on PostgreSQL its lookups of open visits read a day or two of the visits'
    daily partitions and skip the other thirty.
    """
    return now - LONGEST_STAY, now + CLOCK_ALLOWANCE


@dataclass(frozen=True)
class Point:
    latitude: float
    longitude: float


@dataclass(frozen=True)
class VenueFacts:
    essential: bool
    pcr_required: bool
    suspended: bool
    test_mode: bool
    location: Point
    effective_capacity: int


@dataclass(frozen=True)
class Decision:
    admitted: bool
    code: str
    message: Promise | str


DENIALS: dict[str, Promise] = {
    "suspended": _(
        "This venue is closed by the sanitary service. Check-ins are not accepted here now."
    ),
    "red": _(
        "Red status: you are a confirmed case and must stay in strict home isolation. "
        "Entry is not allowed."
    ),
    "yellow_not_essential": _(
        "Yellow status: during home quarantine only grocery and household-goods shops and "
        "pharmacies near home are allowed."
    ),
    "yellow_no_isolation_point": _(
        "Yellow status: your place of home isolation is not known, so we cannot tell whether "
        "this shop is near it. Add it in your profile."
    ),
    "yellow_too_far": _(
        "Yellow status: this shop is more than 500 m from your place of home isolation."
    ),
    "pcr_required": _(
        "A negative PCR test, vaccination or recovery (green status) is required to enter "
        "this venue."
    ),
    "full": _("The venue is full right now. Please wait until someone leaves."),
}

# Short names of the denial reasons, for dashboards and exports.
DENIAL_LABELS: dict[str, Promise] = {
    "suspended": _("venue suspended"),
    "red": _("red status"),
    "yellow_not_essential": _("yellow status, not an essential venue"),
    "yellow_no_isolation_point": _("yellow status, no place of isolation"),
    "yellow_too_far": _("yellow status, too far from home"),
    "pcr_required": _("PCR test required"),
    "full": _("venue full"),
}

ADMITTED = Decision(admitted=True, code="admitted", message=_("Welcome! You may enter."))


def distance_metres(a: Point, b: Point) -> float:
    """Great-circle distance by the haversine formula; good to a metre at city scale."""
    lat1, lat2 = math.radians(a.latitude), math.radians(b.latitude)
    dlat = lat2 - lat1
    dlon = math.radians(b.longitude - a.longitude)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_METRES * math.asin(min(1.0, math.sqrt(h)))


def _deny(code: str) -> Decision:
    return Decision(admitted=False, code=code, message=DENIALS[code])


def admission_decision(
    status: Status | str,
    venue: VenueFacts,
    isolation_point: Point | None,
    occupancy: int,
) -> Decision:
    """Whether this person may enter this venue now.

    In order: a suspended venue admits nobody; then the status rules; then
    capacity. A venue in its test week applies every status rule, but its
    capacity does not count yet (docs/rules.md §3: "nothing counts against it").
    """
    decision = status_decision(status, venue, isolation_point)
    if decision.admitted and not venue.test_mode and occupancy >= venue.effective_capacity:
        return _deny("full")
    return decision


def status_decision(
    status: Status | str, venue: VenueFacts, isolation_point: Point | None
) -> Decision:
    """The admission rule without capacity: what a venue's page can say before
    anyone presses "Enter". Only the check-in, holding the venue's lock, knows
    how many people are inside, so "full" is never its answer."""
    status = Status(status)
    if venue.suspended:
        return _deny("suspended")
    if status is Status.RED:
        return _deny("red")
    if status is Status.YELLOW:
        if not venue.essential:
            return _deny("yellow_not_essential")
        if isolation_point is None:
            return _deny("yellow_no_isolation_point")
        if distance_metres(isolation_point, venue.location) > YELLOW_RADIUS_METRES:
            return _deny("yellow_too_far")
    if status is Status.BLUE and venue.pcr_required:
        return _deny("pcr_required")
    return ADMITTED
