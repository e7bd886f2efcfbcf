"""Helpers for the browser tests: sessions, screenshots, translations, axe-core."""

import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from tests.pages import english_on_page

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"


def t(language: str, message) -> str:
    """`message` (a msgid or a lazy translation) as a person reading `language` sees it."""
    with translation.override(language):
        return translation.gettext(message) if isinstance(message, str) else str(message)


def sign_in(context, base_url: str, user, language: str) -> None:
    """Put a signed-in session and a chosen language into the browser.

    For flows that are not about signing in; the citizen flow signs in by SMS.
    """
    client = Client()
    client.force_login(user)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": base_url,
            },
            {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": base_url},
        ]
    )


def artifact(name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name).strip('-')}.png"


def screenshot(page, name: str) -> Path:
    """Keep a picture of what a person sees, for people to look at."""
    path = artifact(name)
    page.screenshot(path=str(path), full_page=True)
    return path


def assert_speaks(page, language: str) -> None:
    """The page shown is in `language`, with no English left on it."""
    from venues.models import Venue

    assert page.locator("html").get_attribute("lang") == language, page.url
    codes = list(Venue.objects.values_list("code", flat=True))
    assert english_on_page(page.content(), codes) == [], page.url


def check_axe(page) -> None:
    """No serious or critical axe-core violation on the page shown."""
    if not AXE.exists():
        if os.environ.get("CI"):
            pytest.fail(f"axe-core is not installed: run `npm ci --prefix {AXE.parents[2]}`")
        pytest.skip(
            "axe-core is not installed (npm ci --prefix tests/browser): "
            "the accessibility checks are skipped"
        )
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations
                .filter(v => v.impact === "serious" || v.impact === "critical")
                .map(v => `${v.id} (${v.impact}): ${v.help}: `
                    + v.nodes.slice(0, 5).map(n => n.target.join(" ")).join(", "));
        }"""
    )
    assert violations == [], f"{page.url}: {violations}"


def check_page(page, language: str) -> None:
    """The page shown speaks `language`, with no English left, and passes axe-core."""
    assert_speaks(page, language)
    check_axe(page)


def sideways_overflow(page) -> list[str]:
    """What sticks out sideways: out of the page, making a person scroll left and
    right, or out of a coloured box (white words on white); empty if nothing.

    On a mobile viewport Chrome widens `window.innerWidth` to the content, so
    the page's own width (`clientWidth` of <html>) is the one to compare with.
    """
    return page.evaluate(
        """() => {
            const describe = (e, right, limit) => `<${e.tagName.toLowerCase()} class="`
                + `${e.className.baseVal ?? e.className}"> ${Math.round(right)} px > ${limit}: `
                + e.textContent.trim().replace(/\\s+/g, " ").slice(0, 30);
            const root = document.documentElement;
            const width = Math.min(window.innerWidth, root.clientWidth);
            const boxes = ".status-card, .answer, .status-line, .button";
            const found = [...document.querySelectorAll(boxes)]
                .filter(e => e.scrollWidth > e.clientWidth + 1)
                .map(e => describe(e, e.scrollWidth, e.clientWidth));
            if (root.scrollWidth > width + 1) {
                found.push(...[...document.body.querySelectorAll("*")]
                    .filter(e => e.getBoundingClientRect().right > width + 1)
                    .filter(e => e.parentElement.getBoundingClientRect().right <= width + 1)
                    .map(e => describe(e, e.getBoundingClientRect().right, width)));
            }
            return found;
        }"""
    )
