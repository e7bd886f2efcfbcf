"""Every routed URL, signed out and in, GET and POST: no 5xx; allauth's unused pages are gone."""

import pytest
from django.conf import settings
from django.test import Client

from accounts.tests.clients import client_for
from statuses.tests.factories import epidemiologist
from tests.pages import page_problems
from tests.sample import build_sample, people_by_role
from tests.urlwalk import urls

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/password/reset/",
        "/accounts/password/set/",
        "/accounts/password/change/",
        "/accounts/password/reset/done/",
        "/accounts/password/reset/key/1-abc/",
        "/accounts/email/",
        "/accounts/confirm-email/",
        "/accounts/reauthenticate/",
        "/accounts/phone/change/",
        "/accounts/phone/verify/",
        "/admin/password_change/",
    ],
)
@pytest.mark.parametrize("signed_in", [False, True])
@pytest.mark.parametrize("method", ["get", "post"])
def test_password_email_and_reset_pages_answer_404(path, signed_in, method):
    client = client_for(epidemiologist(full_name="Staff") if signed_in else None)

    response = getattr(client, method)(path, {"email": "a@example.com"})

    assert response.status_code == 404


def test_sign_in_by_code_and_logout_stay_routed():
    client = client_for()

    assert client.get("/accounts/login/code/").status_code == 200
    assert client.get("/accounts/login/code/confirm/").status_code == 302
    assert client.get("/accounts/login/")["Location"] == "/accounts/login/code/"
    assert client.get("/accounts/signup/")["Location"] == "/accounts/login/code/"


def test_every_url_answers_without_a_server_error_signed_out_and_in():
    sample = build_sample()
    failures = []
    for role, user in people_by_role(sample, "green").items():
        client = client_for(user)
        for route, url in urls(sample):
            for method in ("get", "post"):
                response = getattr(client, method)(url)
                if response.status_code >= 500:
                    failures.append(f"{role} {method.upper()} {url} ({route.name})")
    assert failures == []


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_the_blocked_account_page_speaks_the_language(language):
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    response = client.get("/accounts/inactive/")

    assert response.status_code == 200
    assert page_problems(response.content.decode(), language) == []
