"""The staff page `/staff/<venue_id>/` (docs/rules.md §4): one field for an IIN, a scanner
or a QR."""

import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.identifiers import IIN_MESSAGES
from accounts.models import User
from accounts.personal_qr import personal_qr_token
from accounts.tests.clients import text_of
from tests.english import english_words
from visits.models import Visit
from visits.rules import ADMITTED, DENIALS
from visits.tests.conftest import (
    citizen,
    give_status,
    make_venue,
    make_visit,
    new_iin,
    staff_member,
    translated,
)

pytestmark = pytest.mark.django_db

EXPIRED = "This code has expired. Ask the person to open their status page again."
NOT_OURS = "This is not an Ashyq personal code."
NO_IIN = "This person has not added an IIN yet. Ask for an identity card."
NOT_INSIDE = "This person is not checked in here."
TOO_MANY = "Too many lookups in a short time. Wait a minute."


def staff_url(venue) -> str:
    return f"/staff/{venue.pk}/"


def scan(client, venue, q: str, **fields):
    return client.post(staff_url(venue), {"q": q, "mode": "entry", **fields})


def masked(iin: str) -> str:
    return "********" + iin[-4:]


def allow_lookups(settings, rate: str) -> None:
    # The limit is read by allauth from ACCOUNT_RATE_LIMITS; the older name is
    # set too so the test means the same whichever one the view reads.
    settings.STAFF_LOOKUP_RATE_LIMIT = rate
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "staff_lookup": rate}


# The page


def test_page_shows_one_autofocused_field(client):
    venue = make_venue()
    client.force_login(staff_member(venue))

    response = client.get(staff_url(venue))

    html = response.content.decode()
    assert response.status_code == 200
    field = re.search(r'<input type="text" name="q"[^>]*>', html).group(0)
    assert " autofocus" in field
    assert 'id="id_q"' in field
    assert '<label for="id_q">IIN or personal code</label>' in html
    assert '<input type="hidden" name="mode" value="entry">' in html


def test_page_in_exit_mode_offers_to_record_an_exit(client):
    venue = make_venue()
    client.force_login(staff_member(venue))

    html = text_of(client.get(staff_url(venue) + "?mode=exit"))

    assert '<input type="hidden" name="mode" value="exit">' in html
    assert ">Record exit</button>" in html


def test_page_is_in_kazakh_with_the_kazakh_cookie(client):
    # A Kazakh name: a Latin brand name would be the venue's own word, not ours.
    venue = make_venue(name="Арман дүкені", name_kk="Арман дүкені")
    client.force_login(staff_member(venue))
    client.cookies["django_language"] = "kk"

    html = client.get(staff_url(venue)).content.decode()

    assert f'<label for="id_q">{translated("IIN or personal code", "kk")}</label>' in html
    assert f'aria-current="page">{translated("Entry", "kk")}</a>' in html
    assert f">{translated('Exit', 'kk')}</a>" in html
    assert english_words(html) == []


# Entry by IIN, barcode and personal QR


def test_staff_checks_in_a_person_without_an_account_by_iin(client):
    venue = make_venue()
    staff = staff_member(venue)
    iin = new_iin()
    client.force_login(staff)

    response = scan(client, venue, iin, nonce="n1")

    visit = Visit.objects.get()
    assert response.status_code == 200
    assert response["Content-Location"] == f"/staff/{venue.pk}/?visit={visit.pk}&mode=entry"
    assert (visit.venue, visit.iin, visit.user, visit.recorded_by) == (venue, iin, None, staff)
    assert (visit.method, visit.status, visit.admitted) == ("staff_iin", "blue", True)
    assert visit.is_open


def test_the_answer_shows_the_decision_status_and_year_of_birth_only(client):
    venue = make_venue()
    iin = new_iin()
    client.force_login(staff_member(venue))
    location = scan(client, venue, iin)["Content-Location"]

    response = client.get(location)

    html = text_of(response)
    assert response.status_code == 200
    assert '<section class="answer answer-yes" role="status">' in html
    assert "<h2>May enter</h2>" in html
    assert '<span class="status-line status-blue">Blue</span>' in html
    # No account, so no name: the year of birth from the IIN (1 Jan 1990).
    assert '<p class="person">Born in 1990</p>' in html
    assert f"<p>{ADMITTED.message}</p>" in html
    assert iin not in html
    # The last scans below keep their masked IINs; the answer shows none.
    answer = re.search(r'<section class="answer.*?</section>', html).group(0)
    assert masked(iin) not in answer


