import re

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.models import User
from tests.english import english_words

pytestmark = pytest.mark.django_db

LANGUAGES = ["kk", "ru"]


@pytest.fixture(params=LANGUAGES)
def language(request) -> str:
    return request.param


@pytest.fixture
def client(client, language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def assert_translated(response, language) -> None:
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    assert english_words(html) == []


def test_the_sign_in_pages_speak_the_language(
    client, language, sms_outbox, django_capture_on_commit_callbacks
):
    request_url = reverse("account_request_login_code")
    confirm_url = reverse("account_confirm_login_code")
    assert_translated(client.get(reverse("home")), language)
    assert_translated(client.get(request_url), language)
    for bad in ["", "12345", "+1 202 555 0123", "+7 727 258 00 00"]:
        assert_translated(client.post(request_url, {"phone": bad}), language)
    with django_capture_on_commit_callbacks(execute=True):
        assert_translated(client.post(request_url, {"phone": "87011234567"}, follow=True), language)
    assert_translated(client.post(confirm_url, {"code": ""}), language)
    assert_translated(client.post(confirm_url, {"code": "000000"}), language)
    code = re.search(r"\d{6}", sms_outbox[0].text).group()
    assert english_words(sms_outbox[0].text) == []
    assert_translated(client.post(confirm_url, {"code": code}, follow=True), language)
    assert_translated(client.get(reverse("account_logout")), language)
    assert_translated(client.post(reverse("account_logout"), follow=True), language)


def test_too_many_wrong_codes_is_said_in_the_language(
    client, language, sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_request_login_code"), {"phone": "87011234567"})
    for _ in range(2):
        client.post(reverse("account_confirm_login_code"), {"code": "000000"})

    response = client.post(reverse("account_confirm_login_code"), {"code": "000000"}, follow=True)

    assert_translated(response, language)


def test_the_signed_in_home_page_speaks_the_language(client, language):
    client.force_login(User.objects.create_user("+77011234567"))

    assert_translated(client.get(reverse("home")), language)


def test_error_pages_speak_the_language(client, language):
    assert_translated(client.get("/no-such-page/"), language)


def test_the_csrf_failure_page_speaks_the_language(language):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    response = strict.post(reverse("account_request_login_code"), {"phone": "87011234567"})

    assert response.status_code == 403
    assert_translated(response, language)
