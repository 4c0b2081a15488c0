"""Settings: the only place Jobraker reads the environment.

``Settings.from_env(os.environ)`` is called once at start-up by an edge (CLI, API, worker) and the
result is handed to ``build_container``. Every variable is documented in ``docs/operations.md``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Final

import attrs

from jobraker_core.errors import ConfigurationError

DEFAULT_ADZUNA_BASE_URL: Final = "https://api.adzuna.com/v1/api"


def default_data_dir(env: Mapping[str, str]) -> Path:
    """Where data lives when neither ``--data-dir`` nor ``JOBRAKER_DATA_DIR`` says: the XDG data
    home (``~/.local/share/jobraker``)."""
    base = env.get("XDG_DATA_HOME") or str(Path(env.get("HOME", "~")).expanduser() / ".local/share")
    return Path(base) / "jobraker"


@attrs.frozen
class Schedule:
    """A source ingested every ``every_minutes`` minutes by the worker's scheduler."""

    name: str
    kind: str
    params: tuple[tuple[str, str], ...]
    every_minutes: int


def _parse_schedules(raw: str | None) -> tuple[Schedule, ...]:
    if not raw:
        return ()
    try:
        items = json.loads(raw)
        return tuple(
            Schedule(
                name=str(item["name"]),
                kind=str(item["kind"]),
                params=tuple(sorted((str(k), str(v)) for k, v in item.get("params", {}).items())),
                every_minutes=int(item["every_minutes"]),
            )
            for item in items
        )
    except (ValueError, TypeError, KeyError) as error:
        raise ConfigurationError(
            "JOBRAKER_SCHEDULES must be a JSON list of "
            '{"name", "kind", "params", "every_minutes"} objects: ' + str(error)
        ) from error


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number, not {raw!r}") from None


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a number, not {raw!r}") from None


@attrs.frozen
class Settings:
    """Everything configurable about a Jobraker process, read once from the environment.

    ``database_url``/``redis_url`` unset means "start the embedded servers of ``data_dir``".
    Adzuna is switched on by setting both ``adzuna_app_id`` and ``adzuna_app_key``.
    """

    data_dir: Path
    database_url: str | None = None
    redis_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    log_format: str = "json"
    queue_name: str = "jobraker"
    db_pool_min: int = 1
    db_pool_max: int = 10
    db_pool_timeout: float = 1.0
    db_statement_timeout_ms: int = 15_000
    adzuna_app_id: str | None = None
    adzuna_app_key: str | None = None
    adzuna_base_url: str = DEFAULT_ADZUNA_BASE_URL
    http_timeout: float = 20.0
    schedules: tuple[Schedule, ...] = ()
    ingest_retries: int = 3

    @property
    def feeds_dir(self) -> Path:
        """The folder the API may ingest feed files from (API requests cannot name other paths)."""
        return self.data_dir / "feeds"

    @property
    def adzuna_enabled(self) -> bool:
        """Whether Adzuna credentials are configured."""
        return bool(self.adzuna_app_id and self.adzuna_app_key)

    @classmethod
    def from_env(cls, env: Mapping[str, str], *, data_dir: Path | None = None) -> Settings:
        """Read the settings from ``env``; ``data_dir`` (a ``--data-dir`` flag) wins over the env.

        Raises ``ConfigurationError`` naming the variable that is malformed.
        """
        chosen = data_dir or (Path(env["JOBRAKER_DATA_DIR"]) if env.get("JOBRAKER_DATA_DIR")
                              else default_data_dir(env))
        log_format = env.get("JOBRAKER_LOG_FORMAT", "json")
        if log_format not in {"json", "console"}:
            raise ConfigurationError("JOBRAKER_LOG_FORMAT must be 'json' or 'console'")
        return cls(
            data_dir=chosen.expanduser().resolve(),
            database_url=env.get("DATABASE_URL") or None,
            redis_url=env.get("REDIS_URL") or None,
            host=env.get("JOBRAKER_HOST", "127.0.0.1"),
            port=_int(env, "JOBRAKER_PORT", 8000),
            log_level=env.get("JOBRAKER_LOG_LEVEL", "INFO").upper(),
            log_format=log_format,
            queue_name=env.get("JOBRAKER_QUEUE", "jobraker"),
            db_pool_min=_int(env, "JOBRAKER_DB_POOL_MIN", 1),
            db_pool_max=_int(env, "JOBRAKER_DB_POOL_MAX", 10),
            db_pool_timeout=_float(env, "JOBRAKER_DB_POOL_TIMEOUT", 1.0),
            db_statement_timeout_ms=_int(env, "JOBRAKER_DB_STATEMENT_TIMEOUT_MS", 15_000),
            adzuna_app_id=env.get("ADZUNA_APP_ID") or None,
            adzuna_app_key=env.get("ADZUNA_API_KEY") or env.get("ADZUNA_APP_KEY") or None,
            adzuna_base_url=(env.get("ADZUNA_BASE_URL") or DEFAULT_ADZUNA_BASE_URL).rstrip("/"),
            http_timeout=_float(env, "JOBRAKER_HTTP_TIMEOUT", 20.0),
            schedules=_parse_schedules(env.get("JOBRAKER_SCHEDULES")),
            ingest_retries=_int(env, "JOBRAKER_INGEST_RETRIES", 3),
        )

    @classmethod
    def from_os(cls, *, data_dir: Path | None = None) -> Settings:
        """Read the settings from this process's environment."""
        return cls.from_env(os.environ, data_dir=data_dir)
