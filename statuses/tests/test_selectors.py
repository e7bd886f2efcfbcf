import datetime

import factory
import pytest
import time_machine

from accounts.tests.constants import DAY, IIN, OTHER_IIN
from statuses.models import StatusRecord
from statuses.rules import Source, Status
from statuses.selectors import current_status, history, status_at, statuses_at

pytestmark = pytest.mark.django_db

THIRD_IIN = "880315300511"
T = datetime.datetime(2021, 9, 10, 12, 0, tzinfo=datetime.UTC)
TICK = datetime.timedelta(microseconds=1)


class StatusRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StatusRecord

    iin = IIN
    status = Status.GREEN.value
    source = Source.PCR_NEGATIVE.value
    valid_from = T - DAY
    valid_until = factory.LazyAttribute(lambda record: record.valid_from + 7 * DAY)


def green(**kwargs) -> StatusRecord:
    return StatusRecordFactory(**{"source": Source.PCR_NEGATIVE, **kwargs}, status="green")


def yellow(**kwargs) -> StatusRecord:
    return StatusRecordFactory(**{"source": Source.CONTACT, **kwargs}, status="yellow")


def red(**kwargs) -> StatusRecord:
    return StatusRecordFactory(**{"source": Source.PCR_POSITIVE, **kwargs}, status="red")


def test_status_at_without_records_is_blue():
    derived = status_at(IIN, T)

    assert derived.status == Status.BLUE
    assert derived.record is None
    assert derived.valid_until is None


@pytest.mark.parametrize("iin", [None, ""])
def test_status_at_without_iin_is_blue_without_a_query(iin, django_assert_num_queries):
    with django_assert_num_queries(0):
        derived = status_at(iin, T)

    assert derived.status == Status.BLUE


def test_status_at_names_the_deciding_record():
    record = green(valid_from=T - DAY, valid_until=T + 6 * DAY)

    derived = status_at(IIN, T)

    assert derived.status == Status.GREEN
    assert derived.record.id == record.pk
    assert derived.record.source == Source.PCR_NEGATIVE
    assert derived.valid_until == T + 6 * DAY


@pytest.mark.parametrize(
    ("makers", "expected"),
    [
        ([green, yellow], Status.YELLOW),
        ([yellow, green], Status.YELLOW),
        ([green, red], Status.RED),
        ([red, yellow, green], Status.RED),
        ([green, yellow, red], Status.RED),
    ],
)
def test_status_at_the_strongest_active_record_wins(makers, expected):
    for make in makers:
        make()

    assert status_at(IIN, T).status == expected


def test_status_at_prefers_the_longest_of_two_greens():
    green(valid_from=T - DAY, valid_until=T + DAY)
    vaccination = StatusRecordFactory(
        source=Source.VACCINATION, valid_from=T - 10 * DAY, valid_until=T + 300 * DAY
    )

    derived = status_at(IIN, T)

    assert derived.record.id == vaccination.pk
    assert derived.valid_until == T + 300 * DAY


def test_status_at_a_stronger_record_that_ended_no_longer_counts():
    red(valid_from=T - 12 * DAY, valid_until=T - 2 * DAY)
    green(valid_from=T - 2 * DAY, valid_until=T + 88 * DAY)

    assert status_at(IIN, T).status == Status.GREEN


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (T - TICK, Status.BLUE),
        (T, Status.RED),
        (T + 10 * DAY - TICK, Status.RED),
        (T + 10 * DAY, Status.BLUE),
    ],
    ids=["before-start", "at-start", "last-moment", "at-valid-until"],
)
def test_status_at_window_is_half_open(when, expected):
    red(valid_from=T, valid_until=T + 10 * DAY)

    assert status_at(IIN, when).status == expected


def test_status_at_open_ended_record_never_expires():
    red(source=Source.MANUAL, valid_from=T, valid_until=None)

    derived = status_at(IIN, T + 3650 * DAY)

    assert derived.status == Status.RED
    assert derived.valid_until is None


@pytest.mark.parametrize(
    ("when", "expected"),
    [(T + DAY - TICK, Status.RED), (T + DAY, Status.GREEN), (T + 2 * DAY, Status.GREEN)],
    ids=["before-lift", "at-lift", "after-lift"],
)
def test_status_at_a_lifted_record_stops_counting_at_the_lift(when, expected):
    red(valid_from=T - DAY, valid_until=T + 9 * DAY, lifted_at=T + DAY)
    green(valid_from=T - DAY, valid_until=T + 6 * DAY)

    assert status_at(IIN, when).status == expected


def test_status_at_ignores_records_of_another_iin():
    red(iin=OTHER_IIN)

    assert status_at(IIN, T).status == Status.BLUE
    assert status_at(OTHER_IIN, T).status == Status.RED


def test_current_status_is_the_status_now():
    red(valid_from=T, valid_until=T + 10 * DAY)

    with time_machine.travel(T + DAY, tick=False):
        assert current_status(IIN).status == Status.RED
    with time_machine.travel(T + 10 * DAY, tick=False):
        assert current_status(IIN).status == Status.BLUE


def test_current_status_takes_now():
    red(valid_from=T, valid_until=T + 10 * DAY)

    assert current_status(IIN, now=T + DAY).status == Status.RED
    assert current_status(IIN, now=T - DAY).status == Status.BLUE


def test_statuses_at_answers_for_many_iins_in_one_query(django_assert_num_queries):
    red(iin=IIN)
    green(iin=IIN)
    green(iin=OTHER_IIN)
    yellow(iin="880315300014", valid_from=T - 20 * DAY, valid_until=T - 6 * DAY)

    with django_assert_num_queries(1):
        statuses = statuses_at([IIN, OTHER_IIN, THIRD_IIN, "880315300014", IIN], T)

    assert {iin: derived.status for iin, derived in statuses.items()} == {
        IIN: Status.RED,
        OTHER_IIN: Status.GREEN,
        THIRD_IIN: Status.BLUE,
        "880315300014": Status.BLUE,
    }


def test_statuses_at_agrees_with_status_at():
    red(iin=IIN, valid_from=T - DAY, valid_until=T + DAY, lifted_at=T - TICK)
    green(iin=IIN)
    yellow(iin=OTHER_IIN, valid_from=T)

    statuses = statuses_at([IIN, OTHER_IIN, THIRD_IIN], T)

    for iin in (IIN, OTHER_IIN, THIRD_IIN):
        assert statuses[iin] == status_at(iin, T)


def test_statuses_at_of_nobody_is_empty_without_a_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert statuses_at([], T) == {}


def test_history_lists_the_newest_first():
    oldest = green(valid_from=T - 30 * DAY)
    lifted = red(valid_from=T - 10 * DAY, lifted_at=T - 9 * DAY)
    yellow_now = yellow(valid_from=T)
    green_now = green(valid_from=T)
    red(iin=OTHER_IIN, valid_from=T + DAY)

    records = list(history(IIN))

    assert [record.pk for record in records] == [green_now.pk, yellow_now.pk, lifted.pk, oldest.pk]


def test_history_of_nobody_is_empty():
    assert list(history(IIN)) == []
