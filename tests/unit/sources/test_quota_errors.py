import pytest
import redis

from jobraker_adapters.memory import FixedClock
from jobraker_adapters.sources.quota import RedisCallQuota, quota_key
from jobraker_core.errors import UpstreamUnavailable


@pytest.fixture
def unreachable():
    """Give a Redis client pointing at a closed port."""
    client = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5, retry=None)
    yield client
    client.close()


def test_an_unreachable_redis_is_upstream_unavailable(unreachable):
    """When Redis cannot be reached the quota raises ``UpstreamUnavailable`` for redis."""
    quota = RedisCallQuota(unreachable, key=quota_key("adzuna", "x"), clock=FixedClock())
    with pytest.raises(UpstreamUnavailable) as raised:
        quota.acquire()
    assert raised.value.service == "redis"
    with pytest.raises(UpstreamUnavailable):
        quota.used()


def test_quota_keys_are_per_vendor_and_app():
    """The Redis key names the vendor and the app id."""
    assert quota_key("adzuna", "abc") == "jobraker:quota:adzuna:abc"
