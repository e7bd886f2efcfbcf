"""A yellow citizen gives the place of home isolation from the phone's location."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.browser.support import assert_speaks, check_page, screenshot, sign_in, t
from tests.sample import give_status, person
from visits.models import IsolationPoint

pytestmark = pytest.mark.browser

HOME = {"latitude": 43.2395123, "longitude": 76.8899456}


def test_use_my_current_location_fills_the_coordinates(page, context, live_server):
    citizen = person("Дана Нұрланова", language="kk")
    give_status(citizen.iin, "yellow")
    context.grant_permissions(["geolocation"], origin=live_server.url)
    context.set_geolocation(HOME)
    sign_in(context, live_server.url, citizen, "kk")

    page.goto("/profile/isolation/")
    page.get_by_label(t("kk", "Address of home isolation")).fill("Абай даңғылы 12, 5-пәтер")
    page.get_by_role("button", name=t("kk", "Use my current location")).tap()

    expect(page.get_by_label(t("kk", "Latitude"))).to_have_value("43.239512")
    expect(page.get_by_label(t("kk", "Longitude"))).to_have_value("76.889946")
    expect(page.get_by_role("status")).to_have_text(t("kk", "Location found: check it and save."))
    check_page(page, "kk")
    screenshot(page, "citizen-isolation-located-kk")
    page.get_by_role("button", name=t("kk", "Save")).tap()

    expect(page).to_have_url(re.compile(r"/account/$"))
    point = IsolationPoint.objects.get(iin=citizen.iin)
    assert (point.latitude, point.longitude) == (Decimal("43.239512"), Decimal("76.889946"))
    assert (point.updated_by, point.set_by_epidemiologist) == (citizen, False)


def test_a_refused_location_leaves_the_fields_to_type(page, context, live_server):
    citizen = person("Мария Ким", language="ru")
    give_status(citizen.iin, "yellow")
    # No permission granted: the browser refuses, as when a person says no.
    sign_in(context, live_server.url, citizen, "ru")

    page.goto("/profile/isolation/")
    page.get_by_role("button", name=t("ru", "Use my current location")).tap()

    expect(page.get_by_role("status")).to_have_text(
        t("ru", "The location is not available. Type the coordinates, or copy them from a map.")
    )
    expect(page.get_by_label(t("ru", "Latitude"))).to_be_editable()
    assert_speaks(page, "ru")


def test_without_javascript_the_coordinates_are_typed(browser, live_server):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        citizen = person("Дана Нұрланова", language="kk")
        give_status(citizen.iin, "yellow")
        sign_in(context, live_server.url, citizen, "kk")
        page = context.new_page()

        page.goto("/profile/isolation/")

        expect(page.get_by_role("button", name=t("kk", "Use my current location"))).to_be_hidden()
        page.get_by_label(t("kk", "Address of home isolation")).fill("Абай даңғылы 12")
        page.get_by_label(t("kk", "Latitude")).fill("43.2395")
        page.get_by_label(t("kk", "Longitude")).fill("76.8899")
        page.get_by_role("button", name=t("kk", "Save")).click()

        expect(page).to_have_url(re.compile(r"/account/$"))
        assert IsolationPoint.objects.get(iin=citizen.iin).latitude == Decimal("43.239500")
    finally:
        context.close()
