"""Readiness: whether this process can reach PostgreSQL and Redis right now."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Final, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable

    from jobraker_adapters.postgres.pool import Pool

CHECK_TIMEOUT_SECONDS: Final = 1.5


class Pingable(Protocol):
    """A Redis client, as far as readiness cares."""

    def ping(self) -> object:
        """Round-trip to the server; raise when it cannot be reached."""
        ...


class ServiceReadiness:
    """Checks the database and Redis for ``/ready``.

    ``check`` runs both probes at once, each in a daemon thread, and waits at most
    ``CHECK_TIMEOUT_SECONDS`` in all: a probe that fails or has not answered by then counts as
    "not ready". It never raises.
    """

    def __init__(
        self, pool: Pool, redis: Pingable, *, timeout: float = CHECK_TIMEOUT_SECONDS
    ) -> None:
        """Probe ``pool`` and ``redis``, waiting at most ``timeout`` seconds per check."""
        self._pool = pool
        self._redis = redis
        self._timeout = timeout

    def _postgresql(self) -> None:
        with self._pool.connection(timeout=self._timeout) as conn:
            conn.execute("SELECT 1")

    def _redis_ping(self) -> None:
        self._redis.ping()

    def check(self) -> dict[str, bool]:
        """Whether each service answered: ``{"postgresql": ..., "redis": ...}``."""
        probes: dict[str, Callable[[], None]] = {
            "postgresql": self._postgresql,
            "redis": self._redis_ping,
        }
        passed: dict[str, bool] = dict.fromkeys(probes, False)
        lock = threading.Lock()

        def run(name: str, probe: Callable[[], None]) -> None:
            try:
                probe()
            except Exception:  # noqa: BLE001 - any failure means "not ready", by design
                return
            with lock:
                passed[name] = True

        threads = [
            threading.Thread(target=run, args=item, name=f"readiness-{item[0]}", daemon=True)
            for item in probes.items()
        ]
        deadline = time.monotonic() + self._timeout
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        with lock:
            return dict(passed)
