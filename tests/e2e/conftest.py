"""Fixtures shared by the in-process journeys (TestClient on the real services, RQ worker)."""

from __future__ import annotations

import signal
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

    from jobraker_adapters.settings import Settings

_ENV = ("SKYVERN_API_KEY", "SKYVERN_PREVIOUS_API_KEY", "JOBRAKER_SCHEDULES", "JOBRAKER_QUEUE")


@pytest.fixture
def worker_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """This process's environment as a worker's (tasks build their container from it)."""
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)
    assert settings.database_url is not None
    assert settings.redis_url is not None
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("REDIS_URL", settings.redis_url)
    monkeypatch.setenv("JOBRAKER_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("JOBRAKER_DB_POOL_MAX", "2")
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield monkeypatch
    for sig, handler in saved.items():  # the RQ worker installs its own handlers
        signal.signal(sig, handler)