def test_the_organisation_admin_checks_people_in(client):
    venue = make_venue()
    admin = venue.organisation.admin
    client.force_login(admin)

    response = scan(client, venue, new_iin())

    visit = Visit.objects.get()
    assert response["Content-Location"] == f"/staff/{venue.pk}/?visit={visit.pk}&mode=entry"
    assert (visit.recorded_by, visit.method) == (admin, "staff_iin")


def test_an_iin_with_an_account_records_the_account(client):
    venue = make_venue()
    person = citizen("green")
    client.force_login(staff_member(venue))

    html = text_of(scan(client, venue, person.iin))

    visit = Visit.objects.get()
    assert (visit.user, visit.status, visit.method) == (person, "green", "staff_iin")
    assert '<p class="person">Aigerim S., 1990</p>' in html
    assert "Sarsenova" not in html
    assert person.iin not in html


def test_a_barcode_scanner_records_a_barcode_check_in(client):
    venue = make_venue()
    client.force_login(staff_member(venue))

    scan(client, venue, new_iin(), source="scanner")

    assert Visit.objects.get().method == "staff_barcode"


def test_a_personal_qr_records_the_account_and_shows_the_name_staff_may_see(client):
    venue = make_venue()
    person = citizen("green")
    client.force_login(staff_member(venue))

    response = scan(client, venue, personal_qr_token(person), source="camera")

    visit = Visit.objects.get()
    assert response["Content-Location"] == f"/staff/{venue.pk}/?visit={visit.pk}&mode=entry"
    assert (visit.user, visit.iin, visit.method, visit.status) == (
        person,
        person.iin,
        "staff_qr",
        "green",
    )
    html = text_of(response)
    assert '<p class="person">Aigerim S., 1990</p>' in html
    assert "Sarsenova" not in html
    assert person.iin not in html


def test_a_personal_qr_still_works_within_its_minute(client):
    venue = make_venue()
    person = citizen("green")
    client.force_login(staff_member(venue))

    with time_machine.travel(timezone.now(), tick=False) as traveller:
        token = personal_qr_token(person)
        traveller.shift(59)
        response = scan(client, venue, token)

    assert response.status_code == 200
    assert Visit.objects.get().user == person


def test_an_expired_personal_qr_is_refused_in_the_staff_language(client):
    venue = make_venue()
    person = citizen("green")
    client.force_login(staff_member(venue))
    client.cookies["django_language"] = "ru"

    with time_machine.travel(timezone.now(), tick=False) as traveller:
        token = personal_qr_token(person)
        traveller.shift(61)
        response = scan(client, venue, token)

    html = text_of(response)
    assert response.status_code == 200
    assert (
        '<p class="message error" role="alert">Срок действия кода истёк. '
        "Попросите человека заново открыть страницу статуса.</p>"
    ) in html
    assert Visit.objects.count() == 0


@pytest.mark.parametrize(
    "forge",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),
        lambda token: "AQ1." + "0" * 32 + token[36:],
        lambda token: "AQ1.not-a-token",
    ],
    ids=["bad-signature", "other-key", "garbage"],
)
def test_a_forged_personal_qr_is_refused(client, forge):
    venue = make_venue()
    client.force_login(staff_member(venue))

    response = scan(client, venue, forge(personal_qr_token(citizen("green"))))

    assert response.status_code == 200
    assert f'<p class="message error" role="alert">{NOT_OURS}</p>' in text_of(response)
    assert Visit.objects.count() == 0


def test_a_personal_qr_of_an_inactive_account_is_refused(client):
    venue = make_venue()
    person = citizen("green", is_active=False)
    client.force_login(staff_member(venue))

    response = scan(client, venue, personal_qr_token(person))

    assert f'<p class="message error" role="alert">{NOT_OURS}</p>' in text_of(response)
    assert Visit.objects.count() == 0


