"""The staff page `/staff/<venue_id>/` (docs/rules.md §4): one field for an IIN, a scanner
or a QR."""

import datetime
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from accounts.identifiers import IIN_MESSAGES
from accounts.models import User
from accounts.personal_qr import personal_qr_token
from tests.english import english_words
from visits.models import Visit
from visits.rules import ADMITTED, DENIALS
from visits.tests.conftest import (
    citizen,
    give_status,
    make_venue,
    make_visit,
    new_iin,
    session_queries,
    staff_member,
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


def text_of(response) -> str:
    return " ".join(response.content.decode().split())


def translated(message: str, language: str) -> str:
    """The catalog's translation, which must exist: English left on the page is a bug."""
    with translation.override(language):
        text = translation.gettext(message)
    assert text != message, f"no {language} translation for {message!r}"
    return text


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


# Exit mode


def test_exit_closes_the_open_visit_at_this_venue(client):
    venue = make_venue()
    iin = new_iin()
    client.force_login(staff_member(venue))
    scan(client, venue, iin, nonce="in")
    visit = Visit.objects.get()

    response = scan(client, venue, iin, mode="exit")

    visit.refresh_from_db()
    expected = f"/staff/{venue.pk}/?visit={visit.pk}&mode=exit&done=exit"
    assert response["Content-Location"] == expected
    assert visit.checkout_method == "staff"
    assert visit.checked_out_at is not None
    html = text_of(response)
    assert '<section class="answer answer-exit" role="status">' in html
    assert "<h2>Exit recorded</h2>" in html
    assert '<p class="person">Born in 1990</p>' in html


def test_exit_of_a_self_scanned_visit_is_confirmed_to_staff(client):
    venue = make_venue()
    person = citizen("green")
    visit = make_visit(venue, iin=person.iin, user=person)
    client.force_login(staff_member(venue))

    response = scan(client, venue, person.iin, mode="exit")

    visit.refresh_from_db()
    assert visit.checkout_method == "staff"
    html = text_of(response)
    assert "<h2>Exit recorded</h2>" in html
    assert '<p class="person">Aigerim S., 1990</p>' in html


def test_scanning_a_person_already_inside_shows_the_answer(client):
    venue = make_venue()
    person = citizen("green")
    visit = make_visit(venue, iin=person.iin, user=person)
    client.force_login(staff_member(venue))

    response = scan(client, venue, person.iin)

    assert response["Content-Location"] == f"/staff/{venue.pk}/?visit={visit.pk}&mode=entry&again=1"
    html = text_of(response)
    assert "<h2>May enter</h2>" in html
    since = timezone.localtime(visit.checked_in_at).strftime("%H:%M")
    assert f"<p>Already inside since {since}.</p>" in html
    assert Visit.objects.get() == visit


def test_exit_for_someone_not_inside_is_refused(client):
    venue = make_venue()
    client.force_login(staff_member(venue))

    response = scan(client, venue, new_iin(), mode="exit")

    assert response.status_code == 200
    assert f'<p class="message error" role="alert">{NOT_INSIDE}</p>' in text_of(response)
    assert Visit.objects.count() == 0


def test_after_a_refusal_the_field_is_empty_for_the_next_scan(client):
    venue = make_venue()
    iin = new_iin()
    client.force_login(staff_member(venue))

    response = scan(client, venue, iin, mode="exit")

    html = response.content.decode()
    assert f'<p class="message error" role="alert">{NOT_INSIDE}</p>' in html
    field = re.search(r'<input type="text" name="q"[^>]*>', html).group(0)
    assert "value=" not in field
    assert iin not in html


def test_exit_does_not_close_a_visit_at_another_venue(client):
    here, elsewhere = make_venue(), make_venue(name="Small")
    iin = new_iin()
    visit = make_visit(elsewhere, iin=iin)
    client.force_login(staff_member(here))

    response = scan(client, here, iin, mode="exit")

    visit.refresh_from_db()
    assert f'<p class="message error" role="alert">{NOT_INSIDE}</p>' in text_of(response)
    assert visit.is_open


def test_exit_is_not_inside_reads_in_the_staff_language(client):
    venue = make_venue()
    client.force_login(staff_member(venue))
    client.cookies["django_language"] = "ru"

    response = scan(client, venue, new_iin(), mode="exit")

    assert translated(NOT_INSIDE, "ru") in text_of(response)


# Double submits, last scans


def test_a_double_submit_with_the_same_nonce_makes_one_visit(client):
    venue = make_venue()
    iin = new_iin()
    client.force_login(staff_member(venue))

    first = scan(client, venue, iin, nonce="f00d")
    second = scan(client, venue, iin, nonce="f00d")

    visit = Visit.objects.get()
    assert first["Content-Location"] == f"/staff/{venue.pk}/?visit={visit.pk}&mode=entry"
    assert second["Content-Location"] == f"/staff/{venue.pk}/?visit={visit.pk}&mode=entry&again=1"


def test_the_last_scans_list_shows_recent_visits_here_with_masked_iins(client):
    venue, elsewhere = make_venue(), make_venue(name="Small")
    staff = staff_member(venue)
    now = timezone.now()
    here = [new_iin() for _ in range(3)]
    for minutes, iin in enumerate(here):
        make_visit(
            venue,
            iin=iin,
            method="staff_iin",
            recorded_by=staff,
            status="blue",
            checked_in_at=now - datetime.timedelta(minutes=10 - minutes),
        )
    other = make_visit(elsewhere, method="staff_iin", recorded_by=staff_member(elsewhere))
    client.force_login(staff)

    html = text_of(client.get(staff_url(venue)))

    assert "<h2>Last scans</h2>" in html
    rows = re.findall(r'<li class="history-item">(.*?)</li>', html)
    assert [re.search(r"\*{8}\d{4}", row).group(0) for row in rows] == [
        masked(iin) for iin in reversed(here)
    ]
    assert all("Blue" in row and "admitted" in row for row in rows)
    assert not [iin for iin in here if iin in html]
    assert masked(other.iin) not in html


# Who may use the page


def test_staff_of_another_venue_cannot_open_the_page(client):
    mine, theirs = make_venue(), make_venue(name="Small")
    client.force_login(staff_member(mine))

    assert client.get(staff_url(theirs)).status_code == 404


@pytest.mark.parametrize(
    "fields",
    [
        {"q": "IIN", "mode": "entry"},
        {"q": "IIN", "mode": "exit"},
        {"q": "9001", "mode": "entry"},
    ],
    ids=["entry", "exit", "malformed"],
)
def test_staff_of_another_venue_cannot_check_in_there(client, fields):
    mine, theirs = make_venue(), make_venue(name="Small")
    iin = new_iin()
    visit = make_visit(theirs, iin=iin)
    client.force_login(staff_member(mine))

    response = client.post(staff_url(theirs), {**fields, "q": fields["q"].replace("IIN", iin)})

    visit.refresh_from_db()
    assert response.status_code == 404
    assert Visit.objects.count() == 1
    assert visit.is_open


def test_a_citizen_who_works_nowhere_gets_404(client):
    venue = make_venue()
    client.force_login(citizen("green"))

    assert client.get(staff_url(venue)).status_code == 404
    assert scan(client, venue, new_iin()).status_code == 404
    assert Visit.objects.count() == 0


def test_a_signed_out_visitor_is_sent_to_sign_in(client):
    venue = make_venue()

    get = client.get(staff_url(venue))
    post = scan(client, venue, new_iin())

    expected = f"/accounts/login/code/?next=/staff/{venue.pk}/"
    assert (get.status_code, get["Location"]) == (302, expected)
    assert (post.status_code, post["Location"]) == (302, expected)
    assert Visit.objects.count() == 0


# Rate limit


def test_the_fourth_lookup_in_a_minute_is_refused(client, settings):
    allow_lookups(settings, "3/m/user")
    venue = make_venue()
    client.force_login(staff_member(venue))

    with time_machine.travel(timezone.now(), tick=False):
        answers = [scan(client, venue, new_iin()).status_code for _ in range(3)]
        refused = scan(client, venue, new_iin())

    assert answers == [200, 200, 200]
    assert refused.status_code == 400
    assert f'<p class="error" role="alert">{TOO_MANY}</p>' in text_of(refused)
    assert Visit.objects.count() == 3


def test_the_lookup_limit_is_per_staff_member_and_lifts_after_a_minute(client, settings):
    allow_lookups(settings, "3/m/user")
    venue = make_venue()
    busy, colleague = staff_member(venue), staff_member(venue)

    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client.force_login(busy)
        for _ in range(4):
            scan(client, venue, new_iin())
        client.force_login(colleague)
        colleague_answer = scan(client, venue, new_iin())
        traveller.shift(61)
        client.force_login(busy)
        later = scan(client, venue, new_iin())

    assert colleague_answer.status_code == 200
    assert later.status_code == 200
    assert Visit.objects.count() == 5


def test_the_lookup_limit_message_reads_in_the_staff_language(client, settings):
    allow_lookups(settings, "1/m/user")
    venue = make_venue()
    client.force_login(staff_member(venue))
    client.cookies["django_language"] = "ru"

    with time_machine.travel(timezone.now(), tick=False):
        scan(client, venue, new_iin())
        refused = scan(client, venue, new_iin())

    assert refused.status_code == 400
    assert translated(TOO_MANY, "ru") in text_of(refused)
    assert Visit.objects.count() == 1


# Query budget


@pytest.mark.django_db(transaction=True)
def test_a_staff_check_in_stays_within_the_query_budget(client, assert_num_queries, reference_data):
    # A real transaction, not the test's savepoint: production has no savepoint queries.
    venue, elsewhere = make_venue(), make_venue(name="Small")
    now = timezone.now()
    for _ in range(5):
        make_visit(venue, checked_in_at=now - datetime.timedelta(minutes=30))
    Visit.objects.bulk_create(
        Visit(
            venue=elsewhere,
            iin=new_iin(),
            method="self_scan",
            status="green",
            admitted=True,
            checked_in_at=now - datetime.timedelta(days=1, minutes=minute),
            checked_out_at=now - datetime.timedelta(days=1),
        )
        for minute in range(300)
    )
    person = citizen("green")
    client.force_login(staff_member(venue))

    # The account (from the cache once it is warm), the venue lock, the reads
    # after it, the visit and COMMIT; the session comes from Redis in production.
    # Then the page it answers with: the venue (from the cache once it is
    # warm: test_door_budgets.py), the last scans with whether anyone is flagged.
    with assert_num_queries(7 + session_queries()):
        response = scan(client, venue, person.iin, nonce="budget")

    visit = Visit.objects.get(nonce="budget")
    assert response["Content-Location"] == f"/staff/{venue.pk}/?visit={visit.pk}&mode=entry"
    assert (visit.user, visit.admitted) == (person, True)
