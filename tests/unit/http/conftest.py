"""Fixtures of the HTTP edge's unit tests: the memory container, an app over it, a job corpus.

``client`` sends an admin's bearer token with every request (so the existing routes' tests need
no change); ``anonymous_client`` sends none. ``auth_helpers`` makes accounts and tokens.
"""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import structlog
from auth_helpers import bearer_headers
from http_corpus import corpus
from litestar.testing import TestClient

from jobraker_adapters.container import Container, Settings, build_memory_container
from jobraker_adapters.observability import configure_logging
from jobraker_core.accounts.identity import Role
from jobraker_http import create_app

if TYPE_CHECKING:
    from collections.abc import Iterator

    from jobraker_core.jobs.model import JobPosting


@pytest.fixture
def container() -> Container:
    """Build a container of in-memory fakes."""
    return build_memory_container()


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:  # type: ignore[type-arg]
    """Run the app over ``container`` around the test; the client sends an admin's token."""
    with TestClient(create_app(container)) as test_client:
        test_client.headers.update(bearer_headers(container, role=Role.ADMIN))
        yield test_client


@pytest.fixture
def anonymous_client(container: Container) -> Iterator[TestClient]:  # type: ignore[type-arg]
    """Run the app over ``container`` around the test, and give a client that sends no token."""
    with TestClient(create_app(container)) as test_client:
        yield test_client


@pytest.fixture
def jobs(container: Container) -> dict[str, JobPosting]:
    """Store the corpus in ``container``."""
    return corpus(container)


class LogCapture:
    """JSON log lines written through ``configure_logging`` into a buffer."""

    def __init__(self) -> None:
        """Start with an empty buffer."""
        self.stream = io.StringIO()

    def lines(self) -> list[dict[str, object]]:
        """Parse every line written so far."""
        return [json.loads(line) for line in self.stream.getvalue().splitlines() if line]


@pytest.fixture
def json_logs() -> Iterator[LogCapture]:
    """Configure JSON logging into a buffer for the test, and undo it afterwards."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    capture = LogCapture()
    configure_logging(
        Settings(data_dir=Path("/nonexistent"), log_level="INFO"), stream=capture.stream
    )
    yield capture
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)
    structlog.reset_defaults()
