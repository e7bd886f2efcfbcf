import os
import uuid

import pytest

from accounts import ratelimit
from ashyq.cache import PooledRedisCache


def test_the_redis_cache_reuses_one_client_per_pool():
    cache = PooledRedisCache("redis://127.0.0.1:6379/15", {})
    client = cache._cache

    first = client.get_client("a", write=True)
    second = client.get_client("b", write=True)

    assert first is second
    assert first.connection_pool is client._get_connection_pool(0)


@pytest.fixture
def redis_cache() -> PooledRedisCache:
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip("REDIS_URL is not set (e.g. REDIS_URL=redis://127.0.0.1:6379/0)")
    cache = PooledRedisCache(url, {"KEY_PREFIX": f"test-{uuid.uuid4().hex}"})
    yield cache
    cache.delete("counter")


def test_count_creates_the_counter_with_an_expiry_and_adds_one(redis_cache):
    assert [redis_cache.count("counter", 60) for _ in range(3)] == [1, 2, 3]

    key = redis_cache.make_and_validate_key("counter")
    assert 55 <= redis_cache._cache.get_client(key).ttl(key) <= 60


def test_the_rate_limit_counts_in_redis(redis_cache, monkeypatch):
    monkeypatch.setattr(ratelimit, "cache", redis_cache)

    assert [ratelimit.allow("k", "2/m", now=120) for _ in range(3)] == [True, True, False]
