"""The cost ledger: automation steps and language-model tokens spent for each person.

Every use case that spends (a Skyvern run's steps, a model's tokens) records a ``UsageEntry`` in
the same transaction as the result it paid for. ``subject`` names what the spending was for
(``"application:<id>"``, ``"message:<id>"``, ``"document:<id>"``), so cost can be shown per
application, per message, per document and per person, and budgets can be checked before spending.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

import attrs


class UsageKind(StrEnum):
    """What was spent."""

    AUTOMATION_STEPS = "automation_steps"
    PROMPT_TOKENS = "prompt_tokens"
    COMPLETION_TOKENS = "completion_tokens"


@attrs.frozen
class UsageEntry:
    """``quantity`` units of ``kind`` spent for ``subject``, costing about ``cost_usd``."""

    id: uuid.UUID
    user_id: uuid.UUID
    kind: UsageKind
    quantity: int
    cost_usd: Decimal
    subject: str
    recorded_at: datetime
    model: str | None = None


@attrs.frozen
class UsageTotal:
    """The sum of one kind of spending."""

    kind: UsageKind
    quantity: int
    cost_usd: Decimal


class UsageLedger(Protocol):
    """Recorded spending, in the unit of work's transaction."""

    def record(self, entry: UsageEntry) -> None:
        """Add ``entry`` (entries are never changed or removed, except by account erasure)."""
        ...

    def totals(self, user_id: uuid.UUID, *, since: datetime | None = None) -> Sequence[UsageTotal]:
        """What ``user_id`` spent since ``since`` (all time when None), one total per kind."""
        ...

    def for_subject(self, user_id: uuid.UUID, subject: str) -> Sequence[UsageEntry]:
        """Everything ``user_id`` spent for ``subject``, oldest first."""
        ...
