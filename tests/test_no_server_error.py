"""Whatever anyone sends to any page, the answer is never a server error.

Generated values (NUL bytes, digits of other scripts, Infinity and NaN, huge
numbers, far dates, 10 KB strings) go into every field of every form and
every query parameter of every portal URL, signed in as each role. The URLs
come from the resolver and the fields from the rendered forms and the views'
own reads of the request, so a new page or field is covered the day it lands.
"""

import datetime

import pytest
from django.apps import apps
from django.test import Client
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from accounts.tests.clients import client_for
from tests.sample import ROLES, Sample, build_sample, people_by_role
from tests.urlwalk import Route, form_fields, known_values, parameters_read, url_for, urls

pytestmark = pytest.mark.django_db

TEXT_ARGUMENTS = {"code", "object_id"}
OUR_APPS = ("accounts", "statuses", "venues", "visits")
# Writes that end the session or destroy what the next examples need; the
# URL walk (ashyq/tests/test_urls.py) still sends each of them a request.
NOT_FUZZED = {"account_logout"}

# Each of these once answered 500 somewhere; every field gets each of them
# once (below), besides what Hypothesis generates.
SWEEP = [
    "1\x002",
    "Infinity",
    "sNaN",
    "1e400",
    "12345678901234567890123",
    "²",
    "9999-12-31",
    "0001-01-01",
    "x" * 10_240,
]
HOSTILE = st.one_of(
    st.sampled_from(
        [
            *SWEEP,
            "",
            " ",
            "\x00",
            "12\x0034",
            "Infinity",
            "-Infinity",
            "NaN",
            "sNaN",
            "1e400",
            "-1e400",
            "12345678901234567890123",
            "-99999999999999999999",
            "0",
            "-1",
            "²",
            "٣٤٥",
            "١٢٣٤٥٦٧٨٩٠١٢",
            "9999-12-31",
            "0001-01-01",
            "31.12.9999",
            "2021-02-30",
            "x" * 10_240,
            "9" * 10_240,
            "<script>alert(1)</script>",
            '=HYPERLINK("http://x")',
            "../../etc/passwd",
            "'; DROP TABLE x; --",
        ]
    ),
    st.text(max_size=30),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats().map(str),
    st.dates(min_value=datetime.date(1, 1, 1), max_value=datetime.date(9999, 12, 31)).map(
        datetime.date.isoformat
    ),
)


class Target:
    """One URL with the parameters it takes: query (GET) and form (POST)."""

    def __init__(self, url: str, query: dict[str, str], form: dict[str, str]) -> None:
        self.url = url
        self.query = query
        self.form = form

    def __repr__(self) -> str:
        return self.url


def admin_route_wanted(route: Route) -> bool:
    """Our models' admin pages, the epidemiologists' own pages included.

    Not the deletes, which would empty the sample, nor the history pages, a
    log with no input.
    """
    name = route.name.removeprefix("admin:")
    ours = name.startswith(tuple(f"{app}_" for app in OUR_APPS))
    return ours and not name.endswith(("_delete", "_history"))


def change_url_of_a_real_object(route: Route, url: str) -> str:
    # `…/<object_id>/change/` with the first object of that model, when there is one.
    app_label, model_name = route.name.removeprefix("admin:").split("_")[:2]
    try:
        model = apps.get_model(app_label, model_name)
    except LookupError:
        return url
    first = model._default_manager.order_by("pk").first()
    return url.replace("/1/", f"/{first.pk}/") if first is not None else url


def targets(client: Client, sample: Sample, *, admin: bool) -> list[Target]:
    found = []
    values = known_values(sample)
    for route, url in urls(sample):
        if route.name in NOT_FUZZED:
            continue
        if route.name.startswith("admin:"):
            if not admin or not admin_route_wanted(route):
                continue
            url = change_url_of_a_real_object(route, url)
        elif admin:
            # An epidemiologist's portal pages are a citizen's, walked as one.
            continue
        if TEXT_ARGUMENTS & set(route.kwargs):
            # A text argument in the path (a venue code, an object id) gets a NUL byte too.
            nul = {**values, **{name: ["a\x00b"] for name in TEXT_ARGUMENTS}}
            if hostile_url := url_for(route, nul):
                found.append(Target(hostile_url, {}, {}))
        response = client.get(url)
        fields = {"get": {}, "post": {}}
        if response.get("Content-Type", "").startswith("text/html"):
            fields = form_fields(response.content.decode())
        read = dict.fromkeys(parameters_read(route), "")
        found.append(
            Target(url, {**read, **fields.get("get", {})}, {**read, **fields.get("post", {})})
        )
    return found


@pytest.mark.parametrize("role", ROLES)
def test_no_input_gets_a_server_error(role):
    sample = build_sample()
    client = client_for(people_by_role(sample, "blue")[role], "kk")
    pages = targets(client, sample, admin=role == "epidemiologist")

    failures = [failure for page in pages if (failure := fuzz(client, page))]
    assert failures == [], "\n".join(failures)


EXAMPLES_PER_PAGE = 3


def fuzz(client: Client, page: Target) -> str:
    """Send one page a few generated requests; the first server error, or ""."""

    def values(fields: dict[str, str]):
        # Every field at once, each either its rendered value (so that the
        # rest of the form is valid and the view goes deeper) or a hostile one.
        fields = fields or {"next": "", "q": ""}
        return st.fixed_dictionaries(
            {name: st.one_of(st.just(value), HOSTILE, HOSTILE) for name, value in fields.items()}
        )

    # The sweep: request i gives field j the value SWEEP[(i + j) % len(SWEEP)],
    # so that every field meets every value while fields still differ.
    for method, fields in (("get", page.query), ("post", page.form)):
        names = sorted(fields) or ["next", "q"]
        # A page without such fields gets one request, to see it takes a stray one.
        for i in range(len(SWEEP) if fields else 1):
            data = {**fields, **{n: SWEEP[(i + j) % len(SWEEP)] for j, n in enumerate(names)}}
            try:
                response = getattr(client, method)(page.url, data)
            except Exception as exc:
                return f"{method.upper()} {page.url} {data!r}: {type(exc).__name__}: {exc}"
            if response.status_code >= 500:
                return f"{method.upper()} {page.url} {data!r}: {response.status_code}"

    @hypothesis_settings(
        max_examples=EXAMPLES_PER_PAGE,
        deadline=None,
        derandomize=True,
        database=None,
        # No shrinking: a failure is reported as found, and the run stays short.
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(
        request=st.one_of(
            st.tuples(st.just("get"), values(page.query)),
            st.tuples(st.just("post"), values(page.form)),
        )
    )
    def send(request) -> None:
        method, data = request
        response = getattr(client, method)(page.url, data)
        assert response.status_code < 500, f"{method.upper()} {page.url} {data!r}"

    try:
        send()
    except Exception as exc:
        return f"{page.url}: {type(exc).__name__}: {str(exc)[:2000]}"
    return ""
