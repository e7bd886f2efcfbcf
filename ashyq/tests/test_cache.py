from ashyq.cache import PooledRedisCache


def test_the_redis_cache_reuses_one_client_per_pool():
    cache = PooledRedisCache("redis://127.0.0.1:6379/15", {})
    client = cache._cache

    first = client.get_client("a", write=True)
    second = client.get_client("b", write=True)

    assert first is second
    assert first.connection_pool is client._get_connection_pool(0)
