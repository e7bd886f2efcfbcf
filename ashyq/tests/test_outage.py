"""A database or Redis away answers a translated 503 "try again", never a 500 (ashyq/outage.py).

The services are really away here: the database aliases point at a closed
port, the rate limits and the sessions use a Redis nobody listens on.
"""

import logging
import signal
import socket
import time

import pytest
from django.conf import settings
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from accounts.models import User
from ashyq.db import replica_answers
from visits.tests.conftest import make_venue

REQUEST_URL = reverse("account_request_login_code")

TRY_AGAIN = {
    "en": "Try again in a minute",
    "ru": "Повторите через минуту",
    "kk": "Бір минуттан кейін қайталап көріңіз",
}


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def dead_redis() -> dict:
    return {
        "BACKEND": "ashyq.cache.PooledRedisCache",
        "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
    }


def client_in(language: str) -> Client:
    # Django's test client re-raises what reaches handler500; a browser gets the page.
    client = Client(raise_request_exception=False)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def assert_try_again(response, language: str) -> None:
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    page = response.content.decode()
    assert f"<h1>{TRY_AGAIN[language]}</h1>" in page
    assert "Traceback" not in page


def kill_database(monkeypatch, alias: str) -> None:
    """Point `alias` at a server that is not there (undone by monkeypatch)."""
    connection = connections[alias]
    connection.close()
    if alias != "default" and connection.vendor == "sqlite" and connection.connection:
        # close() keeps an in-memory test database open: drop the mirror's link
        # to it, or the "dead" replica keeps answering from it (the default
        # connection's link keeps the database itself alive).
        connection.connection.close()
        connection.connection = None
    if connection.vendor == "postgresql":
        dead = {"HOST": "127.0.0.1", "PORT": closed_port()}
    else:
        dead = {"NAME": "/nonexistent/ashyq/db.sqlite3"}
    # A copy: a test mirror shares its settings with the alias it mirrors.
    monkeypatch.setattr(connection, "settings_dict", {**connection.settings_dict, **dead})


@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="SQLite's in-memory test database cannot be taken away from the connection",
)
@pytest.mark.parametrize("language", ["kk", "ru", "en"])
@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_a_page_with_the_database_away_asks_to_try_again(monkeypatch, language, caplog):
    venue = make_venue()
    client = client_in(language)
    client.force_login(venue.organisation.admin)
    # The replica mirrors the test database: both go.
    for alias in ("default", "replica"):
        kill_database(monkeypatch, alias)

    with caplog.at_level(logging.WARNING, logger="ashyq.outage"):
        response = client.get(reverse("visits:venue_dashboard", args=[venue.pk]))
    for alias in ("default", "replica"):
        connections[alias].close()

    assert_try_again(response, language)
    outage = [record.message for record in caplog.records if record.name == "ashyq.outage"]
    assert [message.split(":")[0] for message in outage] == ["service unavailable"]
    assert f"GET /dashboard/{venue.pk}/" in outage[0]


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
@pytest.mark.django_db
def test_a_code_request_with_the_cache_away_asks_to_try_again(settings, language):
    settings.CACHES = {"default": dead_redis()}
    client = client_in(language)

    response = client.post(REQUEST_URL, {"phone": "+7 701 123 45 67"})

    assert_try_again(response, language)
    assert not User.objects.exists()


@pytest.mark.django_db
def test_a_session_store_away_after_the_view_asks_to_try_again(settings):
    # The view works (rate limits in memory); saving the session afterwards,
    # in SessionMiddleware, meets the dead Redis: handler500's business.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "sessions": dead_redis(),
    }
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    settings.SESSION_CACHE_ALIAS = "sessions"

    response = client_in("ru").post(REQUEST_URL, {"phone": "+7 701 123 45 67"})

    assert_try_again(response, "ru")


@pytest.mark.django_db
def test_any_other_error_is_still_the_500_page(monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("a bug")

    monkeypatch.setattr("accounts.views.RequestLoginCodeView.form_valid", broken)

    response = client_in("en").post(REQUEST_URL, {"phone": "+7 701 123 45 67"})

    assert response.status_code == 500
    assert "<h1>Something went wrong</h1>" in response.content.decode()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="libpq's connect_timeout")
@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_a_replica_that_never_answers_is_given_up_within_the_connect_timeout(monkeypatch):
    # A host that drops packets: the connection opens and nothing ever answers.
    # Without a timeout libpq waits for ever, and the worker with it.
    assert {
        connections[alias].settings_dict["OPTIONS"]["connect_timeout"]
        for alias in ("default", "replica")
    } == {settings.DATABASE_CONNECT_TIMEOUT}
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        replica = connections["replica"]
        replica.close()
        options = {**replica.settings_dict["OPTIONS"], "connect_timeout": 1}
        dead = {"HOST": "127.0.0.1", "PORT": silent.getsockname()[1], "OPTIONS": options}
        monkeypatch.setattr(replica, "settings_dict", {**replica.settings_dict, **dead})
        previous = signal.signal(signal.SIGALRM, _hung)
        signal.alarm(10)
        started = time.monotonic()
        try:
            answers = replica_answers()
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)
        replica.close()

    assert answers is False
    assert time.monotonic() - started < 5


def _hung(*_args) -> None:
    raise AssertionError("connecting to a silent replica did not give up")
