"""Every look-up of a person by staff is visible to that person, for 30 days."""

import datetime
import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from visits.lookups import status_lookups_delete_old
from visits.models import StatusLookup, Visit
from visits.tasks import delete_old_visits
from visits.tests.budgets import session_queries
from visits.tests.conftest import citizen, make_venue, new_iin, staff_member

pytestmark = pytest.mark.django_db

LOOKUPS_URL = reverse("visits:lookups")
# Yesterday at a whole minute: inside the 30 days the list shows.
T = (timezone.now() - datetime.timedelta(days=1)).replace(second=0, microsecond=0)


def shown(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%d.%m.%Y %H:%M")


def scan(client, venue, iin: str, mode: str = "entry", nonce: str = ""):
    return client.post(
        reverse("visits:staff", args=[venue.pk]), {"q": iin, "mode": mode, "nonce": nonce}
    )


def staff_of(venue) -> Client:
    """A browser of its own, signed in as a staff member of `venue`."""
    staff = Client()
    staff.force_login(staff_member(venue))
    return staff


def self_check_in(client, venue, person) -> None:
    """`person`, signed in on `client`, checks in at `venue` by scanning its poster."""
    client.force_login(person)
    client.post(reverse("visits:venue_entry", args=[venue.code]), {"nonce": "self"})


def listed(client) -> list[str]:
    """The list as the person reads it: one line per look-up."""
    html = client.get(LOOKUPS_URL).content.decode()
    items = re.findall(r'<li class="history-item">(.*?)</li>', html, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in items]


def test_a_staff_check_in_is_listed_with_venue_organisation_and_time(client):
    venue = make_venue(name="Magnum", name_en="Magnum Dostyk")
    person = citizen("green")
    staff = staff_of(venue)

    with time_machine.travel(T, tick=False):
        scan(staff, venue, person.iin)
    client.force_login(person)

    assert listed(client) == [
        f"Magnum Dostyk ТОО Ashyq Test · BIN {venue.organisation.bin} {shown(T)}"
    ]


def test_denied_lookups_are_listed_too(client):
    venue = make_venue(category="cafe", pcr_required=True)  # blue is denied
    person = citizen()
    staff = staff_of(venue)

    scan(staff, venue, person.iin)
    client.force_login(person)

    assert Visit.objects.get().admitted is False
    assert len(listed(client)) == 1


def test_a_self_check_in_is_not_a_lookup(client):
    venue = make_venue()
    person = citizen("green")
    self_check_in(client, venue, person)

    assert Visit.objects.count() == 1
    assert listed(client) == []
    assert "No one has looked up your status." in client.get(LOOKUPS_URL).content.decode()


def test_a_rescan_of_someone_inside_is_listed_again(client):
    venue = make_venue()
    person = citizen("green")
    staff = staff_of(venue)

    with time_machine.travel(T, tick=False):
        scan(staff, venue, person.iin, nonce="first")
    with time_machine.travel(T + datetime.timedelta(minutes=5), tick=False):
        scan(staff, venue, person.iin, nonce="second")
    client.force_login(person)

    assert [line[-16:] for line in listed(client)] == [
        shown(T + datetime.timedelta(minutes=5)),
        shown(T),
    ]


def test_a_retried_request_is_not_a_second_lookup(client):
    venue = make_venue()
    person = citizen("green")
    staff = staff_of(venue)

    scan(staff, venue, person.iin, nonce="same")
    scan(staff, venue, person.iin, nonce="same")
    client.force_login(person)

    assert StatusLookup.objects.count() == 0
    assert len(listed(client)) == 1


def test_a_staff_exit_is_listed(client):
    venue = make_venue()
    person = citizen("green")
    self_check_in(client, venue, person)
    staff = staff_of(venue)

    response = scan(staff, venue, person.iin, mode="exit")

    assert response.status_code == 200
    assert len(listed(client)) == 1


def test_another_persons_lookups_never_show(client):
    venue, other_venue = make_venue(name_en="Ours"), make_venue(name_en="Theirs")
    person, stranger = citizen("green"), citizen("green")
    staff = staff_of(other_venue)
    scan(staff, other_venue, stranger.iin)
    scan(staff, other_venue, stranger.iin, nonce="again")
    staff.force_login(staff_member(venue))
    scan(staff, venue, person.iin)
    client.force_login(person)

    lines = listed(client)

    assert len(lines) == 1
    assert lines[0].startswith("Ours ")
    assert "Theirs" not in client.get(LOOKUPS_URL).content.decode()


def test_lookups_older_than_the_retention_period_are_not_shown(client):
    venue = make_venue()
    person = citizen("green")
    now = timezone.now()
    Visit.objects.create(
        venue=venue,
        iin=person.iin,
        method=Visit.Method.STAFF_IIN,
        recorded_by=staff_member(venue),
        status="green",
        admitted=True,
        checked_in_at=now - datetime.timedelta(days=31),
        checked_out_at=now - datetime.timedelta(days=31),
    )
    StatusLookup.objects.create(
        venue=venue, iin=person.iin, looked_up_at=now - datetime.timedelta(days=31)
    )
    client.force_login(person)

    assert listed(client) == []


def test_the_retention_job_deletes_old_lookups():
    venue = make_venue()
    now = timezone.now()
    old = StatusLookup.objects.create(
        venue=venue, iin=new_iin(), looked_up_at=now - datetime.timedelta(days=31)
    )
    recent = StatusLookup.objects.create(
        venue=venue, iin=new_iin(), looked_up_at=now - datetime.timedelta(days=29)
    )

    delete_old_visits()

    assert list(StatusLookup.objects.all()) == [recent]
    assert not StatusLookup.objects.filter(pk=old.pk).exists()
    assert status_lookups_delete_old() == 0


def test_the_page_reads_in_kazakh(client):
    venue = make_venue(name_kk="Жарық дүкені", name_en="Zharyq Store")
    person = citizen("green")
    staff = staff_of(venue)
    scan(staff, venue, person.iin)
    client.force_login(person)
    client.cookies["django_language"] = "kk"

    html = client.get(LOOKUPS_URL).content.decode()

    assert "Мәртебемді кім тексерді" in html
    assert "Жарық дүкені" in html
    assert "Zharyq Store" not in html


def test_the_account_page_links_to_the_list(client):
    client.force_login(citizen())

    assert f'href="{LOOKUPS_URL}"' in client.get(reverse("account")).content.decode()


def test_without_an_iin_the_page_asks_for_one(client):
    person = citizen()
    person.iin = None
    person.save(update_fields=["iin"])
    client.force_login(person)

    assert "Add your IIN to your account" in client.get(LOOKUPS_URL).content.decode()


def test_the_page_takes_a_fixed_number_of_queries(client, django_assert_num_queries):
    venues = [make_venue(name_en=f"Shop {n}") for n in range(3)]
    person = citizen("green")
    staff = client.__class__()
    for venue in venues:
        staff.force_login(staff_member(venue))
        scan(staff, venue, person.iin)
        scan(staff, venue, person.iin, nonce=f"re-{venue.pk}")
    client.force_login(person)
    client.get(LOOKUPS_URL)  # the session and the account, warm

    # The look-ups (one UNION) and their venues; the account comes from the
    # cache, and the session too where it lives there.
    with django_assert_num_queries(2 + session_queries()):
        response = client.get(LOOKUPS_URL)

    assert len(re.findall(r'<li class="history-item">', response.content.decode())) == 6
