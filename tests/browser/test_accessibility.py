"""docs/rules.md §8: the citizen pages work at 200 % zoom and with a keyboard alone.

200 % zoom on a 390 px phone is a 195 x 422 CSS px viewport. axe-core runs on
every page of the citizen flow in test_citizen.py; here it runs on the pages
that flow does not reach.
"""

import re
from collections.abc import Iterator

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts import sms
from tests.browser.conftest import PHONE
from tests.browser.support import check_axe, screenshot, sideways_overflow, sign_in, t
from tests.sample import give_status, new_iin, person
from venues.models import Venue
from visits.models import IsolationPoint, StatusLookup

pytestmark = pytest.mark.browser

ZOOMED = {**PHONE, "viewport": {"width": 195, "height": 422}}
FOCUS_VISIBLE = """() => {
    const element = document.activeElement;
    const style = getComputedStyle(element);
    const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
    return outline || style.boxShadow !== "none";
}"""
FOCUSED = """() => {
    const element = document.activeElement;
    return [element.tagName.toLowerCase(), element.textContent.trim(), element.id,
            element.closest("form.lang-switch") !== null];
}"""


def citizen_pages(page, grocery: Venue, language: str) -> Iterator[str]:
    """Walk a new citizen through every page of the main flow, naming each."""
    iin = new_iin()
    give_status(iin, "green")
    page.goto("/")
    yield "language choice"
    page.locator(f'button[name="language"][value="{language}"]').click()
    expect(page).to_have_url(re.compile(r"/$"))
    yield "welcome"
    page.goto("/accounts/login/code/")
    yield "sign in"
    page.get_by_label(t(language, "Mobile phone number")).fill("+7 701 555 12 34")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/confirm/$"))
    yield "code"
    code = re.search(r"\b\d{6}\b", sms.outbox[-1].text).group()
    page.get_by_label(t(language, "Code from the SMS")).fill(code)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/profile/"))
    yield "profile"
    page.get_by_label(t(language, "Full name")).fill("Айгерім Сәрсенова-Жұмабаева")
    page.get_by_label(t(language, "IIN")).fill(iin)
    page.keyboard.press("Enter")
    expect(page.locator(".status-card")).to_be_visible()
    yield "status"
    page.goto("/account/")
    yield "account"
    page.goto(f"/v/{grocery.code}/")
    yield "venue"
    page.get_by_role("button", name=t(language, "Enter"), exact=True).click()
    expect(page.locator(".answer")).to_be_visible()
    yield "answer"
    page.goto("/visits/")
    yield "my visits"
    # A look-up by the venue's staff, as the door would record it.
    StatusLookup.objects.create(
        venue=grocery, iin=iin, recorded_by=grocery.organisation.admin, looked_up_at=timezone.now()
    )
    page.goto("/visits/lookups/")
    expect(page.locator(".history-item")).to_have_count(1)
    yield "who checked my status"


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_citizen_pages_need_no_sideways_scrolling_at_200_percent_zoom(
    browser, live_server, grocery, language
):
    context = browser.new_context(base_url=live_server.url, **ZOOMED)
    page = context.new_page()
    try:
        wide = {}
        for name in citizen_pages(page, grocery, language):
            overflow = sideways_overflow(page)
            if overflow:
                wide[name] = overflow
                screenshot(page, f"zoom-200-{name}-{language}")
    finally:
        context.close()

    assert wide == {}, "\n".join(f"{name}: {' | '.join(found)}" for name, found in wide.items())


def test_the_personal_qr_is_whole_at_200_percent_zoom(browser, live_server):
    """Staff scan the status page's QR; at 200 % zoom it must still be all there."""
    from tests.browser.test_venue_people import qr_contents

    citizen = person("Айгерім Сәрсенова")
    give_status(citizen.iin, "green")
    context = browser.new_context(base_url=live_server.url, **ZOOMED)
    sign_in(context, live_server.url, citizen, "kk")
    page = context.new_page()
    try:
        page.goto("/")
        screenshot(page, "zoom-200-status-kk")
        contents = qr_contents(page.locator("#qr").screenshot())
    finally:
        context.close()

    assert len(contents) == 1
    assert contents[0].startswith("AQ1.")


