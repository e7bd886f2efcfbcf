"""Every form answers a mistake in the page's language (kk, ru): sign-in, profile,
isolation place, registration, venues, staff, check-in, errors, SMS and Django's own messages."""

import datetime

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone, translation

from accounts.personal_qr import PREFIX as PERSONAL_QR_PREFIX
from accounts.personal_qr import personal_qr_token
from accounts.tests.clients import client_for
from statuses.services import warn_expiring
from tests.pages import english_in_text, page_problems
from tests.sample import ORGANISATION_BIN, give_status, new_iin, person
from tests.test_language_crawl import Reader
from venues.tests.conftest import venue_data as valid_venue_data
from visits.models import IsolationPoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(language, sample) -> Reader:
    """Reads each answer in the test's language; a test ends with `reader.assert_read()`."""
    return Reader(language, sample)


def test_sign_in_forms_answer_in_the_language(language, reader):
    client = client_for(language=language)
    request_url = reverse("account_request_login_code")
    for phone in ["", "12345", "abc", "+1 202 555 0123", "+7 727 258 00 00", "+44 7911 123456"]:
        reader.post(client, request_url, {"phone": phone})
    reader.post(client, request_url, {"phone": "8 701 555 12 34"})
    confirm_url = reverse("account_confirm_login_code")
    for code in ["", "12", "000000"]:
        reader.post(client, confirm_url, {"code": code})
    reader.post(client, confirm_url, {"action": "resend"})

    reader.assert_read()


def test_the_profile_form_answers_in_the_language(language, sample, reader):
    client = client_for(sample.citizens["no_iin"], language)
    url = reverse("profile")
    taken = sample.citizens["green"].iin
    for name, iin in [
        ("", ""),
        ("Әсел Нұрова", "12345"),
        ("Әсел Нұрова", "9001013OOO1X"),
        ("Әсел Нұрова", "901301300019"),
        ("Әсел Нұрова", "900101900019"),
        ("Әсел Нұрова", "900101300010"),
        ("Ә" * 201, new_iin()),
        ("Әсел Нұрова", taken),
    ]:
        reader.post(client, url, {"full_name": name, "iin": iin}, label=f"{len(name)} {iin}")
    reader.post(client, url, {"full_name": "Әсел Нұрова", "iin": new_iin()})
    reader.post(client, url, {"full_name": ""}, label="empty name once the IIN is given")
    reader.post(client, url, {"full_name": "Әсел Нұрқызы"})

    reader.assert_read()


def test_the_isolation_point_form_answers_in_the_language(language, sample, reader):
    client = client_for(sample.citizens["yellow_nowhere"], language)
    url = reverse("visits:isolation_point")
    valid = {"address": "Абай даңғылы 12", "latitude": "43.2395", "longitude": "76.8899"}
    for wrong in [
        {"address": "", "latitude": "", "longitude": ""},
        {"latitude": "солтүстік"},
        {"latitude": "95"},
        {"longitude": "-181"},
    ]:
        reader.post(client, url, {**valid, **wrong})
    reader.post(client, url, valid)
    # A person without an IIN is sent to give it first.
    reader.crawl(client_for(sample.citizens["no_iin"], language), url)

    reader.assert_read()


def venue_data(prefix: str = "", **overrides: object) -> dict[str, object]:
    # A Kazakh address: an English one would be English text on a Kazakh page.
    return valid_venue_data(prefix, **{"address": "Алматы, Достық даңғылы 5", **overrides})


VENUE_MISTAKES = [
    {"name_kk": "", "name_ru": "", "name_en": ""},
    {"category": "", "region": "", "address": "", "latitude": "", "longitude": ""},
    {"category": "99999", "region": "99999", "pcr": "иә"},
    {"capacity": "", "max_stay_hours": ""},
    {"capacity": "0", "max_stay_hours": "0"},
    {"capacity": "1000000", "max_stay_hours": "25"},
    {"capacity": "көп", "max_stay_hours": "1.5"},
    {"latitude": "91", "longitude": "181"},
    {"latitude": "солтүстік", "longitude": "шығыс"},
]
# Mistakes whose messages come from Django's own catalogue, which has no
# Kazakh for them (too long a text; too many digits in a coordinate, as when
# one is pasted from a map).
UNTRANSLATED_BY_DJANGO = [
    {"name_kk": "Д" * 201, "address": "А" * 301},
    {"latitude": "43.238949123456", "longitude": "76.8897091234"},
    {"latitude": "1234567.5"},
]


