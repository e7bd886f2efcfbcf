"""The epidemiologists' admin in Kazakh and Russian: no English on any page they open.

Signed in as an epidemiologist, the crawl starts at the admin index and
follows every admin link: the changelists (and each of their filters once),
the change and add forms, the history pages, the person page, contact
tracing, the reports and the lab import pages. Then the forms are sent wrong
and right, so that their errors and success messages are read too.
"""

import re
from collections import deque
from urllib.parse import parse_qsl, urldefrag, urlencode, urlsplit

import pytest
from django.db import transaction
from django.urls import Resolver404, resolve, reverse

from accounts.models import User
from accounts.tests.clients import client_for
from statuses.imports import lab_import_upload
from statuses.models import LabImport, StatusRecord
from statuses.tests.factories import epidemiologist
from tests.sample import Sample, build_sample, new_iin
from tests.test_language_crawl import Reader
from venues.models import Category, Region
from visits.contacts import ContactToMark, contacts_mark
from visits.models import IsolationPoint, Visit
from visits.tracing import places

pytestmark = pytest.mark.django_db

# Not pages: the sign-out (a POST form), the JavaScript catalogue, downloads,
# and the deletion and history pages of rows an epidemiologist cannot delete.
NOT_ADMIN_PAGES = ("/admin/logout/", "/admin/jsi18n/")
DOWNLOADS = ("/export/",)
# Changelist links that only re-sort or page through the same rows.
SAME_PAGE_PARAMETERS = {"o", "p", "_changelist_filters"}


@pytest.fixture(params=["kk", "ru"])
def language(request) -> str:
    return request.param


def admin_links(html: str) -> list[str]:
    found = []
    for href in re.findall(r'href="([^"]+)"', html):
        href = urldefrag(href.replace("&amp;", "&")).url
        if href.startswith("?"):
            continue  # resolved against the page below
        if not href.startswith("/admin/") or href.startswith(NOT_ADMIN_PAGES):
            continue
        if any(part in href for part in DOWNLOADS):
            continue
        found.append(href)
    return found


# The result words the lab importer accepts, quoted on the upload page as
# literal values to type (their Kazakh glosses stand next to them).
IMPORTER_WORDS = ["positive", "negative", "vaccinated", "recovered"]
# The column names it reads, quoted with their Russian headers when a file
# lacks one.
IMPORTER_COLUMNS = ["iin", "sample_id", "taken_at", "result", "lab"]


class AdminReader(Reader):
    @property
    def neutral(self) -> list[str]:
        # Uploaded files keep their names, extension included.
        files = LabImport.objects.values_list("file_name", flat=True)
        return [*super().neutral, *files]

    @property
    def identifiers(self) -> set[str]:
        """Latin words that are identifiers, not English: category and region
        codes, the importer's literal words and column names."""
        codes = [
            *Category.objects.values_list("code", flat=True),
            *Region.objects.values_list("code", flat=True),
            *IMPORTER_WORDS,
            *IMPORTER_COLUMNS,
        ]
        return {word for code in codes for word in re.findall(r"[A-Za-z]+", code)}

    def check(self, label: str, response) -> None:
        # Identifiers are taken out of the words found, not out of the HTML:
        # "lab" is also inside "<label".
        super().check(label, response)
        problems = self.problems.pop(label, [])
        identifiers = self.identifiers
        kept = []
        for problem in problems:
            if problem.startswith("English: "):
                words = [w for w in problem.split()[1:] if w not in identifiers]
                if not words:
                    continue
                problem = "English: " + " ".join(words)
            kept.append(problem)
        if kept:
            self.problems[label] = kept

    def read(self, client, url: str) -> None:
        """One page, its redirect followed, without crawling on from it."""
        self.check(f"GET {url}", client.get(url, follow=True))

    def crawl_admin(self, client, *start: str) -> None:
        """Every admin page reachable by links from `start`.

        A page with a query string (a filtered changelist) is read, but its own
        links are not followed: one value of each filter, not every combination.
        """
        seen: set[str] = set()
        queue = deque(start)
        asked = set(start)
        while queue:
            url = queue.popleft()
            parts = urlsplit(url)
            query = [(k, v) for k, v in parse_qsl(parts.query) if k not in SAME_PAGE_PARAMETERS]
            url = parts.path + (f"?{urlencode(query)}" if query else "")
            # One value of each filter is enough: the others render the same words.
            shape = parts.path + "?" + ",".join(sorted(k for k, _v in query))
            if url in seen or (query and shape in seen and url not in asked):
                continue
            seen.update({url, shape})
            response = client.get(url)
            if response.status_code in (301, 302):
                queue.append(response["Location"])
                continue
            if response.status_code == 403:
                continue
            self.check(f"GET {url}", response)
            try:
                self.views.add(resolve(parts.path).view_name)
            except Resolver404:
                self.views.add("404")
            if query or not response.get("Content-Type", "").startswith("text/html"):
                continue
            html = response.content.decode()
            for href in re.findall(r'href="(\?[^"]*)"', html):
                queue.append(parts.path + href.replace("&amp;", "&"))
            queue.extend(admin_links(html))
        assert len(seen) < 1000, "the crawl ran away"


