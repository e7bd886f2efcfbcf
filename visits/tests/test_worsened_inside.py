"""People inside a venue whose status turns yellow or red are flagged to its staff
and told by SMS, whichever way the status record arrived."""

import datetime
import itertools

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from accounts.identifiers import person_at_door
from accounts.models import User
from accounts.tests.clients import text_of
from statuses.imports import lab_import_check, lab_import_commit
from statuses.models import LabImport, StatusRecord
from statuses.services import notify_transitions, record_add, record_lift
from venues.models import Region
from visits.contacts import ContactToMark, contacts_mark
from visits.inside import visits_flag_worsened
from visits.models import InsideAlert, Visit
from visits.services import isolation_point_set
from visits.tests.budgets import session_queries
from visits.tests.conftest import citizen, make_venue, make_visit, new_iin, staff_member

pytestmark = pytest.mark.django_db

LEAVE_SMS_EN = (
    "Ashyq: your status is now red, and you are still checked in at a venue where this "
    "status may not stay. Please leave now. If you have already left, record your exit in Ashyq."
)


_phones = itertools.count(1)


def epidemiologist() -> User:
    # Numbers of their own: the factories elsewhere count from the same start.
    user = User.objects.create_user(f"+7709{next(_phones):07d}", is_staff=True)
    user.groups.add(Group.objects.get(name="epidemiologist"))
    return user


def leave_sms(outbox) -> list:
    """Our SMS among those sent: the status-change SMS of statuses goes out too."""
    markers = ("Please leave now.", "Қазір шығыңыз.", "выйдите сейчас")
    return [sms for sms in outbox if any(marker in sms.text for marker in markers)]


def since(visit: Visit) -> str:
    return timezone.localtime(visit.checked_in_at).strftime("%H:%M")


def lab_csv(iin: str, result: str, sample: str = "S-1") -> bytes:
    taken = timezone.localtime(timezone.now() - datetime.timedelta(hours=3))
    return (
        "iin,sample_id,taken_at,result,lab\n"
        f"{iin},{sample},{taken:%Y-%m-%d %H:%M},{result},KDL Olymp\n"
    ).encode()


def at_door(full_name: str, iin: str) -> str:
    """What the staff page shows of a flagged person: name and year, never the IIN."""
    person = person_at_door(full_name, iin)
    if person.name:
        return f"{person.name}, {person.birth_year}"
    return f"Born in {person.birth_year}"


def imported(data: bytes) -> LabImport:
    uploader = User.objects.filter(groups__name="epidemiologist").first() or epidemiologist()
    lab_import = LabImport.objects.create(
        file_name="results.csv", content=data, created_by=uploader
    )
    lab_import_check(lab_import)
    lab_import_commit(lab_import, by=None)
    lab_import.refresh_from_db()
    assert lab_import.state == LabImport.State.DONE
    return lab_import


def test_a_positive_pcr_import_flags_the_person_to_staff_and_sends_one_kazakh_sms(
    client, sms_outbox, django_capture_on_commit_callbacks
):
    cafe = make_venue(name="Арман", name_kk="Арман", category="mall")
    person = citizen(language="kk")
    inside = make_visit(cafe, iin=person.iin, user=person, status="blue")
    client.force_login(staff_member(cafe))

    with django_capture_on_commit_callbacks(execute=True):
        imported(lab_csv(person.iin, "positive"))
    with django_capture_on_commit_callbacks(execute=True):
        # The same file again, and the same record announced once more.
        imported(lab_csv(person.iin, "positive"))
        visits_flag_worsened(iins=[person.iin], now=timezone.now())

    alert = InsideAlert.objects.get()
    assert (alert.visit, alert.status, alert.denial_code) == (inside, "red", "red")
    assert alert.record == StatusRecord.objects.get(iin=person.iin, status="red")
    assert [(sms.to, sms.text) for sms in leave_sms(sms_outbox)] == [
        (
            str(person.phone),
            "Ashyq: сіздің мәртебеңіз енді қызыл, ал сіз осы мәртебемен болуға болмайтын орында "
            "әлі тіркеулісіз. Қазір шығыңыз. Егер шығып кеткен болсаңыз, шығуыңызды Ashyq-та "
            "тіркеңіз.",
        )
    ]
    html = text_of(client.get(f"/staff/{cafe.pk}/"))
    assert '<h2 id="worsened-title">Inside, and may not stay</h2>' in html
    flag = f"{at_door(person.full_name, person.iin)} · Red · inside since {since(inside)}"
    assert f"{flag}, now red: ask them to leave" in html
    inside.refresh_from_db()
    assert inside.is_open