def test_the_registration_form_answers_in_the_language(language, sample, reader):
    client = client_for(sample.citizens["green"], language)
    url = reverse("venues:register")
    organisation = {"org-bin": "050140001246", "org-legal_name": "ТОО «Арман»"}
    for bin_ in ["", "123", "05014000123X", "059940001238", "050140001239", ORGANISATION_BIN]:
        reader.post(client, url, {**venue_data("venue-"), **organisation, "org-bin": bin_})
    reader.post(client, url, {**venue_data("venue-"), **organisation, "org-legal_name": ""})
    for mistake in VENUE_MISTAKES:
        reader.post(client, url, {**venue_data("venue-", **mistake), **organisation})
    # An individual entrepreneur registers with their IIN.
    reader.post(client, url, {**venue_data("venue-"), **organisation, "org-bin": new_iin()})
    # A BIN someone else registered: the dispute, wrong and right.
    dispute = reverse("venues:dispute")
    for bin_ in ["", "123", "050140001246"]:
        reader.post(client, dispute, {"bin": bin_})
    reader.post(client, dispute, {"bin": ORGANISATION_BIN, "message": "Директормын"})

    reader.assert_read()


def test_the_venue_forms_answer_in_the_language(language, sample, reader):
    client = client_for(sample.owner, language)
    add = reverse("venues:add", args=[sample.organisation.pk])
    settings_url = reverse("venues:settings", args=[sample.grocery.pk])
    for mistake in VENUE_MISTAKES:
        reader.post(client, add, venue_data(**mistake))
        reader.post(client, settings_url, venue_data(**mistake))
    reader.post(client, add, venue_data())
    reader.post(client, settings_url, venue_data(pcr="yes", kiosk_only="on"))

    reader.assert_read()


def test_the_staff_forms_answer_in_the_language(language, sample, reader):
    admin = client_for(sample.owner, language)
    invite = reverse("venues:staff", args=[sample.grocery.pk])
    for phone in ["", "12345", "+1 202 555 0123", "+7 727 258 00 00"]:
        reader.post(admin, invite, {"phone": phone})
    reader.post(admin, invite, {"phone": "+7 701 555 77 88"})
    # The same number again within the hour: the invitation stands, no second SMS.
    reader.post(admin, invite, {"phone": "+7 701 555 77 88"})
    reader.post(admin, invite, {"phone": str(sample.citizens["blue"].phone)})
    reader.post(
        admin,
        reverse("venues:invitation_cancel", args=[sample.grocery.pk, sample.invitation.pk]),
        {},
    )
    reader.post(
        admin, reverse("venues:staff_remove", args=[sample.grocery.pk, sample.staff.pk]), {}
    )

    staff = client_for(sample.owner, language)
    scan = reverse("visits:staff", args=[sample.grocery.pk])
    green = sample.citizens["green"]
    for mode, value in [
        ("entry", ""),
        ("entry", "123"),
        ("entry", "90010130001X"),
        ("entry", "900101300010"),
        ("entry", PERSONAL_QR_PREFIX + "forged"),
        ("entry", "AQ2.not-a-code"),
        ("exit", new_iin()),
        ("entry", new_iin()),
        ("entry", personal_qr_token(green)),
        ("entry", personal_qr_token(sample.citizens["no_iin"])),
        ("entry", sample.citizens["red"].iin),
        ("exit", green.iin),
    ]:
        reader.post(staff, scan, {"q": value, "mode": mode}, label=f"{mode} {value[:16]}")
    tiny = reverse("visits:staff", args=[sample.tiny.pk])
    reader.post(staff, tiny, {"q": new_iin(), "mode": "entry"}, label="full")
    closed = reverse("visits:staff", args=[sample.closed.pk])
    reader.post(staff, closed, {"q": new_iin(), "mode": "entry"}, label="suspended")

    dashboard = reverse("visits:venue_dashboard", args=[sample.grocery.pk])
    for query in [
        "?day_from=вчера&day_to=2021-13-45",
        "?decision=1&status=күлгін",
        "?decision=denied&status=red",
        "?day_from=2020-01-01&decision=admitted",
    ]:
        reader.crawl(admin, dashboard + query)

    reader.assert_read()


def test_checking_in_and_out_answers_in_the_language(language, sample, reader):
    for colour, venue in [
        ("blue", sample.cafe),
        ("yellow", sample.cafe),
        ("yellow_nowhere", sample.pharmacy),
        ("red", sample.new),
        ("green", sample.kiosk),
        ("green", sample.closed),
        ("green", sample.tiny),
        ("no_iin", sample.grocery),
    ]:
        client = client_for(sample.citizens[colour], language)
        url = reverse("visits:venue_entry", args=[venue.code])
        reader.post(client, url, {"nonce": f"{colour}-{venue.pk}"}, label=colour)
    green = client_for(sample.citizens["green"], language)
    reader.post(green, reverse("visits:venue_entry", args=[sample.new.code]), {"nonce": "g"})
    open_visit = sample.citizens["green"].visits.get(checked_out_at__isnull=True, admitted=True)
    reader.post(green, reverse("visits:exit", args=[open_visit.pk]), {})
    reader.post(green, reverse("language"), {"language": language, "next": "/"})

    reader.assert_read()


