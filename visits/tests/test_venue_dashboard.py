"""The organisation dashboard: dates typed in the page's language, bars with numbers,
the visit log as a streamed CSV."""

import csv
import datetime
import io
import re
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.identifiers import mask_iin
from visits.exports import BOM, visit_log_rows
from visits.models import Visit
from visits.tests.budgets import session_queries
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


def export(client, owner, venue, language: str) -> tuple[object, list[list[str]]]:
    client.force_login(owner)
    client.cookies["django_language"] = language
    response = client.get(reverse("visits:venue_export", args=[venue.pk]))
    assert response.streaming
    content = b"".join(response.streaming_content)
    assert content.startswith(BOM.encode())
    return response, list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_the_log_is_streamed_with_masked_iins_newest_first(client, venue_and_owner):
    venue, owner = venue_and_owner
    visits = list(Visit.objects.filter(venue=venue).order_by("-checked_in_at"))

    response, rows = export(client, owner, venue, "en")

    assert response["Content-Disposition"] == (
        f'attachment; filename="ashyq-visits-{venue.pk}.csv"'
    )
    assert rows[0] == ["Checked in", "Checked out", "IIN", "Status", "Decision", "Reason", "How"]
    assert [row[2] for row in rows[1:]] == [mask_iin(visit.iin) for visit in visits]
    assert rows[1] == [
        "2021-09-20 11:00",
        "",
        mask_iin(visits[0].iin),
        "Green",
        "admitted",
        "",
        "self scan",
    ]
    denied = ["2021-09-17 12:00", "", mask_iin(visits[3].iin), "Red", "denied", "red status"]
    assert rows[4] == [*denied, "self scan"]


def test_the_streamed_file_speaks_the_language_of_the_page(client, venue_and_owner):
    venue, owner = venue_and_owner

    _, rows = export(client, owner, venue, "kk")

    assert rows[0][0] == "Кірген уақыты"
    assert rows[4][4] == "кіргізілмеді"


def test_the_rows_come_from_a_cursor_not_a_list(venue_and_owner):
    # A list of a year of a mall's visits would not fit in a worker's memory.
    venue, _ = venue_and_owner
    visits = Visit.objects.filter(venue=venue).order_by("checked_in_at")

    rows = list(visit_log_rows(visits, full=False))

    assert len(rows) == 4
    assert visits._result_cache is None


def test_the_venue_dashboard_takes_a_fixed_number_of_queries(
    client, venue_and_owner, django_assert_num_queries
):
    venue, owner = venue_and_owner
    dashboard(client, owner, venue, "en")  # the account is in the cache from now on

    # The venue with its organisation, region and category (whether the viewer
    # administers it and its capacity need no more), today's counts, the seven
    # days, the log's count and its page, people inside.
    with django_assert_num_queries(6 + session_queries()):
        response = client.get(reverse("visits:venue_dashboard", args=[venue.pk]))

    html = response.content.decode()
    log = html[html.index('class="dashboard-log"') :]
    assert log.count("<tr>") - 1 == 4


def test_the_dashboard_of_all_venues_takes_a_fixed_number_of_queries(
    client, venue_and_owner, django_assert_num_queries
):
    venue, owner = venue_and_owner
    other = make_venue(admin=owner, name="Cafe", name_kk="Cafe")
    make_visit(other, checked_in_at=timezone.now())
    client.force_login(owner)
    url = reverse("visits:dashboard")
    client.get(url)  # the account is in the cache from now on

    # The venues with their category, region and zone, people inside each, and
    # today's counts of each: the same for two venues as for two hundred.
    with django_assert_num_queries(3 + session_queries()):
        response = client.get(url)

    html = response.content.decode()
    assert html.count(f'href="{reverse("visits:venue_dashboard", args=[other.pk])}"') == 1
    assert html.count(f'href="{reverse("visits:venue_dashboard", args=[venue.pk])}"') == 1


def test_the_export_takes_a_fixed_number_of_queries(
    client, venue_and_owner, django_assert_num_queries
):
    venue, owner = venue_and_owner
    export(client, owner, venue, "en")

    # The venue the viewer administers, then the rows through one cursor.
    with django_assert_num_queries(2 + session_queries()):
        response = client.get(reverse("visits:venue_export", args=[venue.pk]))
        content = b"".join(response.streaming_content)

    assert content.decode("utf-8-sig").count("\r\n") == 5
