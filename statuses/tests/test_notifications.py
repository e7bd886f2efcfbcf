import datetime

import pytest
import time_machine

from accounts.identifiers import IdentifierError
from accounts.models import User
from accounts.tests.constants import DAY, HOUR, IIN, OTHER_IIN
from statuses.models import LabResult, Notification, StatusRecord
from statuses.rules import Source, Status
from statuses.services import (
    StatusError,
    record_add,
    record_lift,
    records_for_lab_result,
    warn_expiring,
)
from statuses.tasks import warn_expiring_greens

pytestmark = pytest.mark.django_db

PHONE = "+77011234567"
# 12:00 in Almaty (UTC+6 in 2021), so the dates in the SMS are local ones.
T = datetime.datetime(2021, 9, 10, 6, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _almaty(settings) -> None:
    settings.TIME_ZONE = "Asia/Almaty"


@pytest.fixture
def person() -> User:
    return User.objects.create_user(PHONE, iin=IIN, full_name="Aigerim", language="kk")


@pytest.fixture
def epidemiologist() -> User:
    return User.objects.create_user("+77017654321", full_name="Dr Serik", language="ru")


@pytest.fixture
def acting(django_capture_on_commit_callbacks):
    """Runs the act and the SMS its transaction queued, as a commit would."""

    def act(function, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(*args, **kwargs)

    return act


def existing(status: str, source: str, valid_from, valid_until, iin: str = IIN) -> StatusRecord:
    """A record already in the history, written without any notification."""
    return StatusRecord.objects.create(
        iin=iin, status=status, source=source, valid_from=valid_from, valid_until=valid_until
    )


def add(status: str, source: str, valid_from, valid_until, iin: str = IIN) -> StatusRecord:
    return record_add(
        iin=iin,
        status=status,
        source=source,
        valid_from=valid_from,
        valid_until=valid_until,
        created_by=None,
        now=T,
    )


def test_record_add_that_turns_green_sends_one_sms_in_kazakh(person, acting, sms_outbox):
    record = acting(add, "green", "pcr_negative", T - 2 * HOUR, T - 2 * HOUR + 7 * DAY)

    assert [(sms.to, sms.text) for sms in sms_outbox] == [
        (PHONE, "Ashyq: сіздің мәртебеңіз енді жасыл (мерзімі: 17.09.2021 10:00).")
    ]
    assert list(Notification.objects.values_list("iin", "kind", "event")) == [
        (IIN, "changed", f"record:{record.pk}")
    ]


def test_record_add_that_turns_red_sends_one_sms_in_russian(person, acting, sms_outbox):
    person.language = "ru"
    person.save(update_fields=["language"])
    existing("green", "vaccination", T - 30 * DAY, T + 300 * DAY)

    acting(add, "red", "pcr_positive", T - DAY, T + 9 * DAY)

    assert [(sms.to, sms.text) for sms in sms_outbox] == [
        (PHONE, "Ashyq: ваш статус теперь красный, до 19.09.2021 12:00.")
    ]


def test_record_add_that_turns_red_says_so_in_kazakh(person, acting, sms_outbox):
    acting(add, "red", "pcr_positive", T - DAY, T + 9 * DAY)

    assert [sms.text for sms in sms_outbox] == [
        "Ashyq: сіздің мәртебеңіз енді қызыл (мерзімі: 19.09.2021 12:00)."
    ]


def test_record_add_in_english_for_an_english_speaker(person, acting, sms_outbox):
    person.language = "en"
    person.save(update_fields=["language"])

    acting(add, "yellow", "contact", T - DAY, T + 13 * DAY)

    assert [sms.text for sms in sms_outbox] == [
        "Ashyq: your status is now yellow, until 23.09.2021 12:00."
    ]


def test_record_add_that_keeps_the_colour_sends_nothing(person, acting, sms_outbox):
    existing("green", "vaccination", T - 30 * DAY, T + 300 * DAY)

    acting(add, "green", "pcr_negative", T - HOUR, T - HOUR + 7 * DAY)

    assert sms_outbox == []
    assert Notification.objects.count() == 0
    assert StatusRecord.objects.filter(iin=IIN).count() == 2


def test_record_add_starting_later_sends_nothing_now(person, acting, sms_outbox):
    acting(add, "green", "recovery", T + DAY, T + 91 * DAY)

    assert sms_outbox == []
    assert Notification.objects.count() == 0


def test_record_add_of_a_record_that_already_ended_sends_nothing(person, acting, sms_outbox):
    acting(add, "red", "pcr_positive", T - 30 * DAY, T - 20 * DAY)

    assert sms_outbox == []
    assert Notification.objects.count() == 0


@pytest.mark.parametrize(
    ("status", "valid_from", "valid_until"),
    [("green", T, T), ("green", T, T - DAY), ("blue", T, T + DAY)],
    ids=["empty-window", "inverted-window", "blue"],
)
def test_record_add_refuses_a_record_that_cannot_exist(person, status, valid_from, valid_until):
    with pytest.raises(StatusError):
        record_add(
            iin=IIN,
            status=status,
            source="manual",
            valid_from=valid_from,
            valid_until=valid_until,
            created_by=None,
            now=T,
        )

    assert StatusRecord.objects.count() == 0


def test_record_add_for_a_person_without_account_sends_nothing(person, acting, sms_outbox):
    record = acting(add, "red", "pcr_positive", T - DAY, T + 9 * DAY, iin=OTHER_IIN)

    assert record.pk is not None
    assert sms_outbox == []
    assert Notification.objects.count() == 0


def test_record_add_for_an_inactive_account_sends_nothing(person, acting, sms_outbox):
    person.is_active = False
    person.save(update_fields=["is_active"])

    acting(add, "red", "pcr_positive", T - DAY, T + 9 * DAY)

    assert sms_outbox == []
    assert Notification.objects.count() == 0


def test_record_add_refuses_a_malformed_iin(person):
    with pytest.raises(IdentifierError) as error:
        add("red", "pcr_positive", T - DAY, T + 9 * DAY, iin="061211600013")

    assert error.value.code == "check_digit"
    assert StatusRecord.objects.count() == 0


def test_record_add_stores_who_and_why(person, epidemiologist):
    record = record_add(
        iin=f" {IIN} ",
        status=Status.YELLOW,
        source=Source.MANUAL,
        valid_from=T,
        valid_until=None,
        created_by=epidemiologist,
        note="household contact",
        now=T,
    )

    record.refresh_from_db()
    assert (record.iin, record.status, record.source) == (IIN, "yellow", "manual")
    assert (record.valid_from, record.valid_until) == (T, None)
    assert (record.created_by, record.note) == (epidemiologist, "household contact")


def test_record_lift_tells_the_new_colour(person, epidemiologist, acting, sms_outbox):
    existing("green", "vaccination", T - 30 * DAY, T + 300 * DAY)
    red = existing("red", "pcr_positive", T - DAY, T + 9 * DAY)

    lifted = acting(record_lift, record=red, by=epidemiologist, reason="  false positive  ", now=T)

    assert [(sms.to, sms.text) for sms in sms_outbox] == [
        (PHONE, "Ashyq: сіздің мәртебеңіз енді жасыл (мерзімі: 07.07.2022 12:00).")
    ]
    assert list(Notification.objects.values_list("kind", "event")) == [
        ("changed", f"lift:{red.pk}")
    ]
    red.refresh_from_db()
    assert (red.lifted_at, red.lifted_by, red.lift_reason) == (T, epidemiologist, "false positive")
    assert lifted.pk == red.pk


def test_record_lift_to_blue_has_no_until_date(person, epidemiologist, acting, sms_outbox):
    person.language = "ru"
    person.save(update_fields=["language"])
    yellow = existing("yellow", "contact", T - DAY, T + 13 * DAY)

    acting(record_lift, record=yellow, by=epidemiologist, reason="not a contact", now=T)

    assert [sms.text for sms in sms_outbox] == ["Ashyq: ваш статус теперь синий."]


@pytest.mark.parametrize("reason", ["", "   \n"])
def test_record_lift_needs_a_reason(person, epidemiologist, sms_outbox, reason):
    red = existing("red", "pcr_positive", T - DAY, T + 9 * DAY)

    with pytest.raises(StatusError) as error:
        record_lift(record=red, by=epidemiologist, reason=reason, now=T)

    assert error.value.code == "reason_required"
    red.refresh_from_db()
    assert (red.lifted_at, red.lifted_by, red.lift_reason) == (None, None, "")


def test_record_lift_twice_is_refused(person, epidemiologist, acting, sms_outbox):
    red = existing("red", "pcr_positive", T - DAY, T + 9 * DAY)
    acting(record_lift, record=red, by=epidemiologist, reason="false positive", now=T)
    other = User.objects.create_user("+77012223344")

    with pytest.raises(StatusError) as error:
        acting(record_lift, record=red, by=other, reason="again", now=T + HOUR)

    assert error.value.code == "already_lifted"
    red.refresh_from_db()
    assert (red.lifted_at, red.lifted_by, red.lift_reason) == (T, epidemiologist, "false positive")
    assert len(sms_outbox) == 1


def test_record_lift_of_a_person_without_account_sends_nothing(epidemiologist, acting, sms_outbox):
    red = existing("red", "pcr_positive", T - DAY, T + 9 * DAY, iin=OTHER_IIN)

    acting(record_lift, record=red, by=epidemiologist, reason="false positive", now=T)

    assert sms_outbox == []
    assert Notification.objects.count() == 0


def ending(hours: int, status: str = "green", source: str = "pcr_negative", days: int = 7) -> tuple:
    """A record `days` long that ends `hours` after T, as `existing()` takes it."""
    return (status, source, T + hours * HOUR - days * DAY, T + hours * HOUR)


# A green ending within the day at T: inside the default window of a warning.
LAST_DAY_GREEN = ending(23)


def test_warn_expiring_warns_once_about_a_green_ending_within_a_day(person, acting, sms_outbox):
    record = existing(*LAST_DAY_GREEN)

    sent = acting(warn_expiring, now=T)

    assert sent == 1
    assert [(sms.to, sms.text) for sms in sms_outbox] == [
        (
            PHONE,
            "Ashyq: жасыл мәртебеңіздің мерзімі аяқталады: 11.09.2021 11:00. "
            "Жаңа теріс тест немесе вакцинация туралы жазба оны ұзартады.",
        )
    ]
    assert list(Notification.objects.values_list("kind", "event")) == [
        ("expiring", f"record:{record.pk}")
    ]


def test_warn_expiring_run_again_sends_no_second_sms(person, acting, sms_outbox):
    existing(*LAST_DAY_GREEN)
    acting(warn_expiring, now=T)

    sent = acting(warn_expiring, now=T + HOUR)

    assert sent == 0
    assert len(sms_outbox) == 1
    assert Notification.objects.count() == 1


# A warning goes to a green that ends within the window (STATUS_EXPIRY_WARNING_HOURS)
# and is what the person shows until it ends.
@pytest.mark.parametrize(
    ("records", "window_hours", "warned"),
    [
        pytest.param([ending(24)], 24, 1, id="the edge of the window is in it"),
        pytest.param([ending(25)], 24, 0, id="a green ending later is left alone"),
        pytest.param([ending(25)], 48, 1, id="the window follows the setting"),
        pytest.param([ending(23, "red", "pcr_positive", days=10)], 24, 0, id="red is left alone"),
        pytest.param(
            [ending(9 * 24, "red", "pcr_positive", days=10), LAST_DAY_GREEN],
            24,
            0,
            id="a green hidden by red is left alone",
        ),
        pytest.param(
            [ending(300 * 24, "green", "vaccination", days=330), LAST_DAY_GREEN],
            24,
            0,
            id="a green that another green outlasts is left alone",
        ),
    ],
)
def test_warn_expiring_warns_about_a_green_ending_within_the_window(
    records, window_hours, warned, person, acting, sms_outbox, settings
):
    settings.STATUS_EXPIRY_WARNING_HOURS = window_hours
    for record in records:
        existing(*record)

    assert acting(warn_expiring, now=T) == warned
    assert len(sms_outbox) == warned


def test_warn_expiring_leaves_a_lifted_green_alone(person, acting, sms_outbox):
    green = existing(*LAST_DAY_GREEN)
    StatusRecord.objects.filter(pk=green.pk).update(lifted_at=T - HOUR)

    assert acting(warn_expiring, now=T) == 0


def test_warn_expiring_skips_people_without_account(person, acting, sms_outbox):
    existing(*LAST_DAY_GREEN, iin=OTHER_IIN)

    assert acting(warn_expiring, now=T) == 0
    assert Notification.objects.count() == 0


def test_warn_expiring_greens_task_returns_the_count(person, acting, sms_outbox):
    existing(*LAST_DAY_GREEN)
    other = User.objects.create_user("+77012223344", iin=OTHER_IIN, language="ru")
    existing("green", "pcr_negative", T + 2 * HOUR - 7 * DAY, T + 2 * HOUR, iin=OTHER_IIN)

    with time_machine.travel(T, tick=False):
        first = acting(lambda: warn_expiring_greens.delay().get())
        second = acting(lambda: warn_expiring_greens.delay().get())

    assert (first, second) == (2, 0)
    assert sorted(sms.to for sms in sms_outbox) == sorted([PHONE, str(other.phone)])


def test_warn_expiring_greens_runs_on_the_beat_schedule(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE["warn-expiring-greens"]

    assert schedule["task"] == warn_expiring_greens.name == "statuses.tasks.warn_expiring_greens"
    # Runs many times within the warning window, so nobody slips through it.
    assert schedule["schedule"] < settings.STATUS_EXPIRY_WARNING_HOURS * 3600 / 4


def lab_result(source: str, sample_id: str = "S-1") -> LabResult:
    return LabResult.objects.create(
        lab="Central lab", sample_id=sample_id, iin=IIN, taken_at=T, source=source
    )


def windows(records: list[StatusRecord]) -> list[tuple]:
    return [(r.status, r.source, r.valid_from, r.valid_until) for r in records]


def test_records_for_a_positive_pcr_are_red_then_green_recovery(epidemiologist):
    result = lab_result("pcr_positive")

    records = records_for_lab_result(result, created_by=epidemiologist, note="import 7")

    assert windows(records) == [
        ("red", "pcr_positive", T, T + 10 * DAY),
        ("green", "recovery", T + 10 * DAY, T + 100 * DAY),
    ]
    assert all(record.pk is None for record in records)
    assert {(r.iin, r.lab_result, r.created_by, r.note) for r in records} == {
        (IIN, result, epidemiologist, "import 7")
    }


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("pcr_negative", [("green", "pcr_negative", T, T + 7 * DAY)]),
        ("vaccination", [("green", "vaccination", T, T + 365 * DAY)]),
        ("recovery", [("green", "recovery", T, T + 90 * DAY)]),
        ("contact", [("yellow", "contact", T, T + 14 * DAY)]),
    ],
)
def test_records_for_a_lab_result_use_the_default_durations(source, expected):
    records = records_for_lab_result(lab_result(source), created_by=None)

    assert windows(records) == expected


def test_records_for_a_negative_pcr_follow_the_setting(settings):
    settings.STATUS_PCR_NEGATIVE_DAYS = 3

    records = records_for_lab_result(lab_result("pcr_negative"), created_by=None)

    assert windows(records) == [("green", "pcr_negative", T, T + 3 * DAY)]


def test_records_for_a_positive_pcr_follow_the_settings(settings):
    settings.STATUS_PCR_POSITIVE_DAYS = 14
    settings.STATUS_RECOVERY_DAYS = 180

    records = records_for_lab_result(lab_result("pcr_positive"), created_by=None)

    assert windows(records) == [
        ("red", "pcr_positive", T, T + 14 * DAY),
        ("green", "recovery", T + 14 * DAY, T + 194 * DAY),
    ]
