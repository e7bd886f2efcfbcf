"""Three wrong tries kill a sign-in code, however many arrive at once."""

import os
import re
import threading
import uuid

import pytest
from allauth.account import forms as allauth_forms
from django.conf import settings
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

REQUEST_URL = reverse("account_request_login_code")
CONFIRM_URL = reverse("account_confirm_login_code")


@pytest.fixture
def shared_cache(settings):
    """The cache every web process shares: Redis when configured, as in production."""
    url = os.environ.get("REDIS_URL", "").strip()
    if url:
        settings.CACHES = {
            "default": {
                "BACKEND": "ashyq.cache.PooledRedisCache",
                "LOCATION": url,
                "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
            }
        }
    return settings.CACHES["default"]["BACKEND"]


@pytest.fixture
def compared(monkeypatch) -> list[str]:
    """Every code allauth actually compares with the one it sent."""
    seen: list[str] = []
    lock = threading.Lock()
    real = allauth_forms.compare_user_code

    def counting(*, actual: str, expected: str) -> bool:
        with lock:
            seen.append(actual)
        return real(actual=actual, expected=expected)

    monkeypatch.setattr(allauth_forms, "compare_user_code", counting)
    return seen


def signed_in_client() -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.mark.django_db(transaction=True)
def test_thirty_concurrent_wrong_codes_get_three_compared(shared_cache, compared, sms_outbox):
    if connection.vendor == "sqlite":
        # Its in-memory test database locks whole tables under concurrent
        # writers; CI runs this on PostgreSQL.
        pytest.skip("needs a database that serves concurrent requests (PostgreSQL)")
    first = signed_in_client()
    assert first.post(REQUEST_URL, {"phone": "+7 701 123 45 67"})["Location"] == CONFIRM_URL
    code = re.search(r"\b(\d{6})\b", sms_outbox[0].text).group(1)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    session_cookie = first.cookies[settings.SESSION_COOKIE_NAME].value
    statuses: list[int] = []
    barrier = threading.Barrier(30)

    def guess() -> None:
        client = signed_in_client()
        client.cookies[settings.SESSION_COOKIE_NAME] = session_cookie
        try:
            barrier.wait()
            statuses.append(client.post(CONFIRM_URL, {"code": wrong}).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=guess) for _ in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(statuses) == 30
    assert compared == [wrong] * 3
    # The right code is dead too: the tries are spent.
    response = first.post(CONFIRM_URL, {"code": code})
    assert response.status_code == 302
    assert response["Location"] == REQUEST_URL
    assert "_auth_user_id" not in first.session


@pytest.mark.django_db
def test_the_right_code_on_the_third_try_signs_in(
    client, compared, sms_outbox, django_capture_on_commit_callbacks
):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(REQUEST_URL, {"phone": "+7 701 123 45 67"})
    code = re.search(r"\b(\d{6})\b", sms_outbox[0].text).group(1)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    assert client.post(CONFIRM_URL, {"code": wrong}).status_code == 200
    assert client.post(CONFIRM_URL, {"code": wrong}).status_code == 200
    response = client.post(CONFIRM_URL, {"code": code})

    assert response.status_code == 302
    assert compared == [wrong, wrong, code]
    assert "_auth_user_id" in client.session
