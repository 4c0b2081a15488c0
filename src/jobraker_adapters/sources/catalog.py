"""The production ``JobSourceCatalog``: turns a ``SourceSpec`` into a ready job source.

Kinds:

- ``demo``: the demo corpus shipped inside this package (500 real LinkedIn postings).
- ``file``: any feed file on this machine (``path``; for the CLI and trusted callers only).
- ``feed``: a feed file by ``name`` inside ``settings.feeds_dir``; the only file kind the HTTP API
  accepts, so it refuses path separators, ``..`` and anything resolving outside that folder.
- ``adzuna``: an Adzuna search (see ``AdzunaQuery`` for its parameters).
- ``greenhouse``: Greenhouse job boards: ``board`` (one short name), else every board of
  ``JOBRAKER_GREENHOUSE_BOARDS``.
- ``lever``: Lever postings: ``company`` (one short name), else every company of
  ``JOBRAKER_LEVER_COMPANIES``.

``open`` does no I/O: it only checks the spec and builds the source.
"""

from __future__ import annotations

import time
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Final

from jobraker_adapters.sources.adzuna import SOURCE_NAME as ADZUNA_SOURCE
from jobraker_adapters.sources.adzuna import AdzunaJobSource, AdzunaQuery
from jobraker_adapters.sources.board_http import BoardFetcher
from jobraker_adapters.sources.feed_file import FeedFormat, FileJobSource
from jobraker_adapters.sources.greenhouse import SOURCE_NAME as GREENHOUSE_SOURCE
from jobraker_adapters.sources.greenhouse import GreenhouseJobSource, check_board
from jobraker_adapters.sources.lever import SOURCE_NAME as LEVER_SOURCE
from jobraker_adapters.sources.lever import LeverJobSource
from jobraker_adapters.sources.quota import ADZUNA_WINDOWS, RedisCallQuota, quota_key
from jobraker_core.errors import ConfigurationError, InvalidInput

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from importlib.resources.abc import Traversable

    import httpx
    import redis

    from jobraker_adapters.settings import Settings
    from jobraker_core.clock import Clock
    from jobraker_core.jobs.ingestion import SourceSpec
    from jobraker_core.jobs.ports import JobSource

DEMO_SOURCE: Final = "demo"
KINDS: Final = ("demo", "file", "feed", "adzuna", "greenhouse", "lever")
_RESERVED_SOURCES: Final = frozenset({DEMO_SOURCE, ADZUNA_SOURCE, GREENHOUSE_SOURCE, LEVER_SOURCE})
_MAX_SOURCE_NAME: Final = 100
_MAX_FILE_NAME: Final = 255


def demo_feed() -> Traversable:
    """Return the demo feed file shipped in this package."""
    return files("jobraker_adapters.sources").joinpath("data", "demo_jobs.jsonl")


def _check_params(spec: SourceSpec, allowed: frozenset[str]) -> dict[str, str]:
    params = dict(spec.params)
    unknown = sorted(set(params) - allowed)
    if unknown:
        allowed_text = ", ".join(sorted(allowed)) or "none"
        raise InvalidInput(
            f"unknown parameter {unknown[0][:40]!r} for a {spec.kind} source "
            f"(allowed: {allowed_text})",
            field=unknown[0][:40],
        )
    return params


def _format(params: Mapping[str, str], file_name: str) -> FeedFormat:
    raw = params.get("format")
    if raw:
        try:
            return FeedFormat(raw.strip().lower())
        except ValueError:
            raise InvalidInput("format must be jsonl or csv", field="format") from None
    found = FeedFormat.for_name(file_name)
    if found is None:
        raise InvalidInput(
            f"cannot tell the format of {file_name[:80]!r}: name it .jsonl, .ndjson or .csv, "
            "or pass format=jsonl|csv",
            field="format",
        )
    return found


def _source_name(params: Mapping[str, str], file_name: str) -> str:
    raw = params.get("source")
    if raw is None:
        return f"file:{file_name}"
    name = raw.strip()
    if not name or len(name) > _MAX_SOURCE_NAME or not name.isprintable():
        raise InvalidInput(
            f"source must be 1 to {_MAX_SOURCE_NAME} printable characters", field="source"
        )
    if name.lower() in _RESERVED_SOURCES:
        raise InvalidInput(f"source name {name!r} is reserved", field="source")
    return name


def _feed_name(params: Mapping[str, str]) -> str:
    name = params.get("name", "")
    if not name.strip():
        raise InvalidInput("name (a file in the feeds folder) is required", field="name")
    if (
        name != name.strip()
        or "/" in name
        or "\\" in name
        or name in {".", ".."}
        or ".." in name
        or name.startswith(".")
        or len(name) > _MAX_FILE_NAME
        or not name.isprintable()
    ):
        raise InvalidInput(
            "name must be the plain name of a file in the feeds folder (no folders, no '..')",
            field="name",
        )
    return name