def admin_sample() -> tuple[Sample, User]:
    sample = build_sample()
    epi = epidemiologist(full_name="Гүлнар Әбенова", language="kk")
    # Something of every kind an epidemiologist looks at: a traced contact,
    # an isolation place set by them, a checked lab import and one with errors.
    blue = sample.citizens["blue"]
    red = sample.citizens["red"]
    end = Visit.objects.filter(iin=red.iin).latest("checked_in_at").checked_in_at
    contacts_mark(
        case_iin=red.iin,
        contacts=[ContactToMark(blue.iin, end, places([sample.grocery.pk]))],
        by=epi,
    )
    IsolationPoint.objects.create(
        iin=sample.citizens["red"].iin,
        address="Абай даңғылы 20",
        latitude="43.240000",
        longitude="76.890000",
        updated_by=epi,
    )
    good = (
        "ИИН,номер пробы,дата забора,результат,лаборатория\n"
        f"{new_iin()},П-1,14.09.2021 10:30,отрицательный,Олимп\n"
        f"{new_iin()},П-2,2021-09-14 11:00,положительный,Олимп\n"
        "123,П-3,14.09.2021 10:30,отрицательный,Олимп\n"
        f"{new_iin()},П-4,31.02.2021 10:30,күлгін,Олимп\n"
    )
    with transaction.atomic():
        lab_import_upload(file_name="олимп.csv", content=good.encode(), by=epi)
    with transaction.atomic():
        lab_import_upload(file_name="бос.csv", content="а;б\n".encode(), by=epi)
    return sample, epi


