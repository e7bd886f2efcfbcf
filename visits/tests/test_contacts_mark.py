"""Marking traced contacts (docs/rules.md §5): yellow records from the last contact, one SMS,
nothing twice, one audit entry."""

import pytest
from django.utils import translation

from accounts.models import AuditEntry, User
from accounts.tests.constants import DAY, NOW
from statuses.models import StatusRecord
from visits.contacts import ContactToMark, contacts_mark
from visits.tests.conftest import new_iin
from visits.tests.test_tracing import (
    _frozen,  # noqa: F401 - the clock at noon in Almaty and English, as for tracing
    at,
)


@pytest.fixture
def epidemiologist(db) -> User:
    return User.objects.create_user("+77017654321", full_name="Dr Serik", language="ru")


def test_contacts_mark_creates_yellow_records_for_14_days_from_the_last_contact(
    epidemiologist, django_capture_on_commit_callbacks, sms_outbox
):
    case = new_iin()
    kazakh = User.objects.create_user("+77011110001", iin=new_iin(), language="kk")
    russian = User.objects.create_user("+77011110002", iin=new_iin(), language="ru")
    no_account = new_iin()

    with django_capture_on_commit_callbacks(execute=True):
        created = contacts_mark(
            case_iin=case,
            contacts=[
                ContactToMark(kazakh.iin, at(10, 40), "Magnum"),
                (russian.iin, at(11, 30)),
                (no_account, at(9, 15, day=19)),
            ],
            by=epidemiologist,
            now=NOW,
        )

    assert created == 3
    records = StatusRecord.objects.order_by("id")
    with translation.override("en"):
        rows = [
            (r.iin, r.status, r.source, r.valid_from, r.valid_until, r.created_by, r.reason)
            for r in records
        ]
    assert [(r.note_code, r.note) for r in records] == [("contact", "")] * 3
    assert rows == [
        (
            kazakh.iin,
            "yellow",
            "contact",
            at(10, 40),
            at(10, 40, day=20) + 14 * DAY,
            epidemiologist,
            f"contact of case ********{case[-4:]} at Magnum",
        ),
        (
            russian.iin,
            "yellow",
            "contact",
            at(11, 30),
            at(11, 30) + 14 * DAY,
            epidemiologist,
            f"contact of case ********{case[-4:]}",
        ),
        (
            no_account,
            "yellow",
            "contact",
            at(9, 15, day=19),
            at(9, 15, day=19) + 14 * DAY,
            epidemiologist,
            f"contact of case ********{case[-4:]}",
        ),
    ]
    assert sorted((sms.to, sms.text) for sms in sms_outbox) == [
        ("+77011110001", "Ashyq: сіздің мәртебеңіз енді сары (мерзімі: 04.10.2021 10:40)."),
        ("+77011110002", "Ashyq: ваш статус теперь жёлтый, до 04.10.2021 11:30."),
    ]


def test_contacts_mark_twice_creates_nothing_and_sends_nothing_new(
    epidemiologist, django_capture_on_commit_callbacks, sms_outbox
):
    case = new_iin()
    person = User.objects.create_user("+77011110001", iin=new_iin(), language="kk")
    contacts = [(person.iin, at(10, 40)), (new_iin(), at(11))]
    with django_capture_on_commit_callbacks(execute=True):
        first = contacts_mark(case_iin=case, contacts=contacts, by=epidemiologist, now=NOW)

    with django_capture_on_commit_callbacks(execute=True):
        second = contacts_mark(case_iin=case, contacts=contacts, by=epidemiologist, now=NOW)

    assert (first, second) == (2, 0)
    assert StatusRecord.objects.count() == 2
    assert len(sms_outbox) == 1


def test_a_contact_marked_by_someone_else_meanwhile_is_skipped(
    epidemiologist, monkeypatch, django_capture_on_commit_callbacks, sms_outbox
):
    """The other epidemiologist's record lands between our read and our insert."""
    from statuses import services
    from visits import contacts

    case = new_iin()
    person = User.objects.create_user("+77011110001", iin=new_iin(), language="kk")
    other = new_iin()
    real_record_add = services.record_add

    def racing_record_add(**fields):
        if fields["iin"] == person.iin:
            StatusRecord.objects.create(
                iin=person.iin,
                status="yellow",
                source="contact",
                valid_from=fields["valid_from"],
                valid_until=fields["valid_until"],
                note="marked by a colleague",
            )
        return real_record_add(**fields)

    monkeypatch.setattr(contacts, "record_add", racing_record_add)
    with django_capture_on_commit_callbacks(execute=True):
        created = contacts_mark(
            case_iin=case,
            contacts=[(person.iin, at(10, 40)), (other, at(11))],
            by=epidemiologist,
            now=NOW,
        )

    assert created == 1
    with translation.override("en"):
        reasons = sorted((r.iin, r.reason) for r in StatusRecord.objects.all())
    assert reasons == sorted(
        [(person.iin, "marked by a colleague"), (other, f"contact of case ********{case[-4:]}")]
    )
    assert sms_outbox == []


@pytest.mark.django_db(transaction=True)
def test_two_epidemiologists_marking_the_same_contacts_at_once_make_one_record_each():
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from django.db import connections

    from visits.tests.test_capacity import needs_postgresql

    needs_postgresql()
    doctors = [User.objects.create_user(f"+7701765432{n}") for n in range(2)]
    case = new_iin()
    contacts = [(new_iin(), at(10, minute)) for minute in range(20)]
    start = Barrier(len(doctors))

    def mark(doctor: User) -> int:
        try:
            start.wait(timeout=30)
            return contacts_mark(case_iin=case, contacts=contacts, by=doctor, now=NOW)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(doctors)) as pool:
        created = list(pool.map(mark, doctors))

    assert sum(created) == len(contacts)
    assert StatusRecord.objects.count() == len(contacts)


def test_contacts_mark_again_after_a_lift_creates_a_new_record(epidemiologist):
    from statuses.services import record_lift

    case, person = new_iin(), new_iin()
    contacts_mark(case_iin=case, contacts=[(person, at(10))], by=epidemiologist, now=NOW)
    record_lift(record=StatusRecord.objects.get(), by=epidemiologist, reason="not a contact")

    created = contacts_mark(case_iin=case, contacts=[(person, at(10))], by=epidemiologist, now=NOW)

    assert created == 1
    assert StatusRecord.objects.filter(lifted_at__isnull=True).count() == 1


def test_contacts_mark_never_marks_the_case(epidemiologist):
    case = new_iin()

    created = contacts_mark(case_iin=case, contacts=[(case, at(10))], by=epidemiologist, now=NOW)

    assert created == 0
    assert StatusRecord.objects.count() == 0


def test_contacts_mark_writes_one_audit_entry(epidemiologist):
    case = new_iin()
    people = [new_iin(), new_iin()]

    contacts_mark(
        case_iin=case,
        contacts=[(iin, at(10)) for iin in people],
        by=epidemiologist,
        now=NOW,
    )

    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.iin, entry.detail) == (
        epidemiologist,
        "contacts_marked",
        case,
        {"contacts": 2, "created": 2, "iins": people},
    )
