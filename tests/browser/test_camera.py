"""Scanning with a phone's camera, in a browser that has no BarcodeDetector.

Debian's Chromium has none (the browser's own detector exists on Android,
ChromeOS and macOS only), so these tests run the barcode-detector polyfill, our
copy of ZXing-C++ compiled to WebAssembly, on frames from Chromium's fake
camera. Nothing is stubbed: the camera plays a video of a real barcode.
"""

import re

import pytest
import zxingcpp
from playwright.sync_api import expect

from accounts.personal_qr import personal_qr_token
from tests.browser.camera import barcode_image
from tests.browser.support import assert_speaks, screenshot, sign_in, t
from tests.sample import give_status, person
from venues.models import StaffMembership, Venue
from venues.qr import kiosk_url
from visits.models import Visit

pytestmark = pytest.mark.browser

WASM = re.compile(r"/static/vendor/barcode-detector/[^/]+/zxing_reader\.wasm$")


def watch_requests(context, live_server) -> dict[str, list[str]]:
    """Every request the phone makes; any to another origin fails and is kept.

    The polyfill's own default would fetch its WebAssembly from a public CDN:
    this is how the tests know that it comes from our static files instead.
    """
    seen: dict[str, list[str]] = {"ours": [], "elsewhere": []}

    def route(route):
        url = route.request.url
        if url.startswith(live_server.url + "/"):
            seen["ours"].append(url)
            route.continue_()
        else:
            seen["elsewhere"].append(url)
            route.abort()

    context.route("**/*", route)
    return seen


def assert_no_native_detector(page) -> None:
    # The polyfill is a ponyfill: it never defines window.BarcodeDetector, so
    # this holds before and after it loads, and proves which one ran.
    assert page.evaluate("'BarcodeDetector' in window") is False


def staff_of(grocery: Venue):
    staff = person("Дана Қасымова")
    StaffMembership.objects.create(venue=grocery, user=staff, added_by=grocery.organisation.admin)
    return staff


def test_staff_scan_a_citizens_personal_qr_with_the_camera(
    phone_with_camera, live_server, grocery, settings
):
    # The code lives a minute; this test is about reading it, not its age.
    settings.PERSONAL_QR_MAX_AGE = 600
    staff = staff_of(grocery)
    visitor = person("Айгерім Сәрсенова", language="ru")
    give_status(visitor.iin, "green")
    context = phone_with_camera(barcode_image(personal_qr_token(visitor)))
    requests = watch_requests(context, live_server)
    sign_in(context, live_server.url, staff, "kk")
    page = context.new_page()

    page.goto(f"/staff/{grocery.pk}/")
    assert_no_native_detector(page)
    camera = page.get_by_role("button", name=t("kk", "Scan with the camera"))
    expect(camera).to_be_visible()
    camera.tap()

    expect(page).to_have_url(re.compile(rf"/staff/{grocery.pk}/\?visit=\d+&mode=entry$"))
    answer = page.locator(".answer")
    expect(answer.get_by_role("heading", level=2)).to_have_text(t("kk", "May enter"))
    assert_speaks(page, "kk")
    screenshot(page, "staff-camera-personal-qr-kk")
    visit = Visit.objects.get()
    assert (visit.iin, visit.user, visit.method, visit.admitted, visit.recorded_by) == (
        visitor.iin,
        visitor,
        Visit.Method.STAFF_QR,
        True,
        staff,
    )
    assert [url for url in requests["ours"] if WASM.search(url)], requests["ours"]
    assert requests["elsewhere"] == []


def test_staff_scan_a_code_128_of_an_iin_with_the_camera(phone_with_camera, live_server, grocery):
    staff = staff_of(grocery)
    iin = person("Ерлан Ахметов", iin="new").iin
    give_status(iin, "green")
    context = phone_with_camera(barcode_image(iin, zxingcpp.Code128, scale=4))
    requests = watch_requests(context, live_server)
    sign_in(context, live_server.url, staff, "ru")
    page = context.new_page()

    page.goto(f"/staff/{grocery.pk}/")
    assert_no_native_detector(page)
    page.get_by_role("button", name=t("ru", "Scan with the camera")).tap()

    expect(page).to_have_url(re.compile(rf"/staff/{grocery.pk}/\?visit=\d+&mode=entry$"))
    expect(page.locator(".answer h2")).to_have_text(t("ru", "May enter"))
    visit = Visit.objects.get()
    assert (visit.iin, visit.method, visit.admitted) == (iin, Visit.Method.STAFF_BARCODE, True)
    assert requests["elsewhere"] == []


@pytest.mark.parametrize("kiosk", [False, True], ids=["poster", "kiosk"])
def test_a_citizen_scans_the_code_at_the_door_and_lands_on_the_venue(
    phone_with_camera, live_server, grocery, kiosk
):
    citizen = person("Айгерім Сәрсенова")
    poster_url = f"{live_server.url}/v/{grocery.code}/"
    scanned = kiosk_url(grocery, poster_url) if kiosk else poster_url
    context = phone_with_camera(barcode_image(scanned))
    requests = watch_requests(context, live_server)
    sign_in(context, live_server.url, citizen, "kk")
    page = context.new_page()

    page.goto("/")
    assert_no_native_detector(page)
    expect(
        page.get_by_text(
            t("kk", "Open your phone's camera app and point it at the QR code at the door.")
        )
    ).to_be_hidden()
    page.get_by_role("button", name=t("kk", "Scan the code at the door")).tap()

    expect(page).to_have_url(scanned)
    expect(page.get_by_role("heading", level=1)).to_have_text("Жарық дүкені")
    assert_speaks(page, "kk")
    assert [url for url in requests["ours"] if WASM.search(url)], requests["ours"]
    assert requests["elsewhere"] == []