def test_the_flag_reads_in_kazakh_on_a_kazakh_staff_page(client):
    cafe = make_venue(category="mall")
    iin = new_iin()
    inside = make_visit(cafe, iin=iin, status="blue")
    positive = datetime.timedelta(days=10)
    record_add(
        iin=iin,
        status="red",
        source="manual",
        valid_from=timezone.now() - datetime.timedelta(hours=1),
        valid_until=timezone.now() + positive,
        created_by=None,
        note="test",
    )
    client.force_login(staff_member(cafe))
    client.cookies["django_language"] = "kk"

    html = text_of(client.get(f"/staff/{cafe.pk}/"))

    assert "Ішінде, бірақ қалуға болмайды" in html
    assert f"кірген уақыты: {since(inside)}, қазіргі мәртебесі: қызыл — шығуын сұраңыз" in html


def test_a_person_without_an_account_is_flagged_without_an_sms(
    client, sms_outbox, django_capture_on_commit_callbacks
):
    cafe = make_venue(category="mall")
    iin = new_iin()
    make_visit(cafe, iin=iin, status="blue", method="staff_iin")

    with django_capture_on_commit_callbacks(execute=True):
        imported(lab_csv(iin, "positive"))

    assert InsideAlert.objects.get().visit.iin == iin
    assert sms_outbox == []
    client.force_login(staff_member(cafe))
    assert f"{at_door('', iin)} · Red · inside since" in text_of(client.get(f"/staff/{cafe.pk}/"))


@pytest.mark.parametrize(
    ("category", "isolation_metres", "flagged"),
    [
        ("pharmacy", 100, False),  # near home: a yellow person may stay
        ("pharmacy", 2000, True),  # too far from home
        ("pharmacy", None, True),  # no known place of isolation
        ("mall", 100, True),  # not an essential venue
    ],
)
def test_a_new_contact_is_flagged_only_where_yellow_may_not_stay(
    category, isolation_metres, flagged, sms_outbox, django_capture_on_commit_callbacks
):
    venue = make_venue(category=category, capacity=1)
    person = citizen()
    make_visit(venue, iin=person.iin, user=person, status="blue")
    if isolation_metres is not None:
        # About 111 km to a degree of latitude.
        isolation_point_set(
            iin=person.iin,
            address="home",
            latitude=round(float(venue.latitude) + isolation_metres / 111_000, 6),
            longitude=venue.longitude,
            by=None,
        )
    end = timezone.now() - datetime.timedelta(hours=1)

    with django_capture_on_commit_callbacks(execute=True):
        contacts_mark(
            case_iin=new_iin(), contacts=[ContactToMark(person.iin, end)], by=epidemiologist()
        )

    assert InsideAlert.objects.exists() is flagged
    assert len(leave_sms(sms_outbox)) == (1 if flagged else 0)


def test_a_full_venue_does_not_count_against_the_person_inside():
    # One place, none of it left in a red zone: whether the venue is full says
    # nothing about the person inside.
    pharmacy = make_venue(category="pharmacy", capacity=1)
    Region.objects.filter(pk=pharmacy.region_id).update(zone="red")
    person = citizen()
    make_visit(pharmacy, iin=person.iin, status="blue")
    isolation_point_set(
        iin=person.iin,
        address="home",
        latitude=pharmacy.latitude,
        longitude=pharmacy.longitude,
        by=None,
    )

    record_add(
        iin=person.iin,
        status="yellow",
        source="contact",
        valid_from=timezone.now() - datetime.timedelta(hours=1),
        valid_until=timezone.now() + datetime.timedelta(days=14),
        created_by=None,
    )

    assert not InsideAlert.objects.exists()