def test_error_pages_speak_the_language(language, sample, reader):
    reader.crawl(client_for(language=language), "/no-such-page/")
    reader.crawl(
        client_for(sample.staff, language),
        reverse("venues:staff", args=[sample.cafe.pk]),
    )
    strict = Client(enforce_csrf_checks=True)
    strict.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    reader.check("CSRF", strict.post(reverse("account_request_login_code"), {"phone": "1"}))
    request = RequestFactory().get("/")
    with translation.override(language):
        for template in [
            "400.html",
            "403.html",
            "403_csrf.html",
            "404.html",
            "429.html",
            "500.html",
        ]:
            html = render_to_string(template, request=request)
            problems = page_problems(html, language, reader.neutral)
            if problems:
                reader.problems[template] = problems

    reader.assert_read()


def test_every_sms_speaks_the_language(
    language, sample, sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client_for(language=language).post(
            reverse("account_request_login_code"), {"phone": "87015551234"}
        )
    with django_capture_on_commit_callbacks(execute=True):
        client_for(sample.owner, language).post(
            reverse("venues:staff", args=[sample.grocery.pk]), {"phone": "87015554321"}
        )
    contact = person("Сәуле Ахметова", language=language)
    with django_capture_on_commit_callbacks(execute=True):
        give_status(contact.iin, "yellow")
    tested = person("Бақыт Омаров", language=language)
    with django_capture_on_commit_callbacks(execute=True):
        give_status(tested.iin, "green", hours_left=6)
        warn_expiring(timezone.now() + datetime.timedelta(minutes=1))

    kinds = {
        "sign-in code": "+77015551234",
        "invitation": "+77015554321",
        "yellow status": str(contact.phone),
        "green status": str(tested.phone),
        "green status ends": str(tested.phone),
    }
    assert [sms.to for sms in sms_outbox] == list(kinds.values())
    texts = dict(zip(kinds, (sms.text for sms in sms_outbox), strict=True))
    english = {kind: english_in_text(text) for kind, text in texts.items()}
    assert {kind: words for kind, words in english.items() if words} == {}, texts


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_django_own_form_messages_are_in_the_language(language, sample, reader):
    owner = client_for(sample.owner, language)
    organisation = {"org-bin": "050140001246", "org-legal_name": "ТОО «Арман»"}
    for mistake in UNTRANSLATED_BY_DJANGO:
        reader.post(
            owner, reverse("venues:register"), {**venue_data("venue-", **mistake), **organisation}
        )
        reader.post(
            owner, reverse("venues:add", args=[sample.organisation.pk]), venue_data(**mistake)
        )
        reader.post(
            owner, reverse("venues:settings", args=[sample.grocery.pk]), venue_data(**mistake)
        )
    register = reverse("venues:register")
    for field, value in [("org-bin", "1" * 21), ("org-legal_name", "А" * 301)]:
        reader.post(owner, register, {**venue_data("venue-"), **organisation, field: value})
    scan = reverse("visits:staff", args=[sample.grocery.pk])
    reader.post(owner, scan, {"q": "1" * 201, "mode": "entry"}, label="201 digits")
    isolation = client_for(sample.citizens["yellow_nowhere"], language)
    for address, latitude in [
        ("Абай даңғылы 12", "43.238949123456"),
        ("Абай даңғылы 12", "1234567.5"),
        ("А" * 301, "43.2395"),
    ]:
        reader.post(
            isolation,
            reverse("visits:isolation_point"),
            {"address": address, "latitude": latitude, "longitude": "76.8899"},
        )

    reader.assert_read()


def test_answer_screens_and_a_fixed_isolation_place_speak_the_language(language, sample, reader):
    # Admitted while blue, red since: the answer page and the venue page both
    # say so, with the status at entry and now.
    turned = person("Нұрлан Әбенов", language=language)
    client = client_for(turned, language)
    client.post(reverse("visits:venue_entry", args=[sample.grocery.code]), {"nonce": "turned"})
    give_status(turned.iin, "red")
    visit = turned.visits.get()
    reader.crawl(
        client,
        reverse("visits:detail", args=[visit.pk]),
        reverse("visits:venue_entry", args=[sample.grocery.code]),
    )
    # A place of isolation the sanitary service set: shown, and a POST refused.
    fixed = sample.citizens["yellow"]
    IsolationPoint.objects.filter(iin=fixed.iin).update(set_by_epidemiologist=True)
    isolation = client_for(fixed, language)
    reader.crawl(isolation, reverse("visits:isolation_point"))
    reader.post(
        isolation,
        reverse("visits:isolation_point"),
        {"address": "Достық 5", "latitude": "43.2", "longitude": "76.9"},
    )

    reader.assert_read("visits:detail", "visits:venue_entry", "visits:isolation_point")
