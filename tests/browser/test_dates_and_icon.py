"""Kazakh dates in a real browser (an admin page and a portal page) and the app icon."""

import datetime
import re

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import expect

from statuses.models import StatusRecord
from tests.browser.support import screenshot, sign_in
from tests.sample import give_status, new_iin, person, venue
from venues.models import Organisation
from visits.models import Visit

# A desktop screen: the admin and the organisation dashboard are used on one.
pytestmark = [pytest.mark.browser, pytest.mark.desktop]

KAZAKH_MONTHS = "қаңтар|ақпан|наурыз|сәуір|мамыр|маусым|шілде|тамыз|қыркүйек|қазан|қараша|желтоқсан"
# "30 қараша 2026 ж., 06:38": day, month in lower case, year, a 24-hour clock.
KAZAKH_DATETIME = re.compile(rf"\b\d{{1,2}} ({KAZAKH_MONTHS}) \d{{4}} ж\., \d{{2}}:\d{{2}}\b")


def test_an_admin_page_writes_dates_the_kazakh_way(page, context, live_server):
    epidemiologist = person("Гүлнар Әбенова", language="kk", is_staff=True)
    epidemiologist.groups.add(Group.objects.get(name="epidemiologist"))
    record = give_status(new_iin(), "red")
    sign_in(context, live_server.url, epidemiologist, "kk")

    page.goto(f"/admin/statuses/statusrecord/{record.pk}/change/")

    valid_from = page.locator(".field-valid_from .readonly")
    expect(valid_from).to_have_text(KAZAKH_DATETIME)
    local = timezone.localtime(record.valid_from)
    assert valid_from.inner_text().endswith(f"{local:%H:%M}")
    body = page.locator("#content").inner_text()
    assert "Т.Ж." not in body and "Т.Қ." not in body and "түсқайта" not in body

    # The add form: dates typed as 30.11.2026, and the calendar in Kazakh, Monday first.
    page.goto("/admin/statuses/statusrecord/add/")
    expect(page.locator("#id_valid_from_0")).to_have_value(re.compile(r"^\d{2}\.\d{2}\.\d{4}$"))
    page.locator("#calendarlink0").click()
    calendar = page.locator("#calendarbox0")
    expect(calendar.locator("caption")).to_have_text(re.compile(rf"^({KAZAKH_MONTHS}) \d{{4}}$"))
    expect(calendar.locator("th").first).to_have_text("Д")
    screenshot(page, "admin-kk-dates")


def test_a_portal_page_takes_dates_the_kazakh_way(page, context, live_server):
    owner = person("Асхат Иманов", language="kk")
    organisation = Organisation.objects.create(
        bin="050140001238", legal_name="ТОО «Жарық»", admin=owner
    )
    grocery = venue(organisation, "Жарық дүкені", "Магазин «Жарык»", "Zharyq Store", "grocery")
    today = timezone.localtime()
    Visit.objects.create(
        venue=grocery,
        iin=new_iin(),
        method=Visit.Method.STAFF_IIN,
        status="blue",
        admitted=True,
        checked_in_at=today - datetime.timedelta(minutes=5),
    )
    sign_in(context, live_server.url, owner, "kk")

    page.goto(f"/dashboard/{grocery.pk}/")
    day_from = page.locator("#id_day_from")
    # A text box that says how to write the date, not the browser's mm/dd/yyyy picker.
    expect(day_from).to_have_attribute("type", "text")
    expect(day_from).to_have_attribute("placeholder", "КК.АА.ЖЖЖЖ")
    typed = f"{today:%d.%m.%Y}"
    day_from.fill(typed)
    page.locator("#id_day_to").fill(typed)
    page.get_by_role("button", name="Көрсету").click()

    expect(page.locator("#id_day_from")).to_have_value(typed)
    expect(page.locator(".dashboard-log .error")).to_have_count(0)
    expect(page.locator(".dashboard-log tbody tr")).to_have_count(1)
    # On a 1280 px screen the log stands next to the summary, not under it.
    summary = page.locator(".dashboard-summary").bounding_box()
    log = page.locator(".dashboard-log").bounding_box()
    assert log["x"] > summary["x"] + summary["width"] - 1
    screenshot(page, "dashboard-kk-desktop")


def test_the_app_icon_and_manifest_load(page, context, live_server):
    page.goto("/language/")

    favicon = page.request.get("/favicon.ico")
    assert favicon.status == 200
    assert favicon.headers["content-type"] in {"image/x-icon", "image/vnd.microsoft.icon"}

    manifest_url = page.locator('link[rel="manifest"]').get_attribute("href")
    manifest = page.request.get(manifest_url).json()
    assert manifest["start_url"] == "/"
    for icon in [
        *manifest["icons"],
        {"src": page.locator('link[rel="icon"]').first.get_attribute("href")},
    ]:
        answer = page.request.get(icon["src"])
        assert answer.status == 200, icon["src"]
        assert answer.headers["content-type"].startswith("image/"), icon["src"]


def test_the_admin_list_writes_dates_the_kazakh_way(page, context, live_server):
    # The changelist formats dates itself (display_for_field), the same way.
    epidemiologist = person("Гүлнар Әбенова", language="kk", is_staff=True)
    epidemiologist.groups.add(Group.objects.get(name="epidemiologist"))
    give_status(new_iin(), "yellow")
    sign_in(context, live_server.url, epidemiologist, "kk")

    page.goto("/admin/statuses/statusrecord/")

    expect(page.locator("td.field-valid_from").first).to_have_text(KAZAKH_DATETIME)
    assert StatusRecord.objects.count() == 1
