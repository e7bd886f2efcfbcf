import datetime
import re

import pytest
import segno
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils.html import escape

from accounts.models import User
from accounts.personal_qr import personal_qr_resolve, personal_qr_token
from statuses.models import StatusInfo, StatusRecord

pytestmark = pytest.mark.django_db

HOME_URL = reverse("home")
IIN = "061211600012"
PHONE = "+77011234567"
# 12:00 in Almaty (UTC+6 in 2021): the page shows local dates.
NOW = datetime.datetime(2021, 9, 10, 6, 0, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)
DASH = "\N{EN DASH}"

TITLES = {
    "en": {"green": "Green", "blue": "Blue", "yellow": "Yellow", "red": "Red"},
    "ru": {"green": "Зелёный", "blue": "Синий", "yellow": "Жёлтый", "red": "Красный"},
    "kk": {"green": "Жасыл", "blue": "Көк", "yellow": "Сары", "red": "Қызыл"},
}
RED_CARD = {
    "en": ("Valid until 19.09.2021 12:00", "Based on: positive PCR test"),
    "ru": ("Действует до 19.09.2021 12:00", "Основание: положительный ПЦР-тест"),
    "kk": ("Жарамдылық мерзімі: 19.09.2021 12:00", "Негіздеме: оң ПТР-тест"),
}


@pytest.fixture(autouse=True)
def _frozen(settings):
    settings.TIME_ZONE = "Asia/Almaty"
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def person() -> User:
    return User.objects.create_user(PHONE, iin=IIN, full_name="Aigerim Nurlanovna", language="ru")


def browser(client, language: str = "en", user: User | None = None):
    if user is not None:
        client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def record(status: str, source: str, valid_from, valid_until, **extra) -> StatusRecord:
    return StatusRecord.objects.create(
        iin=extra.pop("iin", IIN),
        status=status,
        source=source,
        valid_from=valid_from,
        valid_until=valid_until,
        **extra,
    )


def card(html: str) -> str:
    return re.search(r'<section class="status-card.*?</section>', html, re.S).group()


