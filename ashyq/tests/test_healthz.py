import os
import socket

import pytest
import redis
from django.db import connection
from django.urls import reverse

from ashyq import views

pytestmark = pytest.mark.django_db


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(autouse=True)
def _fresh_clients():
    views.redis_client.cache_clear()
    yield
    views.redis_client.cache_clear()


def test_healthz_is_ok_when_the_database_answers(client, settings):
    settings.REDIS_BROKER_URL = ""
    settings.REDIS_CACHE_URL = ""

    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok"}}


def test_healthz_names_a_dead_broker_and_a_dead_cache(client, settings):
    settings.REDIS_BROKER_URL = f"redis://127.0.0.1:{closed_port()}/0"
    settings.REDIS_CACHE_URL = f"redis://127.0.0.1:{closed_port()}/1"

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json() == {
        "status": "error",
        "checks": {"database": "ok", "broker": "error", "cache": "error"},
    }


def test_healthz_names_only_the_dead_role(client, settings):
    url = os.environ.get("REDIS_URL", "")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("REDIS_URL is not set; CI must provide Redis for this test.")
        pytest.skip("REDIS_URL is not set")
    settings.REDIS_BROKER_URL = url
    settings.REDIS_CACHE_URL = f"redis://127.0.0.1:{closed_port()}/1"

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    body = response.json()
    assert body["checks"] == {"database": "ok", "broker": "ok", "cache": "error"}
    assert isinstance(body["celery_queue_depth"], int)


def test_healthz_reuses_one_redis_client_per_role(client, settings, monkeypatch):
    settings.REDIS_BROKER_URL = f"redis://127.0.0.1:{closed_port()}/0"
    settings.REDIS_CACHE_URL = f"redis://127.0.0.1:{closed_port()}/1"
    built: list[str] = []
    real_from_url = redis.Redis.from_url

    def counting_from_url(url: str, **kwargs):
        built.append(url)
        return real_from_url(url, **kwargs)

    monkeypatch.setattr(redis.Redis, "from_url", counting_from_url)

    for _ in range(3):
        assert client.get(reverse("healthz")).status_code == 503

    assert sorted(built) == sorted([settings.REDIS_BROKER_URL, settings.REDIS_CACHE_URL])


def test_healthz_names_a_dead_database(client, settings, monkeypatch):
    settings.REDIS_BROKER_URL = ""
    settings.REDIS_CACHE_URL = ""

    def broken_cursor(*args, **kwargs):
        raise ConnectionError("database is down")

    monkeypatch.setattr(connection, "cursor", broken_cursor)

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json() == {"status": "error", "checks": {"database": "error"}}
