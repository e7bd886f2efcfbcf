"""The organisation dashboard: dates typed in the page's language, bars with numbers."""

import datetime
import re
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from visits.tests.conftest import make_venue, make_visit

pytestmark = pytest.mark.django_db

ALMATY = zoneinfo.ZoneInfo("Asia/Almaty")


@pytest.fixture
def venue_and_owner(settings, time_machine):
    settings.TIME_ZONE = "Asia/Almaty"
    time_machine.move_to(datetime.datetime(2021, 9, 20, 12, 0, tzinfo=ALMATY), tick=False)
    venue = make_venue()
    now = timezone.now()
    for hours_ago in (1, 2, 26):
        make_visit(venue, checked_in_at=now - datetime.timedelta(hours=hours_ago))
    make_visit(
        venue,
        checked_in_at=now - datetime.timedelta(days=3),
        admitted=False,
        denial_code="red",
        status="red",
    )
    return venue, venue.organisation.admin


def dashboard(client, owner, venue, language: str, query: str = "") -> str:
    client.force_login(owner)
    client.cookies["django_language"] = language
    url = reverse("visits:venue_dashboard", args=[venue.pk]) + query
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    ("language", "hint", "help_text"),
    [
        ("kk", "КК.АА.ЖЖЖЖ", "Пішімі: КК.АА.ЖЖЖЖ"),
        ("ru", "ДД.ММ.ГГГГ", "Формат: ДД.ММ.ГГГГ"),
    ],
)
def test_date_filters_say_the_format_of_the_language(
    client, venue_and_owner, language, hint, help_text
):
    venue, owner = venue_and_owner

    html = dashboard(client, owner, venue, language, "?day_from=14.09.2021")

    field = re.search(r'<input[^>]*name="day_from"[^>]*>', html).group(0)
    # A text box, not the browser's date picker with its own mm/dd/yyyy.
    assert 'type="text"' in field
    assert f'placeholder="{hint}"' in field
    assert 'value="14.09.2021"' in field
    assert html.count(help_text) == 2


@pytest.mark.parametrize("typed", ["14.09.2021", "2021-09-14"])
def test_a_date_typed_as_shown_filters_the_log(client, venue_and_owner, typed):
    venue, owner = venue_and_owner
    today = timezone.localdate()
    shown = f"{today:%d.%m.%Y}" if "." in typed else f"{today:%Y-%m-%d}"

    html = dashboard(client, owner, venue, "kk", f"?day_from={shown}&day_to={shown}")

    assert 'class="error"' not in html
    log = html[html.index('class="dashboard-log"') :]
    assert log.count("<tr>") - 1 == 2  # the header row, then today's two visits


def test_the_seven_day_bars_carry_their_numbers(client, venue_and_owner):
    venue, owner = venue_and_owner

    html = dashboard(client, owner, venue, "kk")

    numbers = re.findall(r'<span class="bar-value">(\d+)</span>', html)
    assert len(numbers) == 7
    assert sorted(int(number) for number in numbers if number != "0") == [1, 1, 2]
    # Two columns on a desktop: the summary and the log.
    assert '<body class="wide">' in html
    assert html.index('class="dashboard-summary"') < html.index('class="dashboard-log"')
