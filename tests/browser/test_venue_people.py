"""A responsible person registers a venue and prints its QR; staff check people in and out."""

import io
import re

import pytest
import zxingcpp
from django.utils.text import capfirst
from PIL import Image
from playwright.sync_api import expect

from accounts import sms
from accounts.identifiers import mask_iin
from tests.browser.support import assert_speaks, check_page, screenshot, sign_in, t
from tests.sample import give_status, person
from venues.models import Invitation, Organisation, StaffMembership, Venue
from venues.verification import organisation_verify
from visits.models import Visit

pytestmark = pytest.mark.browser

# The first sentence of what a pending organisation's administrator reads, in Russian.
WAITING_RU = t(
    "ru",
    "Your organisation is waiting for verification. You can invite colleagues once it is "
    "verified; for help call %(support)s.",
).split(".")[0]


def qr_contents(png: bytes) -> list[str]:
    image = Image.open(io.BytesIO(png)).convert("L")
    return [barcode.text for barcode in zxingcpp.read_barcodes(image, formats=zxingcpp.QRCode)]


def test_a_responsible_person_registers_a_venue_prints_its_qr_and_invites_staff(
    page, context, live_server
):
    owner = person("Асхат Иманов", language="ru")
    sign_in(context, live_server.url, owner, "ru")

    # "Adding the role" is registering an organisation, from the account page.
    page.goto("/account/")
    page.get_by_role("link", name=t("ru", "My venues")).tap()
    expect(page).to_have_url(re.compile(r"/venues/$"))
    check_page(page, "ru")
    page.get_by_role("link", name=t("ru", "Register an organisation")).tap()

    expect(page).to_have_url(re.compile(r"/venues/register/$"))
    check_page(page, "ru")
    page.get_by_label(t("ru", "BIN of the organisation")).fill("050140001238")
    page.get_by_label(t("ru", "Legal name")).fill("ТОО «Жарық»")
    page.get_by_label(t("ru", "Name in Kazakh")).fill("Жарық дүкені")
    page.get_by_label(t("ru", "Name in Russian")).fill("Магазин «Жарык»")
    page.get_by_label(t("ru", "Name in English")).fill("Zharyq Store")
    page.get_by_label(capfirst(t("ru", "category"))).select_option(label="Продуктовый магазин")
    page.get_by_label(capfirst(t("ru", "region"))).select_option(label="Алматы")
    page.get_by_label(capfirst(t("ru", "address"))).fill("Алматы, Абай даңғылы 10")
    page.get_by_label(capfirst(t("ru", "latitude"))).fill("43.238949")
    page.get_by_label(capfirst(t("ru", "longitude"))).fill("76.889709")
    page.get_by_label(capfirst(t("ru", "capacity"))).fill("40")
    page.get_by_role("button", name=t("ru", "Register"), exact=True).tap()

    expect(page).to_have_url(re.compile(r"/venues/\d+/$"))
    expect(page.locator(".messages")).to_contain_text(
        t("ru", "Your organisation and venue are registered.")
    )
    check_page(page, "ru")
    # A new organisation waits for an operator before its staff may look anyone up.
    expect(page.locator("main")).to_contain_text(WAITING_RU)
    venue = Venue.objects.get(organisation__bin="050140001238")
    assert venue.organisation.admin == owner
    assert not venue.organisation.is_verified
    assert (venue.name_kk, venue.name_ru, venue.capacity) == ("Жарық дүкені", "Магазин «Жарык»", 40)
    venue_url = f"{live_server.url}/v/{venue.code}/"

    page.get_by_role("link", name=t("ru", "QR poster")).tap()

    expect(page).to_have_url(re.compile(rf"/venues/{venue.pk}/poster/$"))
    expect(page.locator(".poster h1")).to_have_text("Жарық дүкені")
    expect(page.locator(".poster .url")).to_have_text(venue_url)
    png_link = page.get_by_role("link", name=t("ru", "Download PNG"))
    download = page.request.get(png_link.get_attribute("href"))
    assert download.headers["content-type"] == "image/png"
    assert qr_contents(download.body()) == [venue_url]
    # The QR as the page draws it for printing decodes to the same address.
    assert qr_contents(page.locator(".poster .qr").screenshot()) == [venue_url]
    screenshot(page, "responsible-person-poster-ru")

    page.goto(venue_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Магазин «Жарык»")

    page.goto(f"/venues/{venue.pk}/")
    page.get_by_role("link", name=t("ru", "Staff"), exact=True).tap()

    expect(page).to_have_url(re.compile(rf"/venues/{venue.pk}/staff/$"))
    check_page(page, "ru")
    page.get_by_label(t("ru", "Mobile number of your colleague")).fill("8 701 555 66 77")
    page.get_by_role("button", name=t("ru", "Send the invitation")).tap()

    # Pending: no invitation SMS leaves an unverified organisation.
    expect(page.get_by_role("alert")).to_contain_text(WAITING_RU)
    assert not Invitation.objects.exists()
    organisation_verify(venue.organisation, by=None, via=Organisation.VerifiedVia.OPERATOR)
    page.get_by_role("button", name=t("ru", "Send the invitation")).tap()

    expect(page.locator(".messages")).to_contain_text(t("ru", "The invitation is sent by SMS."))
    expect(page.locator("main")).to_contain_text("+77015556677")
    assert_speaks(page, "ru")
    assert Invitation.objects.filter(venue=venue, phone="+77015556677").exists()
    invitation = sms.outbox[-1]
    assert invitation.to == "+77015556677"
    assert "Магазин «Жарык»" in invitation.text
    assert live_server.url in invitation.text


def test_staff_check_a_person_in_by_iin_and_record_the_exit(page, context, live_server, grocery):
    staff = person("Дана Қасымова")
    StaffMembership.objects.create(venue=grocery, user=staff, added_by=grocery.organisation.admin)
    visitor = person("Айгерім Сәрсенова")
    give_status(visitor.iin, "green")
    sign_in(context, live_server.url, staff, "kk")

    page.goto(f"/staff/{grocery.pk}/")
    field = page.get_by_label(t("kk", "IIN or personal code"))
    expect(field).to_be_focused()
    check_page(page, "kk")
    # Typed by hand, a key at a time: the page tells that from a scanner.
    page.keyboard.type(visitor.iin, delay=40)
    page.keyboard.press("Enter")

    answer = page.locator(".answer")
    expect(answer).to_have_class(re.compile(r"\banswer-yes\b"))
    expect(answer.get_by_role("heading", level=2)).to_have_text(t("kk", "May enter"))
    # A face and an ID card can be matched: first name, initial, year of birth.
    expect(answer.locator(".person")).to_have_text("Айгерім С., 1990")
    expect(answer).not_to_contain_text(mask_iin(visitor.iin))
    expect(answer.locator(".status-line")).to_have_text(t("kk", "Green"))
    expect(page.get_by_label(t("kk", "IIN or personal code"))).to_be_focused()
    check_page(page, "kk")
    screenshot(page, "staff-check-in-answer-kk")
    visit = Visit.objects.get(iin=visitor.iin)
    assert (visit.admitted, visit.method, visit.recorded_by) == (
        True,
        Visit.Method.STAFF_IIN,
        staff,
    )

    mode = page.get_by_role("navigation", name=t("kk", "Mode"))
    mode.get_by_role("link", name=t("kk", "Exit"), exact=True).tap()

    expect(page).to_have_url(re.compile(r"\?mode=exit$"))
    expect(page.get_by_role("button", name=t("kk", "Record exit"))).to_be_visible()
    field = page.get_by_label(t("kk", "IIN or personal code"))
    expect(field).to_be_focused()
    # A barcode scanner "types" the whole code at once and presses Enter.
    page.keyboard.type(visitor.iin)
    page.keyboard.press("Enter")

    answer = page.locator(".answer")
    expect(answer).to_have_class(re.compile(r"\banswer-exit\b"))
    expect(answer.get_by_role("heading", level=2)).to_have_text(t("kk", "Exit recorded"))
    assert_speaks(page, "kk")
    visit.refresh_from_db()
    assert visit.checked_out_at is not None
    assert visit.checkout_method == Visit.Checkout.STAFF
