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
from venues.models import Organisation
from visits.models import Visit
from visits.rules import DENIALS

pytestmark = pytest.mark.browser


@pytest.fixture
def organisation() -> Organisation:
    return Organisation.objects.create(
        bin="050140001238",
        legal_name="ТОО «Жарық»",
        admin=person("Асхат Иманов"),
        verified_at=timezone.now(),
    )


def test_a_citizen_signs_in_checks_in_and_leaves(page, live_server, organisation):
    grocery = venue(organisation, "Жарық дүкені", "Магазин «Жарык»", "Zharyq Store", "grocery")
    # Lab results arrive by IIN, before the person has an account (SPEC §1).
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
    assert_speaks(page, "kk")
    visit.refresh_from_db()
    assert visit.checked_out_at is not None
    assert visit.checkout_method == Visit.Checkout.SELF


def test_a_blue_citizen_is_refused_at_a_cafe_in_russian(page, context, live_server, organisation):
    cafe = venue(organisation, "Дос кофеханасы", "Кофейня «Дос»", "Dos Coffee", "cafe")
    assert cafe.pcr_required
    citizen = person("Иван Петров", language="ru")
    sign_in(context, live_server.url, citizen, "ru")

    page.goto(f"/v/{cafe.code}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Кофейня «Дос»")
    expect(page.locator("main")).to_contain_text(t("ru", "Entry here needs green status."))
    assert_speaks(page, "ru")
    check_axe(page)
    page.get_by_role("button", name=t("ru", "Enter"), exact=True).tap()

    expect(page).to_have_url(re.compile(r"/visits/\d+/$"))
    answer = page.locator(".answer")
    expect(answer).to_have_class(re.compile(r"\banswer-no\b"))
    expect(answer.get_by_role("heading", level=1)).to_have_text(t("ru", "Entry denied"))
    expect(answer).to_contain_text(t("ru", DENIALS["pcr_required"]))
    assert_speaks(page, "ru")
    check_axe(page)
    screenshot(page, "citizen-denied-answer-ru")
    visit = Visit.objects.get(iin=citizen.iin)
    assert (visit.admitted, visit.denial_code) == (False, "pcr_required")
    expect(page.get_by_role("button", name=t("ru", "Record my exit"))).to_have_count(0)