class SourceCatalog:
    """The ``JobSourceCatalog`` of a deployment: demo, file, feed, Adzuna, Greenhouse, Lever.

    ``sleep`` is how Adzuna sources and their quota wait (tests pass one that records).
    """

    def __init__(
        self,
        *,
        settings: Settings,
        http: httpx.Client,
        redis: redis.Redis,
        clock: Clock,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """Take the settings and the shared clients; nothing connects until a source fetches."""
        self._settings = settings
        self._http = http
        self._redis = redis
        self._clock = clock
        self._sleep = sleep

    def open(self, spec: SourceSpec) -> JobSource:
        """Return the source ``spec`` describes; raise ``InvalidInput``/``ConfigurationError``."""
        if spec.kind == "demo":
            _check_params(spec, frozenset())
            return FileJobSource(demo_feed(), DEMO_SOURCE, FeedFormat.JSONL)
        if spec.kind == "file":
            return self._file(spec)
        if spec.kind == "feed":
            return self._feed(spec)
        if spec.kind == "adzuna":
            return self._adzuna(spec)
        if spec.kind in {"greenhouse", "lever"}:
            return self._board(spec)
        raise InvalidInput(
            f"unknown job source {spec.kind[:40]!r}; known: {', '.join(KINDS)}", field="source"
        )

    def _file(self, spec: SourceSpec) -> JobSource:
        params = _check_params(spec, frozenset({"path", "source", "format"}))
        raw = params.get("path", "")
        if not raw.strip():
            raise InvalidInput("path (the feed file) is required", field="path")
        if "\x00" in raw:
            raise InvalidInput("path contains a NUL character", field="path")
        path = Path(raw)
        return FileJobSource(path, _source_name(params, path.name), _format(params, path.name))

    def _feed(self, spec: SourceSpec) -> JobSource:
        params = _check_params(spec, frozenset({"name", "source", "format"}))
        name = _feed_name(params)
        root = self._settings.feeds_dir
        return FileJobSource(
            root / name, _source_name(params, name), _format(params, name), root=root
        )

    def _board(self, spec: SourceSpec) -> JobSource:
        """A Greenhouse or Lever source: the board named, else every configured one."""
        greenhouse = spec.kind == "greenhouse"
        name = "board" if greenhouse else "company"
        params = _check_params(spec, frozenset({name}))
        settings = self._settings
        configured = dict(settings.greenhouse_boards if greenhouse else settings.lever_companies)
        if params.get(name):
            boards = [check_board(params[name], name)]
        elif configured:
            boards = list(configured)
        else:
            variable = "JOBRAKER_GREENHOUSE_BOARDS" if greenhouse else "JOBRAKER_LEVER_COMPANIES"
            raise ConfigurationError(
                f"no {spec.kind} {name} given and none configured: pass {name}=... or set "
                f"{variable}"
            )
        names = {slug: display for slug, display in configured.items() if display}
        fetcher = BoardFetcher(
            http=self._http,
            service=spec.kind,
            vendor="Greenhouse" if greenhouse else "Lever",
            sleep=self._sleep,
            clock=self._clock,
        )
        if greenhouse:
            return GreenhouseJobSource(
                fetcher=fetcher,
                base_url=settings.greenhouse_base_url,
                boards=boards,
                companies=names,
            )
        return LeverJobSource(
            fetcher=fetcher, base_url=settings.lever_base_url, companies=boards, names=names
        )

    def _adzuna(self, spec: SourceSpec) -> JobSource:
        settings = self._settings
        if not settings.adzuna_enabled or not settings.adzuna_app_id or not settings.adzuna_app_key:
            raise ConfigurationError(
                "Adzuna is not configured: set ADZUNA_APP_ID and ADZUNA_API_KEY"
            )
        query = AdzunaQuery.from_params(dict(spec.params))
        quota = RedisCallQuota(
            self._redis,
            key=quota_key("adzuna", settings.adzuna_app_id),
            clock=self._clock,
            windows=ADZUNA_WINDOWS,
            service="adzuna",
            sleep=self._sleep,
        )
        return AdzunaJobSource(
            http=self._http,
            base_url=settings.adzuna_base_url,
            app_id=settings.adzuna_app_id,
            app_key=settings.adzuna_app_key,
            query=query,
            quota=quota,
            sleep=self._sleep,
            clock=self._clock,
        )
