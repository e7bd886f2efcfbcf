"""Chromium on a phone, driven by Playwright against pytest-django's live server.

Debian's Chromium is used as it is (`playwright install` cannot download
browsers here). Without it the browser tests are skipped, except in CI (`CI`
set), where a missing browser is a failure: CI must run them.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.camera import write_y4m
from tests.browser.support import screenshot
from tests.sample import grocery_of, verified_organisation
from venues.models import Organisation, Venue

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}. CI runs the browser tests: install it (apt-get install chromium).")
    pytest.skip(f"{reason}; browser tests skipped (they fail instead when CI is set).")


@pytest.fixture(scope="package")
def playwright() -> Iterator:
    if not CHROMIUM.exists():
        _unavailable(f"Chromium is not installed at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed (requirements-dev.txt)")
    # Playwright's sync API leaves its asyncio loop marked as running in this
    # thread between calls, and Django refuses ORM calls from such a thread.
    # Here the test thread only arranges data and reads results (requests run
    # in the live server's thread), so allow it, for this package only: the
    # loop stops when the package's last test ends.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield playwright


@pytest.fixture(scope="package")
def browser(playwright) -> Iterator:
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


@pytest.fixture
def phone_with_camera(playwright, live_server, tmp_path) -> Iterator:
    """`phone_with_camera(image)`: a browser context whose camera sees `image`.

    Chromium's fake camera plays a file named on its command line, so each
    picture is a Chromium of its own. The permission prompt is answered "allow"
    unless `allow=False`, which leaves the prompt to refuse, as headless does.
    """
    launched = []

    def open_phone(image, *, allow: bool = True):
        video = tmp_path / f"camera-{len(launched)}.y4m"
        write_y4m(image, video)
        args = [
            *CHROMIUM_ARGS,
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ]
        if allow:
            args.append("--use-fake-ui-for-media-stream")
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=args)
        launched.append(chromium)
        context = chromium.new_context(base_url=live_server.url, **PHONE)
        context.set_default_timeout(20_000)
        return context

    yield open_phone
    for chromium in launched:
        chromium.close()


@pytest.fixture
def context(request, browser, live_server) -> Iterator:
    """A phone's browser, or a desktop one for tests marked `desktop`."""
    screen = DESKTOP if request.node.get_closest_marker("desktop") else PHONE
    context = browser.new_context(base_url=live_server.url, **screen)
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def page(context) -> Iterator:
    yield context.new_page()


@pytest.fixture
def organisation() -> Organisation:
    return verified_organisation()


@pytest.fixture
def grocery(organisation) -> Venue:
    return grocery_of(organisation)


@pytest.fixture(autouse=True)
def _public_address(settings, live_server) -> None:
    # Posters and invitations print SITE_URL; here that is the live server.
    settings.SITE_URL = live_server.url


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed and report.when == "call":
        page = item.funcargs.get("page")
        if page is not None and not page.is_closed():
            try:
                path = screenshot(page, f"failed-{item.nodeid.split('::', 1)[-1]}")
            except Exception as exc:
                report.sections.append(("screenshot", f"could not be taken: {exc}"))
            else:
                report.sections.append(("screenshot", str(path)))
