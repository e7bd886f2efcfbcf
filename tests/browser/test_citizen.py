"""A citizen on a phone: sign in by SMS, see the status, check in at a venue, leave."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts import sms
from statuses.selectors import status_info
from tests.browser.support import assert_speaks, check_axe, screenshot, sign_in, t
from tests.pages import english_in_text
from tests.sample import give_status, new_iin, person, venue
from visits.models import Visit
from visits.rules import DENIALS

pytestmark = pytest.mark.browser


def test_a_citizen_signs_in_checks_in_and_leaves(page, live_server, organisation):
    grocery = venue(organisation, "Жарық дүкені", "Магазин «Жарык»", "Zharyq Store", "grocery")
    # Lab results arrive by IIN, before the person has an account (docs/rules.md §1).
    iin = new_iin()
    give_status(iin, "green", hours_left=24 * 6)

    page.goto("/")
    expect(page).to_have_url(re.compile(r"/language/"))
    check_axe(page)
    page.get_by_role("button", name="Қазақша").tap()

    expect(page).to_have_url(live_server.url + "/")
    assert_speaks(page, "kk")
    check_axe(page)
    page.get_by_role("link", name=t("kk", "Sign in")).tap()

    expect(page).to_have_url(re.compile(r"/accounts/login/code/$"))
    assert_speaks(page, "kk")
    check_axe(page)
    page.get_by_label(t("kk", "Mobile phone number")).fill("8 701 555 12 34")
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/accounts/login/code/confirm/"))
    assert_speaks(page, "kk")
    check_axe(page)
    # The live server runs in a thread of this process: its SMS land in this outbox.
    message = sms.outbox[-1]
    assert message.to == "+77015551234"
    assert english_in_text(message.text) == []
    code = re.search(r"\b\d{6}\b", message.text).group()
    page.get_by_label(t("kk", "Code from the SMS")).fill(code)
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/profile/"))
    assert_speaks(page, "kk")
    check_axe(page)
    page.get_by_label(t("kk", "Full name")).fill("Айгерім Сәрсенова")
    page.get_by_label(t("kk", "IIN")).fill(iin)
    page.get_by_role("button", name=t("kk", "Save")).tap()

    expect(page).to_have_url(live_server.url + "/")
    card = page.locator(".status-card")
    expect(card).to_have_class(re.compile(r"\bstatus-green\b"))
    expect(card.locator(".status-name")).to_have_text(status_info("green").title_kk)
    expect(card).to_contain_text(t("kk", "Your status"))
    assert_speaks(page, "kk")
    check_axe(page)
    screenshot(page, "citizen-status-card-kk")

    page.goto(f"/v/{grocery.code}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Жарық дүкені")
    assert_speaks(page, "kk")
    check_axe(page)
    page.get_by_role("button", name=t("kk", "Enter"), exact=True).tap()

    # "Enter" is answered with the answer page, which names its own address.
    expect(page).to_have_url(re.compile(r"/visits/\d+/$"))
    answer = page.locator(".answer")
    expect(answer).to_have_class(re.compile(r"\banswer-yes\b"))
    expect(answer.get_by_role("heading", level=1)).to_have_text(t("kk", "You may enter"))
    expect(answer).to_contain_text("Жарық дүкені")
    assert_speaks(page, "kk")
    check_axe(page)
    screenshot(page, "citizen-check-in-answer-kk")
    visit = Visit.objects.get(iin=iin)
    assert (visit.venue, visit.admitted, visit.method) == (grocery, True, Visit.Method.SELF_SCAN)

    page.get_by_role("button", name=t("kk", "Record my exit")).tap()

    expect(page.locator(".messages")).to_contain_text(t("kk", "Your exit is recorded. Goodbye!"))
    visit.refresh_from_db()
    assert visit.checked_out_at is not None
    assert visit.checkout_method == Visit.Checkout.SELF
    # After exit nothing big and green is left to show at a door: a neutral card.
    answer = page.locator(".answer")
    expect(answer).to_have_class(re.compile(r"\banswer-exit\b"))
    left = timezone.localtime(visit.checked_out_at).strftime("%H:%M")
    expect(answer.get_by_role("heading", level=1)).to_have_text(
        t("kk", "You left at %(time)s.") % {"time": left}
    )
    expect(page.get_by_text(t("kk", "You may enter"))).to_have_count(0)
    assert_speaks(page, "kk")
    check_axe(page)
    screenshot(page, "citizen-after-exit-kk")


def test_a_blue_citizen_is_told_at_the_cafe_door_in_russian(
    page, context, live_server, organisation
):
    cafe = venue(organisation, "Дос кофеханасы", "Кофейня «Дос»", "Dos Coffee", "cafe")
    assert cafe.pcr_required
    citizen = person("Иван Петров", language="ru")
    sign_in(context, live_server.url, citizen, "ru")

    page.goto(f"/v/{cafe.code}/")

    expect(page.get_by_role("heading", level=1)).to_have_text("Кофейня «Дос»")
    expect(page.locator("main")).to_contain_text(t("ru", "Entry here needs green status."))
    # The reason before anyone presses anything, and nothing to press.
    verdict = page.locator(".verdict")
    expect(verdict).to_have_class(re.compile(r"\banswer-no\b"))
    expect(verdict.get_by_role("heading", level=2)).to_have_text(
        t("ru", "You cannot enter here now")
    )
    expect(verdict).to_contain_text(t("ru", DENIALS["pcr_required"]))
    expect(page.get_by_role("button", name=t("ru", "Enter"), exact=True)).to_have_count(0)
    assert_speaks(page, "ru")
    check_axe(page)
    screenshot(page, "citizen-refused-before-entering-ru")
    assert not Visit.objects.filter(iin=citizen.iin).exists()


def test_a_red_citizen_gets_no_enter_button_and_a_status_change_inside_is_shown(
    page, context, live_server, organisation
):
    grocery = venue(organisation, "Жарық дүкені", "Магазин «Жарык»", "Zharyq Store", "grocery")
    citizen = person("Ерлан Жұмабаев", language="kk")
    sign_in(context, live_server.url, citizen, "kk")
    page.goto(f"/v/{grocery.code}/")
    page.get_by_role("button", name=t("kk", "Enter"), exact=True).tap()
    expect(page).to_have_url(re.compile(r"/visits/\d+/$"))
    visit = Visit.objects.get(iin=citizen.iin)

    # A positive test arrives while they are inside.
    give_status(citizen.iin, "red")
    # The page answered the POST; a reload asks for the answer again and
    # sends no second check-in.
    page.reload()
    assert Visit.objects.filter(iin=citizen.iin).count() == 1

    answer = page.locator(".answer")
    expect(answer).to_have_class(re.compile(r"\banswer-no\b"))
    expect(answer.get_by_role("heading", level=1)).to_have_text(
        t("kk", "Your status has changed: please leave")
    )
    entered = timezone.localtime(visit.checked_in_at).strftime("%H:%M")
    expect(answer.locator(".status-change")).to_have_text(
        t("kk", "At entry (%(time)s): %(then)s · now: %(now)s")
        % {"time": entered, "then": t("kk", "Blue"), "now": t("kk", "Red")}
    )
    assert_speaks(page, "kk")
    check_axe(page)
    screenshot(page, "citizen-status-changed-inside-kk")
    page.get_by_role("button", name=t("kk", "Record my exit")).tap()
    expect(page.locator(".answer")).to_have_class(re.compile(r"\banswer-exit\b"))

    page.goto(f"/v/{grocery.code}/")
    expect(page.locator(".verdict")).to_contain_text(t("kk", DENIALS["red"]))
    expect(page.locator("main").get_by_role("button")).to_have_count(0)
    assert_speaks(page, "kk")
    check_axe(page)
