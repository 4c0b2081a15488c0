"""Helpers of the HTTP journeys (tests/e2e): reading the envelope of a successful answer."""

from __future__ import annotations

from typing import Any


def ok(response: Any) -> Any:
    """The ``data`` of a successful (200/201) answer; fail with its body otherwise."""
    assert response.status_code in {200, 201}, response.text
    return response.json()["data"]
