"""The status derivation (docs/rules.md §2), as pure functions over plain values.

A status is never stored as one mutable field: it is derived at a moment from
an append-only history of records, so "what was this person's status at the
moment of check-in" can still be answered weeks later, and expiry needs no job.
Nothing here imports models; selectors turn rows into `RecordFacts`.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple


class Status(StrEnum):
    GREEN = "green"
    BLUE = "blue"
    YELLOW = "yellow"
    RED = "red"

    @property
    def rank(self) -> int:
        return PRECEDENCE[self]


# Stronger restrictions win: one confirmed case outweighs any number of green
# results. Blue ranks lowest because it means "nothing known".
PRECEDENCE = {Status.BLUE: 0, Status.GREEN: 1, Status.YELLOW: 2, Status.RED: 3}


class Source(StrEnum):
    PCR_NEGATIVE = "pcr_negative"
    PCR_POSITIVE = "pcr_positive"
    VACCINATION = "vaccination"
    RECOVERY = "recovery"
    CONTACT = "contact"
    MANUAL = "manual"


def _require_aware(value: datetime.datetime | None, name: str) -> None:
    # Comparing naive with aware datetimes either raises deep inside max() or,
    # worse, silently shifts a window by the server's UTC offset.
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise ValueError(f"{name} must be a timezone-aware datetime, got {value!r}")


@dataclass(frozen=True)
class RecordFacts:
    """One status record as the derivation needs it.

    `id` and `source` do not influence the result; they let callers tell which
    record won (for the status page and the audit trail).
    """

    status: Status
    valid_from: datetime.datetime
    valid_until: datetime.datetime | None
    lifted_at: datetime.datetime | None = None
    id: int | None = None
    source: Source | None = None

    def __post_init__(self) -> None:
        _require_aware(self.valid_from, "valid_from")
        _require_aware(self.valid_until, "valid_until")
        _require_aware(self.lifted_at, "lifted_at")


@dataclass(frozen=True)
class Derived:
    """The status at a moment, the record it comes from, and when that record ends.

    `valid_until` is the winning record's end; the status may change then (a
    red record ending uncovers the green recovery record behind it).
    """

    status: Status
    record: RecordFacts | None
    valid_until: datetime.datetime | None


def is_active(record: RecordFacts, at: datetime.datetime) -> bool:
    """Whether the record counts at `at`: the window is half-open, [from, until).

    A lift takes effect at its own moment; a lift recorded for the future does
    not shorten the record until then.
    """
    _require_aware(at, "at")
    if at < record.valid_from:
        return False
    if record.valid_until is not None and at >= record.valid_until:
        return False
    return record.lifted_at is None or at < record.lifted_at


def _strength(record: RecordFacts) -> tuple:
    # Within one status the record that lasts longest wins (open-ended above
    # all), so the status page shows the date the status really runs to. The
    # later start and the id only make the choice independent of input order.
    until = (1,) if record.valid_until is None else (0, record.valid_until)
    return (record.status.rank, until, record.valid_from, record.id or 0)


def derive_status(records: Iterable[RecordFacts], at: datetime.datetime) -> Derived:
    _require_aware(at, "at")
    active = [record for record in records if is_active(record, at)]
    if not active:
        return Derived(status=Status.BLUE, record=None, valid_until=None)
    winner = max(active, key=_strength)
    return Derived(status=winner.status, record=winner, valid_until=winner.valid_until)


@dataclass(frozen=True)
class Durations:
    """How long each kind of result lasts.

    Settings, not constants: they changed by decree several times during the
    epidemic (a negative PCR counted 72 h in spring 2021, 7 days from
    September 2021).
    """

    pcr_negative: datetime.timedelta = datetime.timedelta(days=7)
    vaccination: datetime.timedelta = datetime.timedelta(days=365)
    recovery: datetime.timedelta = datetime.timedelta(days=90)
    contact: datetime.timedelta = datetime.timedelta(days=14)
    pcr_positive: datetime.timedelta = datetime.timedelta(days=10)
    recovery_after_positive: datetime.timedelta = datetime.timedelta(days=90)


class Window(NamedTuple):
    status: Status
    valid_from: datetime.datetime
    valid_until: datetime.datetime


def records_for_result(
    source: Source, sample_taken_at: datetime.datetime, durations: Durations
) -> list[Window]:
    """The status windows one event creates, counted from when it happened.

    `sample_taken_at` is the sample time for PCR results (not the time the lab
    reported it), the vaccination or recovery date, or the last contact. A
    positive PCR yields two windows: the red isolation, then the green recovery
    that follows it without a gap; the caller stores the second as a recovery.
    Manual records have no default window: an epidemiologist sets it.
    """
    _require_aware(sample_taken_at, "sample_taken_at")
    t = sample_taken_at
    match source:
        case Source.PCR_NEGATIVE:
            return [Window(Status.GREEN, t, t + durations.pcr_negative)]
        case Source.VACCINATION:
            return [Window(Status.GREEN, t, t + durations.vaccination)]
        case Source.RECOVERY:
            return [Window(Status.GREEN, t, t + durations.recovery)]
        case Source.CONTACT:
            return [Window(Status.YELLOW, t, t + durations.contact)]
        case Source.PCR_POSITIVE:
            recovered = t + durations.pcr_positive
            return [
                Window(Status.RED, t, recovered),
                Window(Status.GREEN, recovered, recovered + durations.recovery_after_positive),
            ]
    raise ValueError(f"{source!r} has no default window")


def green_expiring(derived: Derived, at: datetime.datetime, within: datetime.timedelta) -> bool:
    """Whether a green status ends within `within` of `at` (the warning SMS).

    Inclusive at the edge: a status ending exactly 24 h from now does expire
    "within 24 hours". The caller remembers which warnings it already sent; a
    green status that has no end never needs one.
    """
    _require_aware(at, "at")
    if derived.status != Status.GREEN or derived.valid_until is None:
        return False
    return derived.valid_until - at <= within
