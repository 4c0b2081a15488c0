"""A clock that says what the test tells it to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs


@attrs.define
class FixedClock:
    """A ``Clock`` stopped at ``current`` until a test moves it with ``advance`` or ``set``."""

    current: datetime = attrs.field(factory=lambda: datetime(2026, 1, 15, 12, 0, tzinfo=UTC))

    def now(self) -> datetime:
        """The time the test set."""
        return self.current

    def advance(self, **delta: float) -> None:
        """Move the clock forward by ``timedelta(**delta)``."""
        self.current += timedelta(**delta)

    def set(self, when: datetime) -> None:
        """Put the clock at ``when``."""
        self.current = when