def test_a_citizen_scanning_a_code_that_is_not_ours_stays_and_is_told(
    phone_with_camera, live_server, grocery
):
    citizen = person("Айгерім Сәрсенова")
    # Our path on someone else's site: a lookalike poster must not be followed.
    context = phone_with_camera(barcode_image(f"https://ashyq.example.com/v/{grocery.code}/"))
    sign_in(context, live_server.url, citizen, "ru")
    page = context.new_page()

    page.goto("/")
    page.get_by_role("button", name=t("ru", "Scan the code at the door")).tap()

    message = page.get_by_role("alert")
    expect(message).to_have_text(
        t(
            "ru",
            "This is not the code of an Ashyq venue. Point the camera at the QR code at the door.",
        )
    )
    expect(page).to_have_url(f"{live_server.url}/")
    assert_speaks(page, "ru")

    page.get_by_role("button", name=t("ru", "Turn off the camera")).tap()

    expect(page.locator("video")).to_be_hidden()
    expect(message).to_be_hidden()
    expect(page.get_by_role("button", name=t("ru", "Scan the code at the door"))).to_be_enabled()
    # The camera is released, not only hidden.
    assert page.evaluate("document.querySelector('video').srcObject.active") is False


# A browser's own detector, as Chrome on Android has it: it reads the code the
# test names, whatever the camera shows.
NATIVE_DETECTOR = """
window.BarcodeDetector = class {
  static getSupportedFormats() {
    return Promise.resolve(["qr_code", "code_128", "pdf417", "ean_13"]);
  }
  constructor(options) { this.formats = options.formats; }
  detect() { return Promise.resolve([{rawValue: "%s", format: "code_128"}]); }
};
"""


def test_a_browser_with_its_own_detector_loads_no_polyfill(phone_with_camera, live_server, grocery):
    staff = staff_of(grocery)
    iin = person("Ерлан Ахметов").iin
    context = phone_with_camera(barcode_image("not what the native detector reads"))
    context.add_init_script(NATIVE_DETECTOR % iin)
    requests = watch_requests(context, live_server)
    sign_in(context, live_server.url, staff, "kk")
    page = context.new_page()

    page.goto(f"/staff/{grocery.pk}/")
    page.get_by_role("button", name=t("kk", "Scan with the camera")).tap()

    expect(page).to_have_url(re.compile(rf"/staff/{grocery.pk}/\?visit=\d+&mode=entry$"))
    assert Visit.objects.values_list("iin", "method").get() == (iin, Visit.Method.STAFF_BARCODE)
    assert not [url for url in requests["ours"] if "/vendor/barcode-detector/" in url]


def test_a_refused_camera_is_explained(phone_with_camera, live_server, grocery):
    staff = staff_of(grocery)
    context = phone_with_camera(barcode_image(person("Ерлан Ахметов").iin), allow=False)
    sign_in(context, live_server.url, staff, "kk")
    page = context.new_page()

    page.goto(f"/staff/{grocery.pk}/")
    page.get_by_role("button", name=t("kk", "Scan with the camera")).tap()

    expect(page.locator("[data-scan-message]")).to_have_text(
        t(
            "kk",
            "The camera is blocked. Allow this site to use the camera in the browser settings, "
            "then try again.",
        )
    )
    assert Visit.objects.count() == 0


def test_without_a_camera_the_citizen_is_told_to_use_the_camera_app(page, context, live_server):
    citizen = person("Айгерім Сәрсенова")
    sign_in(context, live_server.url, citizen, "kk")

    page.goto("/")

    expect(
        page.get_by_text(
            t("kk", "Open your phone's camera app and point it at the QR code at the door.")
        )
    ).to_be_visible()
    expect(page.get_by_role("button", name=t("kk", "Scan the code at the door"))).to_be_hidden()


# What the citizen's scanner does with a code: go to this venue page, or stay.
FOLLOWED = [
    ("{here}/v/AbC-123_x/", "{here}/v/AbC-123_x/"),  # a poster
    ("{here}/v/AbC123/?k=42.abc", "{here}/v/AbC123/?k=42.abc"),  # a kiosk
    ("{here}/v/AbC123/?utm=x&k=42.abc", "{here}/v/AbC123/?k=42.abc"),  # only k is kept
    (" {here}/v/AbC123/\n", "{here}/v/AbC123/"),  # whitespace around
    ("{site}/v/AbC123/?k=7.f", "{here}/v/AbC123/?k=7.f"),  # printed with SITE_URL
    ("https://ashyq.example.com/v/AbC123/", None),  # another origin
    ("{here_https}/v/AbC123/", None),  # another scheme
    ("{here}/v/AbC123/enter/", None),  # a longer path
    ("{here}/staff/1/", None),  # not a venue page
    ("{here}/v/../admin/", None),  # a dot segment
    ("/v/AbC123/", None),  # a relative path
    ("javascript:alert(1)", None),  # a script URL
    ("880315300511", None),  # an IIN
]
SITE = "https://ashyq.example.kz"


def test_which_scanned_codes_the_citizens_scanner_follows(page, context, live_server):
    sign_in(context, live_server.url, person("Айгерім Сәрсенова"), "kk")
    page.goto("/")
    here = live_server.url
    values = {"here": here, "here_https": here.replace("http:", "https:"), "site": SITE}
    scanned = [value.format(**values) for value, _ in FOLLOWED]

    targets = page.evaluate(
        "([values, site]) => values.map((v) => window.AshyqScanner.venueTarget(v, site))",
        [scanned, SITE],
    )

    expected = [target.format(**values) if target else None for _, target in FOLLOWED]
    assert dict(zip(scanned, targets, strict=True)) == dict(zip(scanned, expected, strict=True))
