"""Every URL the project routes, discovered from the resolver, with arguments that resolve.

The walks over these (no 5xx for any method, any role, any input) stay true
when a page is added, because nothing here lists pages by hand.
"""

import inspect
import itertools
import re
from dataclasses import dataclass
from html.parser import HTMLParser

from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from tests.sample import Sample

# Direct reads of request parameters in view code: `request.GET.get("visit")`.
PARAMETER_READ = re.compile(r"request\.(?:GET|POST)(?:\.get|\.getlist)?[\(\[]\s*[\"'](\w+)[\"']")
FALLBACKS = ["1", "accounts", "statuses", "venues", "visits", "svg", "x"]


@dataclass(frozen=True)
class Route:
    name: str
    kwargs: tuple[str, ...]
    callback: object


def routes() -> list[Route]:
    found: list[Route] = []

    def walk(patterns, namespace: str, kwargs: tuple[str, ...]) -> None:
        for entry in patterns:
            names = tuple(entry.pattern.regex.groupindex)
            if isinstance(entry, URLResolver):
                inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                walk(entry.url_patterns, inner, kwargs + names)
            elif isinstance(entry, URLPattern) and entry.name:
                found.append(Route(f"{namespace}{entry.name}", kwargs + names, entry.callback))

    walk(get_resolver().url_patterns, "", ())
    return found


def known_values(sample: Sample) -> dict[str, list[str]]:
    return {
        "venue_id": [str(sample.grocery.pk)],
        "organisation_id": [str(sample.organisation.pk)],
        "user_id": [str(sample.staff.pk)],
        "invitation_id": [str(sample.invitation.pk)],
        "visit_id": [str(sample.visits[0].pk)],
        "code": [sample.grocery.code],
        "kind": ["svg"],
    }


def url_for(route: Route, values: dict[str, list[str]]) -> str | None:
    """The route's URL with real arguments where the sample has them, dummies elsewhere."""
    choices = [values.get(name, FALLBACKS) for name in route.kwargs]
    for combination in itertools.product(*choices):
        try:
            return reverse(route.name, kwargs=dict(zip(route.kwargs, combination, strict=True)))
        except NoReverseMatch:
            continue
    return None


def urls(sample: Sample) -> list[tuple[Route, str]]:
    values = known_values(sample)
    found = []
    for route in routes():
        url = url_for(route, values)
        assert url is not None, f"no arguments resolve {route.name}"
        found.append((route, url))
    return found


def parameters_read(route: Route) -> set[str]:
    """The parameters a view reads straight from the request (not through a form)."""
    view = getattr(route.callback, "view_class", None) or route.callback
    view = inspect.unwrap(view)
    try:
        source = inspect.getsource(inspect.getmodule(view))
    except (OSError, TypeError):
        return set()
    return set(PARAMETER_READ.findall(source))


class FormFields(HTMLParser):
    """Every field of every form on a page, by the form's method, with its value."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, dict[str, str]] = {"get": {}, "post": {}}
        self._method = "get"
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        fields = self.fields.setdefault(self._method, {})
        if tag == "form":
            self._method = (attributes.get("method") or "get").lower()
        elif tag in {"input", "textarea"} and attributes.get("name"):
            if attributes.get("type") in {"submit", "file", "button"}:
                return
            if attributes.get("type") in {"checkbox", "radio"} and "checked" not in attributes:
                fields.setdefault(attributes["name"], "")
                return
            fields[attributes["name"]] = attributes.get("value") or ""
        elif tag == "select" and attributes.get("name"):
            self._select = attributes["name"]
            fields.setdefault(self._select, "")
        elif (
            tag == "option"
            and self._select
            and attributes.get("value")
            and (not fields.get(self._select) or "selected" in attributes)
        ):
            fields[self._select] = attributes["value"]

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def form_fields(html: str) -> dict[str, dict[str, str]]:
    """{"get": {name: value}, "post": {name: value}} for the page's forms."""
    parser = FormFields()
    parser.feed(html)
    for fields in parser.fields.values():
        fields.pop("csrfmiddlewaretoken", None)
    return parser.fields
