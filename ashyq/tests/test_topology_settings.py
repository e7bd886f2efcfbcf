"""Which Redis and which database each role uses, read from the environment."""

import runpy
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from ashyq.env import redis_sibling_db

TOPOLOGY_VARIABLES = (
    "REDIS_URL",
    "REDIS_BROKER_URL",
    "REDIS_CACHE_URL",
    "DATABASE_URL",
    "DATABASE_REPLICA_URL",
)


def load_settings(monkeypatch, **env: str) -> dict:
    """Evaluate settings.py afresh under `env`, without touching the running settings."""
    for name in TOPOLOGY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(Path(settings.BASE_DIR) / "ashyq" / "settings.py"))


@pytest.mark.parametrize(
    ("url", "sibling"),
    [
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/1"),
        ("redis://127.0.0.1:6379", "redis://127.0.0.1:6379/1"),
        ("redis://:secret@redis.example:6380/4", "redis://:secret@redis.example:6380/5"),
        ("rediss://redis.example:6380/15", "rediss://redis.example:6380/14"),
        ("unix:///run/redis.sock?db=2", "unix:///run/redis.sock?db=3"),
    ],
)
def test_redis_sibling_db_is_another_database_on_the_same_server(url, sibling):
    assert redis_sibling_db(url) == sibling


def test_one_redis_url_gives_broker_and_cache_different_databases(monkeypatch):
    loaded = load_settings(monkeypatch, REDIS_URL="redis://127.0.0.1:6379/3")

    assert loaded["CACHES"]["default"]["LOCATION"] == "redis://127.0.0.1:6379/3"
    assert loaded["CELERY_BROKER_URL"] == "redis://127.0.0.1:6379/4"
    assert loaded["CELERY_TASK_ALWAYS_EAGER"] is False
    assert loaded["SESSION_ENGINE"] == "django.contrib.sessions.backends.cached_db"


BROKER = "redis://broker.example:6380/0"
CACHE = "redis://cache.example:6381/0"


@pytest.mark.parametrize(
    ("roles", "cache"),
    [
        pytest.param(
            {"REDIS_BROKER_URL": BROKER, "REDIS_CACHE_URL": CACHE}, CACHE, id="each its own"
        ),
        pytest.param({"REDIS_BROKER_URL": BROKER}, "redis://127.0.0.1:6379/0", id="cache unset"),
    ],
)
def test_each_role_may_have_its_own_server_or_fall_back_to_redis_url(monkeypatch, roles, cache):
    loaded = load_settings(monkeypatch, REDIS_URL="redis://127.0.0.1:6379/0", **roles)

    assert loaded["CELERY_BROKER_URL"] == BROKER
    assert loaded["CACHES"]["default"]["LOCATION"] == cache


def test_broker_and_cache_in_one_database_are_refused(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="same Redis database"):
        load_settings(
            monkeypatch,
            REDIS_BROKER_URL="redis://127.0.0.1:6379/0",
            REDIS_CACHE_URL="redis://127.0.0.1:6379/0",
        )


def test_without_redis_tasks_run_in_process_and_the_cache_is_local(monkeypatch):
    loaded = load_settings(monkeypatch)

    assert loaded["CELERY_TASK_ALWAYS_EAGER"] is True
    assert loaded["CACHES"]["default"]["BACKEND"].endswith("LocMemCache")


def test_without_a_replica_url_there_is_no_replica_alias(monkeypatch):
    loaded = load_settings(monkeypatch, DATABASE_URL="postgres://ashyq@db.example:5432/ashyq")

    assert list(loaded["DATABASES"]) == ["default"]


def test_a_replica_url_adds_the_replica_alias(monkeypatch):
    loaded = load_settings(
        monkeypatch,
        DATABASE_URL="postgres://ashyq@primary.example:6432/ashyq",
        DATABASE_REPLICA_URL="postgres://ashyq@replica.example:5432/ashyq",
    )

    replica = loaded["DATABASES"]["replica"]
    assert replica["HOST"] == "replica.example"
    assert replica["PORT"] == 5432
    assert replica["TEST"] == {"MIRROR": "default"}
    assert loaded["DATABASES"]["default"]["HOST"] == "primary.example"