def test_a_personal_qr_of_someone_without_an_iin_is_refused(client):
    venue = make_venue()
    person = User.objects.create_user("+77020000999", full_name="Aigerim Sarsenova")
    client.force_login(staff_member(venue))

    response = scan(client, venue, personal_qr_token(person))

    assert response.status_code == 200
    assert f'<p class="message error" role="alert">{NO_IIN}</p>' in text_of(response)
    assert Visit.objects.count() == 0


# A malformed IIN


def bad_check_digit(iin: str) -> str:
    return iin[:11] + str((int(iin[11]) + 1) % 10)


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("90010130001", "length"),
        ("9001013000a1", "digits"),
        (bad_check_digit(new_iin()), "check_digit"),
    ],
    ids=["eleven-digits", "a-letter", "bad-check-digit"],
)
def test_a_malformed_iin_is_refused_before_any_lookup(client, typed, code):
    venue = make_venue()
    client.force_login(staff_member(venue))

    with CaptureQueriesContext(connection) as queries:
        response = scan(client, venue, typed)

    assert response.status_code == 400
    assert f'<p class="error" id="id_q_error" role="alert">{IIN_MESSAGES[code]}</p>' in (
        text_of(response)
    )
    sql = [q["sql"] for q in queries.captured_queries]
    assert not [q for q in sql if "statuses_statusrecord" in q or "visits_isolationpoint" in q]
    assert not [q for q in sql if typed in q or 'accounts_user"."iin" =' in q]
    assert not [q for q in sql if q.split()[0] in {"INSERT", "UPDATE", "DELETE"}]
    # The one read of visits is the page's own "last scans" list (and whether
    # anyone inside is flagged), by venue.
    visit_reads = [q for q in sql if "visits_visit" in q]
    assert len(visit_reads) == 1
    assert "WHERE venue_id = " in visit_reads[0]
    assert "recorded_by_id IS NOT NULL" in visit_reads[0]
    assert Visit.objects.count() == 0


def test_a_malformed_iin_reads_in_the_staff_language(client):
    venue = make_venue()
    client.force_login(staff_member(venue))
    client.cookies["django_language"] = "ru"

    response = scan(client, venue, "90010130001")

    assert response.status_code == 400
    assert translated("An IIN must be exactly 12 digits long.", "ru") in text_of(response)


# Denials are shown to staff with the reason


def test_a_red_person_is_denied_and_staff_see_why(client):
    venue = make_venue()
    iin = new_iin()
    give_status(iin, "red")
    client.force_login(staff_member(venue))

    html = text_of(scan(client, venue, iin))

    visit = Visit.objects.get()
    assert (visit.admitted, visit.denial_code, visit.status) == (False, "red", "red")
    assert '<section class="answer answer-no" role="status">' in html
    assert "<h2>Entry denied</h2>" in html
    assert '<span class="status-line status-red">Red</span>' in html
    assert f"<p>{DENIALS['red']}</p>" in html


def test_blue_at_a_pcr_venue_is_denied_and_staff_see_why(client):
    venue = make_venue(category="cafe", pcr_required=True)
    client.force_login(staff_member(venue))

    html = text_of(scan(client, venue, new_iin()))

    visit = Visit.objects.get()
    assert (visit.admitted, visit.denial_code, visit.status) == (False, "pcr_required", "blue")
    assert "<h2>Entry denied</h2>" in html
    assert f"<p>{DENIALS['pcr_required']}</p>" in html


def test_staff_read_the_denial_in_their_own_language(client):
    venue = make_venue()
    iin = new_iin()
    give_status(iin, "red")
    client.force_login(staff_member(venue))
    client.cookies["django_language"] = "ru"

    html = text_of(scan(client, venue, iin))

    red = (
        "Red status: you are a confirmed case and must stay in strict home isolation. "
        "Entry is not allowed."
    )
    assert f"<p>{translated(red, 'ru')}</p>" in html
    assert f"<h2>{translated('Entry denied', 'ru')}</h2>" in html


def test_an_answer_for_another_venues_visit_is_not_shown(client):
    mine, theirs = make_venue(), make_venue(name="Small")
    staff = staff_member(mine)
    visit = make_visit(theirs, method="staff_iin", recorded_by=staff)
    client.force_login(staff)

    html = text_of(client.get(f"{staff_url(mine)}?visit={visit.pk}&mode=entry"))

    assert 'class="answer' not in html
    assert masked(visit.iin) not in html
