"""The Redis cache backend builds one redis.Redis client per connection pool (apps/core/cache.py)."""

import pytest
from django.core.cache import cache


@pytest.mark.redis
def test_one_client_per_pool_shared_by_every_call():
    backend = cache._cache
    first = backend.get_client("a", write=True)
    assert backend.get_client("b") is first  # one server: reads and writes use pool 0
    assert first.connection_pool is backend._pools[0]
    cache.set("cache-client-probe", {"n": 1}, 5)
    assert cache.get("cache-client-probe") == {"n": 1}
    assert cache.delete("cache-client-probe")
