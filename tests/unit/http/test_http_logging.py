"""configure_logging: structlog and stdlib lines as JSON (or console) with bound context."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest
import structlog

from jobraker_adapters.container import Settings
from jobraker_adapters.observability import StaticReadiness, configure_logging


@pytest.fixture
def restore_logging():
    """Undo configure_logging's global changes after the test."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    quiet = {name: logging.getLogger(name).level for name in ("httpx", "httpcore")}
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)
    for name, old in quiet.items():
        logging.getLogger(name).setLevel(old)
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()


def configured(restore_logging, **settings) -> io.StringIO:
    """Configure logging into a fresh buffer with these settings."""
    stream = io.StringIO()
    configure_logging(Settings(data_dir=Path("/nonexistent"), **settings), stream=stream)
    return stream


def parsed(stream: io.StringIO) -> list[dict]:
    """Parse the JSON lines written to ``stream``."""
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_structlog_lines_are_json(restore_logging):
    """A structlog line is one JSON object with event, level, logger, timestamp and fields."""
    stream = configured(restore_logging)
    structlog.get_logger("jobraker.test").info("hello", answer=42)
    [line] = parsed(stream)
    assert line["event"] == "hello"
    assert line["answer"] == 42
    assert line["level"] == "info"
    assert line["logger"] == "jobraker.test"
    assert line["timestamp"].endswith("Z")


def test_stdlib_lines_are_json_with_bound_context(restore_logging):
    """A stdlib logging line (uvicorn's, RQ's) comes out as JSON with the bound context."""
    stream = configured(restore_logging)
    structlog.contextvars.bind_contextvars(request_id="r-1")
    logging.getLogger("uvicorn.error").warning("server %s", "started")
    [line] = parsed(stream)
    assert line["event"] == "server started"
    assert line["request_id"] == "r-1"
    assert line["logger"] == "uvicorn.error"
    assert line["level"] == "warning"


def test_level_comes_from_settings(restore_logging):
    """Lines below the configured level are dropped, for structlog and stdlib alike."""
    stream = configured(restore_logging, log_level="WARNING")
    structlog.get_logger("a").info("dropped")
    logging.getLogger("b").info("dropped too")
    structlog.get_logger("a").warning("kept")
    assert [line["event"] for line in parsed(stream)] == ["kept"]


def test_exceptions_are_rendered_in_the_line(restore_logging):
    """An exception logged with a line is rendered into its ``exception`` field."""
    stream = configured(restore_logging)
    try:
        raise ValueError("broken")  # noqa: TRY301 - the test needs a live traceback
    except ValueError:
        structlog.get_logger("x").exception("failed")
    [line] = parsed(stream)
    assert "ValueError: broken" in line["exception"]


def test_console_format_is_not_json(restore_logging):
    """``log_format="console"`` writes human-readable lines instead of JSON."""
    stream = configured(restore_logging, log_format="console")
    structlog.get_logger("x").info("hello console", n=1)
    text = stream.getvalue()
    assert "hello console" in text
    assert "n=1" in text
    with pytest.raises(json.JSONDecodeError):
        json.loads(text.splitlines()[0])


def test_reconfiguring_does_not_duplicate_lines(restore_logging):
    """Configuring twice leaves one handler: each event is written once."""
    configured(restore_logging)
    stream = configured(restore_logging)
    structlog.get_logger("x").info("once")
    assert len(parsed(stream)) == 1


def test_httpx_request_lines_are_quietened(restore_logging):
    """The INFO lines of httpx (request URLs, which may carry API keys) are not written."""
    stream = configured(restore_logging, log_level="DEBUG")
    logging.getLogger("httpx").info("HTTP Request: GET https://api?app_key=s3cr3t")
    assert stream.getvalue() == ""


def test_static_readiness_reports_what_it_was_told():
    """The readiness fake reports the services as it was constructed."""
    assert StaticReadiness().check() == {"postgresql": True, "redis": True}
    assert StaticReadiness(postgresql=False).check() == {"postgresql": False, "redis": True}


def test_lines_start_with_the_common_keys_and_drop_colour_copies(restore_logging):
    """Lines start with timestamp, level, logger, event; uvicorn's coloured copy is dropped."""
    stream = configured(restore_logging)
    logging.getLogger("uvicorn.error").info(
        "Started %s", "server", extra={"color_message": "\x1b[36mStarted\x1b[0m"}
    )
    [line] = parsed(stream)
    assert list(line)[:4] == ["timestamp", "level", "logger", "event"]
    assert "color_message" not in line