def test_home_for_anonymous_is_the_welcome_page(client):
    response = browser(client).get(HOME_URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Ashyq keeps venues open safely</h1>" in html
    assert '<a class="button big" href="/accounts/login/code/">Sign in</a>' in html
    assert "status-card" not in html


def test_home_without_iin_asks_for_it(client):
    user = User.objects.create_user(PHONE, language="ru")

    response = browser(client, user=user).get(HOME_URL)

    html = response.content.decode()
    assert '<h1 class="status-name">Not known yet</h1>' in html
    assert '<a class="button big" href="/profile/">Add my IIN</a>' in html
    assert "<svg" not in html


@pytest.mark.parametrize("language", ["en", "ru", "kk"])
def test_home_shows_a_red_status_in_the_language(client, person, language):
    record("green", "vaccination", NOW - 30 * DAY, NOW + 300 * DAY)
    record("red", "pcr_positive", NOW - DAY, NOW + 9 * DAY)
    info = StatusInfo.objects.get(status="red")

    response = browser(client, language, person).get(HOME_URL)

    html = response.content.decode()
    status_card = card(html)
    assert status_card.startswith('<section class="status-card status-red"')
    assert f'<h1 id="status-title" class="status-name">{TITLES[language]["red"]}</h1>' in (
        status_card
    )
    until, source = RED_CARD[language]
    assert f'<p class="status-until">{until}</p>' in status_card
    assert f'<p class="status-source">{source}</p>' in status_card
    assert f"<p>{escape(getattr(info, f'meaning_{language}'))}</p>" in html
    assert f"<p>{escape(getattr(info, f'where_allowed_{language}'))}</p>" in html


def test_home_explains_red_in_english_words(client, person):
    record("red", "pcr_positive", NOW - DAY, NOW + 9 * DAY)

    html = browser(client, "en", person).get(HOME_URL).content.decode()

    assert "<h2>What it means</h2>" in html
    assert (
        "<p>You are a confirmed case under outpatient observation: strict home isolation.</p>"
        in html
    )
    assert "<h2>Where you may go</h2>" in html
    assert "<p>Nowhere. Stay at home; call 1406 or your clinic if you feel worse.</p>" in html


def test_home_without_records_is_blue(client, person):
    record("red", "pcr_positive", NOW - 20 * DAY, NOW - 10 * DAY)
    record("red", "pcr_positive", NOW - DAY, NOW + 9 * DAY, iin="950101300016")

    html = browser(client, "en", person).get(HOME_URL).content.decode()

    status_card = card(html)
    assert status_card.startswith('<section class="status-card status-blue"')
    assert '<h1 id="status-title" class="status-name">Blue</h1>' in status_card
    assert "status-until" not in status_card
    assert "status-source" not in status_card


def test_home_with_no_history_says_so(client, person):
    html = browser(client, "en", person).get(HOME_URL).content.decode()

    assert "<p>No test results, vaccinations or other records yet.</p>" in html
    assert 'class="history-item"' not in html


@pytest.mark.parametrize(
    ("status", "source", "title"),
    [
        ("green", "pcr_negative", "Green"),
        ("yellow", "contact", "Yellow"),
        ("red", "pcr_positive", "Red"),
    ],
)
def test_home_status_colour_always_carries_its_name(client, person, status, source, title):
    record(status, source, NOW - DAY, NOW + 5 * DAY)

    html = browser(client, "en", person).get(HOME_URL).content.decode()

    status_card = card(html)
    assert status_card.startswith(f'<section class="status-card status-{status}"')
    assert re.sub(r"<[^>]+>", "", status_card).split() == [
        "Your",
        "status",
        *person.full_name.split(),
        title,
        "Valid",
        "until",
        "15.09.2021",
        "12:00",
        "Based",
        "on:",
        *{"green": ["negative", "PCR", "test"], "yellow": ["contact", "with", "a", "case"]}.get(
            status, ["positive", "PCR", "test"]
        ),
    ]


def test_home_history_lists_the_records_newest_first(client, person):
    record("green", "vaccination", NOW - 200 * DAY, NOW + 165 * DAY)
    record("yellow", "contact", NOW - 40 * DAY, NOW - 26 * DAY)
    record(
        "red",
        "pcr_positive",
        NOW - 5 * DAY,
        NOW + 5 * DAY,
        lifted_at=NOW - 2 * DAY,
        lift_reason="false positive",
    )
    record("green", "recovery", NOW + 5 * DAY, NOW + 95 * DAY)

    html = browser(client, "en", person).get(HOME_URL).content.decode()

    items = re.findall(r'<li class="history-item">(.*?)</li>', html, re.S)
    assert [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in items] == [
        f"Green · recovery 15.09.2021 {DASH} 14.12.2021",
        f"Red · positive PCR test 05.09.2021 {DASH} 15.09.2021 · lifted on 08.09.2021",
        f"Yellow · contact with a case 01.08.2021 {DASH} 15.08.2021",
        f"Green · vaccination 22.02.2021 {DASH} 22.02.2022",
    ]
    assert '<span class="dot status-red" aria-hidden="true"></span>' in items[1]


def test_home_shows_a_personal_qr_that_is_not_the_iin(client, person):
    record("green", "pcr_negative", NOW - DAY, NOW + 6 * DAY)

    html = browser(client, "en", person).get(HOME_URL).content.decode()

    qr = re.search(r'<div id="qr" class="qr" role="img"[^>]*>(.*?)</div>', html, re.S).group(1)
    assert qr.startswith("<svg")
    token = personal_qr_token(person)
    assert qr == segno.make_qr(token, error="m").svg_inline(
        scale=5, border=2, dark="#000", light="#fff", omitsize=True
    )
    assert personal_qr_resolve(token) == person
    assert IIN not in token


@pytest.mark.parametrize("language", ["en", "ru", "kk"])
def test_home_never_shows_the_iin(client, person, language):
    record("red", "pcr_positive", NOW - DAY, NOW + 9 * DAY, note=f"case {IIN}")

    response = browser(client, language, person).get(HOME_URL)

    assert IIN not in response.content.decode()


def test_home_is_never_cached(client, person):
    response = browser(client, "en", person).get(HOME_URL)

    assert "no-store" in response["Cache-Control"]
    assert "max-age=0" in response["Cache-Control"]


def test_home_query_count_stays_small(client, person, django_assert_num_queries):
    for days in range(5):
        record("green", "pcr_negative", NOW - (days * 10 + 1) * DAY, NOW - (days * 10 - 6) * DAY)
    browser(client, "en", person)

    # The account (cold cache after signing in), the records deciding the status,
    # the status explanation, the history, the venues this person works at; the
    # session is one read more where it is not kept in the cache.
    cached_sessions = settings.SESSION_ENGINE.endswith("cached_db")
    with django_assert_num_queries(5 if cached_sessions else 6):
        response = client.get(HOME_URL)

    assert response.content.decode().count('class="history-item"') == 5
