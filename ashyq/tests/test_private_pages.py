"""Pages with personal data are never kept by a shared cache or a shared phone's browser."""

import pytest
from django.urls import reverse

from accounts.tests.clients import client_for
from tests.sample import build_sample

pytestmark = pytest.mark.django_db


def directives(response) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part.strip()}


@pytest.fixture
def sample():
    return build_sample()


@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("green", lambda s: reverse("account")),
        ("green", lambda s: reverse("profile")),
        ("green", lambda s: reverse("visits:history")),
        ("green", lambda s: reverse("home")),
        ("owner", lambda s: reverse("visits:venue_dashboard", args=[s.grocery.pk])),
        ("owner", lambda s: reverse("visits:venue_export", args=[s.grocery.pk])),
        ("owner", lambda s: reverse("visits:dashboard")),
        ("staff", lambda s: reverse("visits:staff", args=[s.grocery.pk])),
    ],
)
def test_a_signed_in_page_is_private_and_not_stored(sample, who, url):
    user = sample.owner if who == "owner" else sample.staff if who == "staff" else None
    user = user or sample.citizens[who]

    response = client_for(user).get(url(sample))

    assert response.status_code == 200
    assert {"private", "no-store"} <= directives(response)
    assert "public" not in directives(response)


def test_the_sign_in_code_page_is_private(sample):
    client = client_for()

    response = client.post(reverse("account_request_login_code"), {"phone": "+7 701 123 45 67"})

    assert response.status_code == 302
    assert {"private", "no-store"} <= directives(response)


@pytest.mark.parametrize("name", ["language", "healthz"])
def test_public_pages_may_be_cached_even_when_signed_in(sample, name):
    response = client_for(sample.citizens["green"]).get(reverse(name))

    assert "no-store" not in directives(response)
