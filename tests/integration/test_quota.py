import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta

import pytest
import redis

from jobraker_adapters.memory import FixedClock
from jobraker_adapters.sources.quota import (
    ADZUNA_WINDOWS,
    DAY,
    QuotaWindow,
    RedisCallQuota,
    quota_key,
)
from jobraker_core.errors import RateLimited

pytestmark = pytest.mark.integration

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
KEY = quota_key("adzuna", "test-app")


def quota_on(
    client: redis.Redis, clock: FixedClock, sleeps: list[float] | None = None, **options
) -> RedisCallQuota:
    """Build the Adzuna quota on the test Redis whose sleep moves ``clock``."""

    def sleep(seconds: float) -> None:
        if sleeps is not None:
            sleeps.append(seconds)
        clock.advance(seconds=seconds)

    return RedisCallQuota(client, key=KEY, clock=clock, sleep=sleep, **options)


def test_25_calls_a_minute_pass_and_the_26th_is_told_how_long_to_wait(redis_client):
    """25 calls within a minute are granted; the 26th gets the wait until the oldest expires."""
    clock = FixedClock(START)
    quota = quota_on(redis_client, clock)
    for _ in range(25):
        assert quota.try_acquire() == 0
        clock.advance(seconds=1)
    clock.set(START + timedelta(seconds=30))
    assert quota.try_acquire() == pytest.approx(30.0)
    assert quota.used() == {"minute": 25, "day": 25, "week": 25, "month": 25}


def test_a_refused_call_is_not_counted(redis_client):
    """Asking while the quota is full records nothing, however often it is asked."""
    clock = FixedClock(START)
    quota = quota_on(redis_client, clock)
    for _ in range(25):
        quota.try_acquire()
    for _ in range(10):
        assert quota.try_acquire() > 0
    assert quota.used()["minute"] == 25


def test_the_minute_window_slides(redis_client):
    """A minute after the oldest call there is room again, and not a millisecond before."""
    clock = FixedClock(START)
    quota = quota_on(redis_client, clock)
    for _ in range(25):
        assert quota.try_acquire() == 0
    clock.set(START + timedelta(seconds=59, milliseconds=999))
    assert quota.try_acquire() == pytest.approx(0.001)
    clock.set(START + timedelta(seconds=60))
    assert quota.try_acquire() == 0


def test_acquire_sleeps_through_a_short_wait(redis_client):
    """``acquire`` waits out the minute window through the injected sleep, then records."""
    clock = FixedClock(START)
    sleeps: list[float] = []
    quota = quota_on(redis_client, clock, sleeps)
    for _ in range(25):
        quota.acquire()
    clock.advance(seconds=10)
    quota.acquire()
    assert sleeps == [pytest.approx(50.0)]
    assert clock.now() == START + timedelta(seconds=60)


def test_a_used_up_day_raises_rate_limited_with_the_wait(redis_client):
    """With 250 calls in the last day, ``acquire`` raises ``RateLimited`` instead of sleeping."""
    clock = FixedClock(START)
    sleeps: list[float] = []
    quota = quota_on(redis_client, clock, sleeps)
    for _ in range(250):
        quota.acquire()
        clock.advance(seconds=300)
    # The first call was 250 x 300 s = 75,000 s ago; it leaves the day window 11,400 s from now.
    with pytest.raises(RateLimited) as raised:
        quota.acquire()
    assert raised.value.retry_after == pytest.approx(DAY - 75_000)
    assert raised.value.service == "adzuna"
    assert sleeps == []


def test_every_window_holds_over_a_long_greedy_run(redis_client):
    """Calling as fast as allowed for 40 days never exceeds any window and uses each in full."""
    clock = FixedClock(START)
    quota = quota_on(redis_client, clock)
    granted: list[datetime] = []
    end = START + timedelta(days=40)
    while clock.now() < end:
        wait = quota.try_acquire()
        if wait == 0:
            granted.append(clock.now())
            clock.advance(seconds=0.5)
        else:
            clock.advance(seconds=wait)
    for window in ADZUNA_WINDOWS:
        span = timedelta(seconds=window.seconds)
        low = 0
        for high, moment in enumerate(granted):
            while granted[low] <= moment - span:
                low += 1
            assert high - low + 1 <= window.limit, window.name
    in_first_month = [t for t in granted if t < START + timedelta(days=31)]
    assert len(in_first_month) == 2500
    assert len([t for t in granted if t < START + timedelta(days=7)]) == 1000
    assert len([t for t in granted if t < START + timedelta(days=1)]) == 250


def test_all_windows_are_checked_together(redis_client):
    """A call needs room in every window; the longest wait among full windows is returned."""
    clock = FixedClock(START)
    windows = (QuotaWindow("short", 10, 3), QuotaWindow("long", 100, 4))
    quota = quota_on(redis_client, clock, windows=windows)
    for _ in range(3):
        assert quota.try_acquire() == 0
    assert quota.try_acquire() == pytest.approx(10)  # short window full
    clock.advance(seconds=10)
    assert quota.try_acquire() == 0  # 4th call: long window now full
    clock.advance(seconds=10)
    assert quota.try_acquire() == pytest.approx(80)  # short has room, long frees at 100 s


def test_each_app_id_has_its_own_quota(redis_client):
    """Two app ids do not share calls; the key expires after the longest window."""
    clock = FixedClock(START)
    first = quota_on(redis_client, clock)
    other = RedisCallQuota(redis_client, key=quota_key("adzuna", "other-app"), clock=clock)
    for _ in range(25):
        first.try_acquire()
    assert other.try_acquire() == 0
    ttl = redis_client.pttl(KEY)
    assert 31 * DAY * 1000 < ttl <= 31 * DAY * 1000 + 60_000


def test_threads_racing_never_exceed_the_limit(redis_client, services):
    """Ten threads asking at once are granted exactly 25 calls between them."""
    clock = FixedClock(START)
    barrier = threading.Barrier(10)
    granted: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        client = redis.Redis.from_url(services.redis_url)
        quota = RedisCallQuota(client, key=KEY, clock=clock)
        barrier.wait()
        mine = sum(quota.try_acquire() == 0 for _ in range(10))
        client.close()
        with lock:
            granted.append(mine)

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(granted) == 25


PROCESS_SCRIPT = """
import sys
from datetime import datetime
import redis
from jobraker_adapters.sources.quota import RedisCallQuota

class Clock:
    def now(self):
        return datetime.fromisoformat(sys.argv[3])

client = redis.Redis.from_url(sys.argv[1])
quota = RedisCallQuota(client, key=sys.argv[2], clock=Clock())
print(sum(quota.try_acquire() == 0 for _ in range(15)))
client.close()
"""


def test_processes_racing_never_exceed_the_limit(redis_client, services):
    """Four processes asking at the same instant are granted exactly 25 calls between them."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", PROCESS_SCRIPT, services.redis_url, KEY, START.isoformat()],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    counts = []
    for proc in procs:
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0
        counts.append(int(out.strip()))
    assert sum(counts) == 25
    assert RedisCallQuota(redis_client, key=KEY, clock=FixedClock(START)).used()["minute"] == 25