def tab_through(page, presses: int = 25) -> list[tuple[str, str, str, bool]]:
    """Press Tab; after each press, what has focus (checking that it shows)."""
    seen = []
    for _ in range(presses):
        page.keyboard.press("Tab")
        tag, text, element_id, in_switch = page.evaluate(FOCUSED)
        if tag == "body":
            break
        assert page.evaluate(FOCUS_VISIBLE), f"focus is not visible on <{tag}> {text!r}"
        seen.append((tag, text, element_id, in_switch))
    return seen


def tab_to(page, *, text: str = "", element_id: str = "", presses: int = 25) -> None:
    """Press Tab until the element with this text or id has focus."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        _tag, focused_text, focused_id, _switch = page.evaluate(FOCUSED)
        assert page.evaluate(FOCUS_VISIBLE), f"focus is not visible on {focused_text!r}"
        if (text and focused_text == text) or (element_id and focused_id == element_id):
            return
    raise AssertionError(f"Tab never reached {text or element_id!r}")


def test_a_keyboard_reaches_the_language_switch_and_the_enter_button(
    page, context, live_server, grocery
):
    citizen = person("Айгерім Сәрсенова")
    give_status(citizen.iin, "green")
    sign_in(context, live_server.url, citizen, "kk")
    page.goto(f"/v/{grocery.code}/")

    focused = tab_through(page)

    names = [text for _tag, text, _id, _switch in focused]
    assert names[0] == t("kk", "Skip to content")
    assert [text for _tag, text, _id, switch in focused if switch] == ["Русский", "English"]
    assert t("kk", "Enter") in names
    page.goto(f"/v/{grocery.code}/")
    tab_to(page, text=t("kk", "Enter"))
    screenshot(page, "keyboard-focus-on-enter-kk")
    page.keyboard.press("Enter")
    expect(page.locator(".answer")).to_have_class(re.compile(r"\banswer-yes\b"))


def test_a_keyboard_chooses_the_language_and_asks_for_a_code(page, live_server):
    page.goto("/")
    tab_to(page, text="Русский", presses=3)
    screenshot(page, "keyboard-focus-on-language-ru")
    page.keyboard.press("Enter")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    tab_to(page, text=t("ru", "Sign in"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/accounts/login/code/$"))
    tab_to(page, element_id="id_phone")
    page.keyboard.type("8 701 555 12 34")
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/confirm/$"))
    expect(page.get_by_label(t("ru", "Code from the SMS"))).to_be_focused()
    assert sms.outbox[-1].to == "+77015551234"


def test_the_pages_around_the_flow_pass_axe(page, context, live_server, grocery):
    citizen = person("Айгерім Сәрсенова")
    give_status(citizen.iin, "yellow")
    sign_in(context, live_server.url, citizen, "ru")
    for url in ["/", "/account/", "/profile/", "/profile/isolation/", "/visits/", "/no-such/"]:
        page.goto(url)
        check_axe(page)
    # Yellow with no place of isolation: refused before "Enter", with the reason.
    page.goto(f"/v/{grocery.code}/")
    expect(page.locator(".verdict")).to_be_visible()
    check_axe(page)
    IsolationPoint.objects.create(
        iin=citizen.iin,
        address="Абай даңғылы 12",
        latitude=grocery.latitude,
        longitude=grocery.longitude,
    )
    page.goto(f"/v/{grocery.code}/")
    page.get_by_role("button", name=t("ru", "Enter"), exact=True).click()
    expect(page.locator(".answer")).to_be_visible()
    check_axe(page)
    page.goto(f"/v/{grocery.code}/")
    check_axe(page)
