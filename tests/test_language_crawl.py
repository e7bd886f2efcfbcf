"""A Kazakh or Russian page with English on it is a bug (docs/rules.md §6); so is an
unlabelled field.

Each role's pages are crawled from where that person starts, following every
link, with sample data that shows every colour, every answer and every list;
then every form is sent wrong in each way a person could get it wrong, and
right, so that its errors and its success message are read too. The SMS the
portal sends are read the same way.
"""

import re
from collections import deque
from urllib.parse import urldefrag, urlsplit

import pytest
from django.test import Client
from django.urls import Resolver404, resolve, reverse

from accounts.tests.clients import client_for
from tests.pages import page_problems
from tests.sample import Sample, new_iin, person
from venues.models import Organisation, Venue
from visits.models import Visit
from visits.occupancy import OPEN

VENUE_COPY = (
    "name",
    "name_kk",
    "name_ru",
    "name_en",
    "category_id",
    "region_id",
    "address",
    "latitude",
    "longitude",
    "capacity",
)

pytestmark = pytest.mark.django_db

LANGUAGES = ["kk", "ru"]
NOT_PAGES = ("/admin/", "/static/", "/healthz")
DOWNLOADS = (".csv", ".svg", ".png")


class Reader:
    """Reads pages in one language and remembers what is wrong with them."""

    def __init__(self, language: str, sample: Sample) -> None:
        self.language = language
        self.problems: dict[str, list[str]] = {}
        self.views: set[str] = set()
        self._seen: dict[int, set[str]] = {}

    @property
    def neutral(self) -> list[str]:
        # The public codes venues print, new venues' included: letters, not words.
        return list(Venue.objects.values_list("code", flat=True))

    def check(self, label: str, response) -> None:
        assert response.status_code < 500, f"{label}: {response.status_code}"
        if not response.get("Content-Type", "").startswith("text/html"):
            return
        problems = page_problems(response.content.decode(), self.language, self.neutral)
        if problems:
            self.problems[label] = problems

    def assert_read(self, *views: str) -> None:
        """Nothing wrong was found, and each of `views` (view names, or "404") was read."""
        assert self.problems == {}, self.report()
        assert set(views) <= self.views, f"never read: {sorted(set(views) - self.views)}"

    def report(self) -> str:
        return "\n".join(
            f"{page}\n    " + "\n    ".join(problems) for page, problems in self.problems.items()
        )

    def crawl(self, client: Client, *start: str) -> None:
        """GET every page reachable by links from `start`, as this client, once."""
        seen = self._seen.setdefault(id(client), set())
        queue = deque(start)
        while queue:
            url = queue.popleft()
            if url in seen:
                continue
            seen.add(url)
            response = client.get(url)
            if response.status_code in (301, 302):
                queue.append(response["Location"])
                continue
            self.check(f"GET {url}", response)
            try:
                self.views.add(resolve(urlsplit(url).path).view_name)
            except Resolver404:
                self.views.add("404")
            if response.get("Content-Type", "").startswith("text/html"):
                queue.extend(links(response.content.decode()))
        assert len(seen) < 500, "the crawl ran away"

    def post(self, client: Client, url: str, data: dict, label: str = "") -> None:
        response = client.post(url, data, follow=True)
        label = label or " ".join(f"{key}={str(value)[:24]}" for key, value in data.items())
        self.check(f"POST {url} {label}", response)


def links(html: str) -> list[str]:
    found = []
    for href in re.findall(r'href="([^"]+)"', html):
        href = urldefrag(href.replace("&amp;", "&")).url
        if not href.startswith("/") or href.startswith("//"):
            continue
        if href.startswith(NOT_PAGES) or urlsplit(href).path.endswith(DOWNLOADS):
            continue
        found.append(href)
    return found


def test_a_citizen_meets_no_english(language, sample):
    reader = Reader(language, sample)
    reader.crawl(client_for(language=language), "/", reverse("language"), "/no-such-page/")
    for citizen in sample.citizens.values():
        client = client_for(citizen, language)
        venue_pages = [reverse("visits:venue_entry", args=[venue.code]) for venue in sample.venues]
        # Neither is linked from the status page or the account page yet.
        direct = [reverse("visits:isolation_point"), reverse("visits:history")]
        reader.crawl(client, "/", *direct, *venue_pages)
    reader.crawl(
        client_for(sample.citizens["green"], language),
        "/v/no-such-code/",
        "/visits/999/",
    )

    reader.assert_read(
        "home",
        "language",
        "account_request_login_code",
        "account",
        "profile",
        "account_logout",
        "visits:venue_entry",
        "visits:detail",
        "visits:history",
        "visits:lookups",
        "visits:isolation_point",
        "venues:list",
        "venues:register",
        "404",
    )


def test_a_responsible_person_and_an_organisation_admin_meet_no_english(language, sample):
    reader = Reader(language, sample)
    grocery = sample.grocery.pk
    reader.crawl(client_for(sample.staff, language), "/", reverse("venues:list"))
    reader.crawl(
        client_for(sample.staff, language),
        reverse("visits:staff", args=[grocery]) + "?mode=exit",
        reverse("visits:staff", args=[grocery]) + f"?visit={sample.visits[-1].pk}&mode=entry",
        reverse("visits:staff", args=[grocery]) + f"?visit={sample.visits[-2].pk}&mode=exit"
        "&done=exit",
        # Someone scanned again who may stay: "already inside since".
        reverse("visits:staff", args=[grocery])
        + f"?visit={Visit.objects.filter(**OPEN, venue=sample.grocery).first().pk}"
        "&mode=entry&again=1",
    )
    admin = client_for(sample.owner, language)
    reader.crawl(admin, "/", reverse("venues:list"), reverse("visits:dashboard"))
    for visit in sample.visits:
        reader.crawl(admin, reverse("visits:staff", args=[visit.venue_id]) + f"?visit={visit.pk}")
    # Someone new to it all: no venues yet.
    reader.crawl(client_for(person("Жаңа адам"), language), reverse("visits:dashboard"))
    # An organisation still waiting for verification: its pages, a refused scan, an invitation.
    newcomer = person("Арман Сейітов")
    waiting = Organisation.objects.create(
        bin="050140001246", legal_name="ТОО «Арман»", admin=newcomer
    )
    shop = Venue.objects.create(
        organisation=waiting,
        **{k: v for k, v in vars(sample.grocery).items() if k in VENUE_COPY},
    )
    client = client_for(newcomer, language)
    reader.crawl(client, reverse("venues:list"), reverse("visits:staff", args=[shop.pk]))
    reader.post(client, reverse("visits:staff", args=[shop.pk]), {"q": new_iin(), "mode": "entry"})
    reader.post(client, reverse("venues:staff", args=[shop.pk]), {"phone": "+7 701 555 77 99"})

    reader.assert_read(
        "venues:list",
        "venues:detail",
        "venues:settings",
        "venues:staff",
        "venues:poster",
        "venues:kiosk",
        "venues:add",
        "venues:register",
        "visits:staff",
        "visits:dashboard",
        "visits:venue_dashboard",
    )
