"""The status derivation, as docs/rules.md §2 states it."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from statuses.rules import (
    Derived,
    Durations,
    RecordFacts,
    Source,
    Status,
    Window,
    derive_status,
    green_expiring,
    is_active,
    records_for_result,
)

ALMATY = ZoneInfo("Asia/Almaty")
T = datetime.datetime(2021, 9, 1, 12, 0, tzinfo=ALMATY)
US = datetime.timedelta(microseconds=1)
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)

GREEN, BLUE, YELLOW, RED = Status.GREEN, Status.BLUE, Status.YELLOW, Status.RED


def rec(
    status: Status,
    start: float,
    end: float | None,
    *,
    lifted: float | None = None,
    id: int | None = None,
) -> RecordFacts:
    """A record whose window is given in days from T (None = open-ended)."""
    return RecordFacts(
        status=status,
        valid_from=T + start * DAY,
        valid_until=None if end is None else T + end * DAY,
        lifted_at=None if lifted is None else T + lifted * DAY,
        id=id,
    )


# -- is_active: the window is [valid_from, valid_until), a lift ends it early ----

WEEK_FROM_T = rec(GREEN, 0, 7)

IS_ACTIVE = [
    pytest.param(WEEK_FROM_T, T - US, False, id="1 us before valid_from: not yet"),
    pytest.param(WEEK_FROM_T, T, True, id="exactly at valid_from: active"),
    pytest.param(WEEK_FROM_T, T + 7 * DAY - US, True, id="1 us before valid_until: active"),
    pytest.param(WEEK_FROM_T, T + 7 * DAY, False, id="exactly at valid_until: expired"),
    pytest.param(rec(RED, 0, None), T + 3650 * DAY, True, id="open-ended: active years later"),
    pytest.param(rec(RED, 0, None), T - US, False, id="open-ended: not before its start"),
    pytest.param(rec(RED, 0, 10, lifted=2), T + 3 * DAY, False, id="lifted before at: inactive"),
    pytest.param(rec(RED, 0, 10, lifted=3), T + 3 * DAY, False, id="lifted exactly at: inactive"),
    pytest.param(rec(RED, 0, 10, lifted=4), T + 3 * DAY, True, id="lifted after at: still active"),
    pytest.param(rec(RED, 0, None, lifted=4), T + 5 * DAY, False, id="lift ends an open record"),
    pytest.param(
        rec(RED, 2, 10, lifted=1), T + 3 * DAY, False, id="lifted before it began: never active"
    ),
]


@pytest.mark.parametrize(("record", "at", "expected"), IS_ACTIVE)
def test_is_active(record: RecordFacts, at: datetime.datetime, expected: bool) -> None:
    assert is_active(record, at) is expected


# -- derive_status: the strongest active record wins ------------------------------

DERIVE = {
    "no records: blue": ([], T, BLUE, None),
    "only expired records: blue": ([rec(GREEN, -10, -3, id=1)], T, BLUE, None),
    "only future records: blue": ([rec(RED, 1, 11, id=1)], T, BLUE, None),
    "only lifted records: blue": ([rec(RED, 0, 10, lifted=-1, id=1)], T, BLUE, None),
    "a negative PCR: green": ([rec(GREEN, 0, 7, id=1)], T, GREEN, 1),
    "red beats yellow": ([rec(YELLOW, 0, 14, id=1), rec(RED, 0, 10, id=2)], T, RED, 2),
    "red beats green": ([rec(GREEN, 0, 365, id=1), rec(RED, 0, 10, id=2)], T, RED, 2),
    "yellow beats green": ([rec(GREEN, 0, 365, id=1), rec(YELLOW, 0, 14, id=2)], T, YELLOW, 2),
    "red beats yellow whatever the order": (
        [rec(RED, 0, 10, id=1), rec(YELLOW, 0, 14, id=2)],
        T,
        RED,
        1,
    ),
    "red beats yellow and green together": (
        [rec(GREEN, 0, 7, id=1), rec(YELLOW, 0, 14, id=2), rec(RED, 0, 10, id=3)],
        T,
        RED,
        3,
    ),
    "red expired: green shows again": (
        [rec(GREEN, 0, 365, id=1), rec(RED, 0, 10, id=2)],
        T + 10 * DAY,
        GREEN,
        1,
    ),
    "red lifted: yellow shows again": (
        [rec(YELLOW, 0, 14, id=1), rec(RED, -1, 9, lifted=0, id=2)],
        T,
        YELLOW,
        1,
    ),
    "a red starting tomorrow does not count today": (
        [rec(GREEN, 0, 7, id=1), rec(RED, 1, 11, id=2)],
        T,
        GREEN,
        1,
    ),
    "tie in green: the later valid_until wins": (
        [rec(GREEN, 0, 7, id=1), rec(GREEN, -100, 265, id=2)],
        T,
        GREEN,
        2,
    ),
    "tie in yellow: the later valid_until wins": (
        [rec(YELLOW, 0, 14, id=1), rec(YELLOW, -5, 9, id=2)],
        T,
        YELLOW,
        1,
    ),
    "tie: open-ended beats any end date": (
        [rec(RED, 0, 10, id=1), rec(RED, -3, None, id=2)],
        T,
        RED,
        2,
    ),
    "tie between open-ended: the later start wins": (
        [rec(RED, -3, None, id=1), rec(RED, -1, None, id=2)],
        T,
        RED,
        2,
    ),
    "identical windows: the higher id wins": (
        [rec(GREEN, 0, 7, id=2), rec(GREEN, 0, 7, id=1)],
        T,
        GREEN,
        2,
    ),
    "identical windows: whatever the order": (
        [rec(GREEN, 0, 7, id=1), rec(GREEN, 0, 7, id=2)],
        T,
        GREEN,
        2,
    ),
}


@pytest.mark.parametrize(
    ("records", "at", "status", "winner_id"), DERIVE.values(), ids=DERIVE.keys()
)
def test_derive_status(
    records: list[RecordFacts], at: datetime.datetime, status: Status, winner_id: int | None
) -> None:
    derived = derive_status(records, at)

    assert derived.status == status
    assert (derived.record.id if derived.record else None) == winner_id
    assert derived.valid_until == (derived.record.valid_until if derived.record else None)


def test_derive_status_accepts_any_iterable() -> None:
    derived = derive_status((r for r in [rec(GREEN, 0, 7, id=1)]), T)

    assert derived == Derived(status=GREEN, record=rec(GREEN, 0, 7, id=1), valid_until=T + 7 * DAY)


def test_derive_status_compares_instants_not_wall_clocks() -> None:
    # 12:00 in Almaty (UTC+6 in 2021) is 06:00 UTC: the record has expired.
    record = rec(GREEN, -7, 0, id=1)

    assert derive_status([record], T.astimezone(datetime.UTC)).status == BLUE
    assert derive_status([record], (T - US).astimezone(datetime.UTC)).status == GREEN


# -- records_for_result: the windows one event creates ----------------------------

RESULTS = [
    pytest.param(Source.PCR_NEGATIVE, [Window(GREEN, T, T + 7 * DAY)], id="negative PCR: green 7d"),
    pytest.param(Source.VACCINATION, [Window(GREEN, T, T + 365 * DAY)], id="vaccination: 365d"),
    pytest.param(Source.RECOVERY, [Window(GREEN, T, T + 90 * DAY)], id="recovery: green 90d"),
    pytest.param(Source.CONTACT, [Window(YELLOW, T, T + 14 * DAY)], id="contact: yellow 14d"),
    pytest.param(
        Source.PCR_POSITIVE,
        [Window(RED, T, T + 10 * DAY), Window(GREEN, T + 10 * DAY, T + 100 * DAY)],
        id="positive PCR: red 10d, then green 90d",
    ),
]


@pytest.mark.parametrize(("source", "windows"), RESULTS)
def test_records_for_result(source: Source, windows: list[Window]) -> None:
    assert records_for_result(source, T, Durations()) == windows


def test_records_for_result_reads_durations() -> None:
    # Spring 2021: a negative PCR counted for 72 hours.
    spring_2021 = Durations(pcr_negative=datetime.timedelta(hours=72))

    assert records_for_result(Source.PCR_NEGATIVE, T, spring_2021) == [(GREEN, T, T + 72 * HOUR)]


def test_records_for_result_positive_pcr_uses_both_durations() -> None:
    durations = Durations(pcr_positive=14 * DAY, recovery_after_positive=180 * DAY)

    assert records_for_result(Source.PCR_POSITIVE, T, durations) == [
        (RED, T, T + 14 * DAY),
        (GREEN, T + 14 * DAY, T + 194 * DAY),
    ]


def test_records_for_result_has_no_default_for_manual() -> None:
    with pytest.raises(ValueError, match="no default window"):
        records_for_result(Source.MANUAL, T, Durations())


@pytest.mark.parametrize(
    ("at", "status"),
    [
        pytest.param(T - US, BLUE, id="before the sample: blue"),
        pytest.param(T, RED, id="at the sample: red"),
        pytest.param(T + 10 * DAY - US, RED, id="last moment of day 10: red"),
        pytest.param(T + 10 * DAY, GREEN, id="day 10: green (recovery), no gap"),
        pytest.param(T + 100 * DAY - US, GREEN, id="last moment of recovery: green"),
        pytest.param(T + 100 * DAY, BLUE, id="recovery over: blue"),
    ],
)
def test_a_positive_pcr_over_time(at: datetime.datetime, status: Status) -> None:
    records = [
        RecordFacts(
            status=window.status, valid_from=window.valid_from, valid_until=window.valid_until
        )
        for window in records_for_result(Source.PCR_POSITIVE, T, Durations())
    ]

    assert derive_status(records, at).status == status


@pytest.mark.parametrize(
    ("field", "days"),
    [
        ("pcr_negative", 7),
        ("vaccination", 365),
        ("recovery", 90),
        ("contact", 14),
        ("pcr_positive", 10),
        ("recovery_after_positive", 90),
    ],
)
def test_default_durations(field: str, days: int) -> None:
    assert getattr(Durations(), field) == datetime.timedelta(days=days)


# -- green_expiring: the 24-hour warning ------------------------------------------

WITHIN = 24 * HOUR

EXPIRING = [
    pytest.param([rec(GREEN, -6, 1)], T, True, id="green ending in exactly 24 h: warn"),
    pytest.param([rec(GREEN, -6, 1)], T - US, False, id="green ending in 24 h + 1 us: not yet"),
    pytest.param([rec(GREEN, -6, 1)], T + 23 * HOUR, True, id="green ending in 1 h: warn"),
    pytest.param([rec(GREEN, 0, 7)], T, False, id="green ending in 7 days: no"),
    pytest.param([rec(GREEN, 0, None)], T, False, id="open-ended green: never"),
    pytest.param([rec(YELLOW, -13, 1)], T, False, id="yellow ending in 24 h: not green"),
    pytest.param([rec(RED, -9, 1)], T, False, id="red ending in 24 h: not green"),
    pytest.param([], T, False, id="blue: nothing to expire"),
    pytest.param(
        [rec(GREEN, -6, 1), rec(GREEN, -1, 364)],
        T,
        False,
        id="a longer green covers it: no",
    ),
]


@pytest.mark.parametrize(("records", "at", "expected"), EXPIRING)
def test_green_expiring(records: list[RecordFacts], at: datetime.datetime, expected: bool) -> None:
    assert green_expiring(derive_status(records, at), at, WITHIN) is expected


# -- naive datetimes are refused -------------------------------------------------

NAIVE = datetime.datetime(2021, 9, 1, 12, 0)  # naive on purpose


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda: derive_status([], NAIVE), id="derive_status at"),
        pytest.param(lambda: is_active(rec(GREEN, 0, 7), NAIVE), id="is_active at"),
        pytest.param(lambda: RecordFacts(GREEN, NAIVE, None), id="record valid_from"),
        pytest.param(lambda: RecordFacts(GREEN, T, NAIVE), id="record valid_until"),
        pytest.param(lambda: RecordFacts(GREEN, T, None, lifted_at=NAIVE), id="record lifted_at"),
        pytest.param(
            lambda: records_for_result(Source.CONTACT, NAIVE, Durations()),
            id="records_for_result sample time",
        ),
        pytest.param(
            lambda: green_expiring(derive_status([], T), NAIVE, WITHIN), id="green_expiring at"
        ),
    ],
)
def test_naive_datetimes_are_refused(call) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        call()


# -- precedence ------------------------------------------------------------------


def test_precedence_red_yellow_green_blue() -> None:
    assert sorted(Status, key=lambda status: status.rank, reverse=True) == [
        RED,
        YELLOW,
        GREEN,
        BLUE,
    ]
