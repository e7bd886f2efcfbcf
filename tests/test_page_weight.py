"""docs/rules.md §1 and §8: citizen pages load fast on a slow 3G link.

Each page a citizen meets on the way in weighs at most 15 KB gzipped, HTML
and CSS together, and nothing in it holds up the first paint: no external
script in <head> without `defer`/`async`, inline scripts only at the very
end of <body>, and no @import chains in the CSS.
"""

import gzip
import re
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

from accounts import sms
from tests.sample import give_status, grocery_of, person, verified_organisation
from visits.models import Visit

pytestmark = pytest.mark.django_db

BUDGET = 15 * 1024


class _Scripts(HTMLParser):
    """Finds scripts that block rendering and the stylesheets a page loads."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self.stylesheets: list[str] = []
        self._in_head = False
        self._in_script = False
        self._inline_waiting: list[int] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "head":
            self._in_head = True
        elif tag == "body":
            self._in_head = False
        elif tag == "link" and attributes.get("rel") == "stylesheet":
            self.stylesheets.append(attributes["href"] or "")
        if tag == "script":
            self._in_script = True
            if "src" in attributes:
                if self._in_head and not {"defer", "async"} & attributes.keys():
                    self.problems.append(f"<script src={attributes['src']}> in <head> blocks")
            elif self._in_head:
                self.problems.append("inline <script> in <head>")
            else:
                self._inline_waiting.append(self.getpos()[0])
        elif self._inline_waiting and not self._in_head:
            self._content_after_script(f"<{tag}>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False
        elif tag == "head":
            self._in_head = False

    def handle_data(self, data: str) -> None:
        if not self._in_script and self._inline_waiting and data.strip():
            self._content_after_script(repr(data.strip()[:20]))

    def _content_after_script(self, what: str) -> None:
        for line in self._inline_waiting:
            self.problems.append(f"inline <script> on line {line} comes before {what}")
        self._inline_waiting = []


def css_bytes(href: str) -> bytes:
    path = finders.find(href.removeprefix(settings.STATIC_URL))
    assert path, f"{href} is not a static file"
    with open(path, "rb") as handle:
        return handle.read()


def gzipped(content: bytes) -> int:
    return len(gzip.compress(content, compresslevel=6))


def weigh(html: bytes) -> tuple[int, list[str]]:
    """Gzipped bytes of the page and its CSS, and what blocks its rendering."""
    parser = _Scripts()
    parser.feed(html.decode())
    problems = list(parser.problems)
    total = gzipped(html)
    for href in parser.stylesheets:
        css = css_bytes(href)
        total += gzipped(css)
        if re.search(rb"@import", css):
            problems.append(f"{href} @imports another file")
    return total, problems


@pytest.fixture
def citizen_pages(django_capture_on_commit_callbacks) -> dict[str, bytes]:
    """Every page of the citizen's way in, as served, in Kazakh."""
    grocery = grocery_of(verified_organisation())
    citizen = person("Айгерім Сәрсенова")
    give_status(citizen.iin, "green")
    pages = {}

    newcomer = Client()
    pages["language choice"] = newcomer.get(reverse("language")).content
    newcomer.cookies[settings.LANGUAGE_COOKIE_NAME] = "kk"
    pages["welcome"] = newcomer.get(reverse("home")).content
    pages["sign in"] = newcomer.get(reverse("account_request_login_code")).content
    with django_capture_on_commit_callbacks(execute=True):
        response = newcomer.post(
            reverse("account_request_login_code"), {"phone": "87015551234"}, follow=True
        )
    pages["code"] = response.content
    code = re.search(r"\b\d{6}\b", sms.outbox[-1].text).group()
    response = newcomer.post(reverse("account_confirm_login_code"), {"code": code}, follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("profile"))
    pages["profile"] = response.content

    signed_in = Client()
    signed_in.cookies[settings.LANGUAGE_COOKIE_NAME] = "kk"
    signed_in.force_login(citizen)
    pages["status"] = signed_in.get(reverse("home")).content
    entry = reverse("visits:venue_entry", args=[grocery.code])
    pages["venue"] = signed_in.get(entry).content
    pages["answer"] = signed_in.post(entry, {"nonce": "weigh"}, follow=True).content
    assert Visit.objects.filter(iin=citizen.iin, admitted=True).exists()
    return pages


def test_citizen_pages_weigh_at_most_15_kb_gzipped(citizen_pages):
    weights = {name: weigh(html)[0] for name, html in citizen_pages.items()}

    assert {name: size for name, size in weights.items() if size > BUDGET} == {}, weights


def test_citizen_pages_have_no_render_blocking_script(citizen_pages):
    blocking = {name: weigh(html)[1] for name, html in citizen_pages.items()}

    assert {name: found for name, found in blocking.items() if found} == {}


@pytest.mark.parametrize(
    ("html", "found"),
    [
        ('<html><head><script src="/a.js"></script></head><body></body></html>', 1),
        ('<html><head><script src="/a.js" defer></script></head><body></body></html>', 0),
        ("<html><head><script>x()</script></head><body></body></html>", 1),
        ("<html><head></head><body><script>x()</script><p>Hi</p></body></html>", 1),
        ("<html><head></head><body><p>Hi</p><script>x()</script>\n</body></html>", 0),
    ],
)
def test_the_render_blocking_check_tells_blocking_from_harmless(html, found):
    parser = _Scripts()
    parser.feed(html)

    assert len(parser.problems) == found, parser.problems