def test_a_manual_record_in_the_admin_flags_the_person_inside(
    client, sms_outbox, django_capture_on_commit_callbacks
):
    cafe = make_venue(category="mall")
    person = citizen(language="ru")
    make_visit(cafe, iin=person.iin, user=person, status="blue")
    client.force_login(epidemiologist())
    start = timezone.localtime(timezone.now() - datetime.timedelta(hours=1))
    end = start + datetime.timedelta(days=10)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:statuses_statusrecord_add"),
            {
                "iin": person.iin,
                "source": "manual",
                "status": "red",
                "valid_from_0": f"{start:%Y-%m-%d}",
                "valid_from_1": f"{start:%H:%M:%S}",
                "valid_until_0": f"{end:%Y-%m-%d}",
                "valid_until_1": f"{end:%H:%M:%S}",
                "note": "Positive rapid test seen at the clinic",
            },
        )

    assert response.status_code == 302
    assert InsideAlert.objects.get().status == "red"
    assert [sms.text for sms in leave_sms(sms_outbox)] == [
        "Ashyq: ваш статус теперь красный, а вы всё ещё отмечены на объекте, где с этим "
        "статусом находиться нельзя. Пожалуйста, выйдите сейчас. Если вы уже вышли, отметьте "
        "выход в Ashyq."
    ]


def turned_red(iin: str) -> StatusRecord:
    """A red status entered by hand an hour ago, with no end yet."""
    return record_add(
        iin=iin,
        status="red",
        source="manual",
        valid_from=timezone.now() - datetime.timedelta(hours=1),
        valid_until=None,
        created_by=None,
    )


def test_people_who_left_or_are_elsewhere_are_not_flagged(client):
    cafe, other = make_venue(category="mall"), make_venue(name="Small", category="mall")
    left = make_visit(
        cafe,
        status="blue",
        checked_in_at=timezone.now() - datetime.timedelta(hours=1),
        checked_out_at=timezone.now(),
    )
    elsewhere = make_visit(other, status="blue")

    for visit in (left, elsewhere):
        turned_red(visit.iin)

    assert list(InsideAlert.objects.values_list("visit", flat=True)) == [elsewhere.pk]
    client.force_login(staff_member(cafe))
    assert "Inside, and may not stay" not in text_of(client.get(f"/staff/{cafe.pk}/"))


def test_the_flag_goes_when_the_person_leaves_or_the_record_is_lifted(client):
    cafe = make_venue(category="mall")
    leaving, cleared = make_visit(cafe, status="blue"), make_visit(cafe, status="blue")
    records = {visit.pk: turned_red(visit.iin) for visit in (leaving, cleared)}
    staff = staff_member(cafe)
    client.force_login(staff)
    assert text_of(client.get(f"/staff/{cafe.pk}/")).count("ask them to leave") == 2

    client.post(f"/staff/{cafe.pk}/", {"q": leaving.iin, "mode": "exit"})
    record_lift(record=records[cleared.pk], by=epidemiologist(), reason="wrong person")

    assert "ask them to leave" not in text_of(client.get(f"/staff/{cafe.pk}/"))


def test_a_record_that_begins_later_flags_the_person_when_it_begins(
    sms_outbox, django_capture_on_commit_callbacks
):
    cafe = make_venue(category="mall")
    person = citizen()
    make_visit(cafe, iin=person.iin, user=person, status="blue")
    begins = timezone.now() + datetime.timedelta(minutes=5)
    record_add(
        iin=person.iin,
        status="yellow",
        source="contact",
        valid_from=begins,
        valid_until=begins + datetime.timedelta(days=14),
        created_by=None,
    )
    assert not InsideAlert.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        notify_transitions(begins + datetime.timedelta(minutes=1))
        notify_transitions(begins + datetime.timedelta(minutes=2))

    assert InsideAlert.objects.get().status == "yellow"
    assert len(leave_sms(sms_outbox)) == 1


@pytest.mark.parametrize("people", [1, 3])
def test_the_staff_page_reads_the_flags_in_one_query_however_many(
    people, client, assert_num_queries
):
    cafe = make_venue(category="mall")
    inside = [make_visit(cafe, status="blue") for _ in range(people)]
    for visit in inside:
        turned_red(visit.iin)
    client.force_login(staff_member(cafe))
    client.get(f"/staff/{cafe.pk}/")  # the account is in the cache from now on

    # The venue (with the staff check), the flags with their visits, the last scans.
    with assert_num_queries(3 + session_queries()):
        html = text_of(client.get(f"/staff/{cafe.pk}/"))

    assert html.count("ask them to leave") == people