def test_an_epidemiologist_meets_no_english_in_the_admin(
    language, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sample, epi = admin_sample()
    assert LabImport.objects.filter(state=LabImport.State.CHECKED).exists()
    reader = AdminReader(language, sample)
    client = client_for(epi, language)
    red = sample.citizens["red"]
    record = StatusRecord.objects.filter(iin=red.iin).first()
    reader.crawl_admin(
        client,
        "/admin/",
        reverse("admin:visits_visit_person") + f"?q={red.iin}",
        reverse("admin:visits_visit_person") + f"?q={sample.citizens['green'].phone}",
        reverse("admin:visits_visit_tracing") + f"?iin={red.iin}&days=14&minutes=1",
        reverse("admin:visits_visit_reports") + "?days=30",
        reverse("admin:statuses_statusrecord_lift", args=[record.pk]),
        reverse("admin:statuses_statusrecord_history", args=[record.pk]),
        "/admin/no-such-page/",
    )

    reader.assert_read(
        "admin:index",
        "admin:app_list",
        "admin:visits_visit_changelist",
        "admin:visits_visit_change",
        "admin:visits_visit_person",
        "admin:visits_visit_tracing",
        "admin:visits_visit_reports",
        "admin:visits_isolationpoint_changelist",
        "admin:visits_isolationpoint_change",
        "admin:visits_isolationpoint_add",
        "admin:statuses_statusrecord_changelist",
        "admin:statuses_statusrecord_change",
        "admin:statuses_statusrecord_add",
        "admin:statuses_statusrecord_lift",
        "admin:statuses_statusrecord_history",
        "admin:statuses_labimport_changelist",
        "admin:statuses_labimport_change",
        "admin:statuses_labimport_add",
        "admin:statuses_labresult_changelist",
        "admin:statuses_statusinfo_changelist",
        "admin:statuses_statusinfo_change",
        "admin:statuses_notification_changelist",
        "admin:accounts_user_changelist",
        "admin:accounts_user_change",
    )


def test_the_admin_forms_answer_in_the_language(language, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sample, epi = admin_sample()
    reader = AdminReader(language, sample)
    client = client_for(epi, language)
    red, green = sample.citizens["red"], sample.citizens["green"]

    person = reverse("admin:visits_visit_person")
    for q in ["", "12345", "90010130001X", "900101300010", "+7 701 999 99 99", "Айгерім"]:
        reader.read(client, f"{person}?{urlencode({'q': q})}")
    tracing = reverse("admin:visits_visit_tracing")
    for query in [
        {"iin": ""},
        {"iin": "123"},
        {"iin": red.iin, "days": "0", "minutes": "көп"},
        {"iin": red.iin, "days": "9999", "minutes": "-5"},
    ]:
        reader.read(client, f"{tracing}?{urlencode(query)}")
    reader.post(client, tracing, {"iin": red.iin, "days": "14", "minutes": "1", "as_of": "x"})
    reader.post(client, tracing, {"iin": red.iin, "days": "14", "minutes": "1"}, label="none")
    reader.read(client, reverse("admin:visits_visit_reports") + "?days=бір")

    add = reverse("admin:statuses_statusrecord_add")
    valid = {
        "iin": new_iin(),
        "source": "manual",
        "status": "red",
        "valid_from_0": "14.09.2021",
        "valid_from_1": "10:30",
        "valid_until_0": "",
        "valid_until_1": "",
        "note": "Жедел тест",
    }
    for wrong in [
        {"iin": "", "source": "", "status": "", "valid_from_0": "", "valid_from_1": ""},
        {"iin": "123", "valid_from_0": "09/14/2021", "valid_from_1": "10:30 PM"},
        {"status": "көк", "valid_until_0": "13.09.2021", "valid_until_1": "10:00"},
        {"source": "күлгін", "valid_from_0": "31.02.2021", "note": ""},
    ]:
        reader.post(client, add, {**valid, **wrong}, label=" ".join(wrong))
    reader.post(client, add, valid, label="valid")
    record = StatusRecord.objects.filter(iin=green.iin, lifted_at__isnull=True).first()
    lift = reverse("admin:statuses_statusrecord_lift", args=[record.pk])
    reader.post(client, lift, {"reason": ""}, label="no reason")
    reader.post(client, lift, {"reason": "Қате енгізілген"}, label="lifted")
    reader.post(client, lift, {"reason": "Тағы да"}, label="lifted twice")

    upload = reverse("admin:statuses_labimport_add")
    reader.post(client, upload, {}, label="no file")
    isolation = reverse("admin:visits_isolationpoint_add")
    for wrong in [
        {"iin": "", "address": "", "latitude": "", "longitude": ""},
        {"iin": "123", "address": "Абай 1", "latitude": "95", "longitude": "солтүстік"},
        {"iin": new_iin(), "address": "Абай 1", "latitude": "43.238949123456", "longitude": "1"},
    ]:
        reader.post(client, isolation, wrong, label=" ".join(f"{k}={v}" for k, v in wrong.items()))
    reader.post(
        client,
        isolation,
        {"iin": new_iin(), "address": "Абай 1", "latitude": "43.2", "longitude": "76.9"},
        label="valid place",
    )
    changelist = reverse("admin:visits_visit_changelist")
    for term in ["Жарық", red.iin, str(green.phone), "жоқ"]:
        reader.read(client, f"{changelist}?{urlencode({'q': term})}")
    reader.read(client, f"{changelist}?checked_in_at__gte=бүгін")

    reader.assert_read()
