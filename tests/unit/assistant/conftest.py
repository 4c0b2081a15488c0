"""Fixtures of the assistant's unit tests."""

from __future__ import annotations

import pytest
from chat_world import world

from jobraker_adapters.container import Container


@pytest.fixture
def chat() -> Container:
    """A memory container with jobs, ME's résumé, and the local assistant."""
    return world()
