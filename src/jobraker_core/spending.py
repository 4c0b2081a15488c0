"""Reading the cost ledger: what a person spent, in total or for one subject.

The ledger (``jobraker_core.usage``) is written by the use cases that spend: a Skyvern run's steps
under ``"application:<id>"``, a chat message's tokens under ``"message:<id>"``, a document's under
``"document:<id>"``. These use cases show it to the person: per application, and per person over
a period, one total per kind (every kind is listed, zero when nothing was spent).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import attrs

from jobraker_core.usage import UsageEntry, UsageKind, UsageTotal

if TYPE_CHECKING:
    from jobraker_core.ports import UnitOfWorkFactory


def application_subject(application_id: uuid.UUID) -> str:
    """The ledger subject of an application's spending."""
    return f"application:{application_id}"


@attrs.frozen
class Spending:
    """One total per kind (all kinds, in ``UsageKind`` order) and what they cost together."""

    totals: tuple[UsageTotal, ...]
    since: datetime | None = None

    @classmethod
    def of_totals(cls, totals: Iterable[UsageTotal], since: datetime | None = None) -> Spending:
        """Every kind's total, zero for the kinds missing from ``totals``."""
        found = {total.kind: total for total in totals}
        return cls(
            tuple(found.get(kind, UsageTotal(kind, 0, Decimal(0))) for kind in UsageKind),
            since,
        )

    @classmethod
    def of_entries(cls, entries: Iterable[UsageEntry]) -> Spending:
        """The totals of ``entries``."""
        quantity: dict[UsageKind, int] = {}
        cost: dict[UsageKind, Decimal] = {}
        for entry in entries:
            quantity[entry.kind] = quantity.get(entry.kind, 0) + entry.quantity
            cost[entry.kind] = cost.get(entry.kind, Decimal(0)) + entry.cost_usd
        return cls.of_totals(UsageTotal(kind, quantity[kind], cost[kind]) for kind in quantity)

    def quantity(self, kind: UsageKind) -> int:
        """How many units of ``kind`` were spent."""
        return sum(total.quantity for total in self.totals if total.kind is kind)

    @property
    def cost_usd(self) -> Decimal:
        """The estimated cost of everything, in USD."""
        return sum((total.cost_usd for total in self.totals), Decimal(0))


class GetApplicationSpending:
    """What the person's application has cost so far (its automation steps)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(self, user_id: uuid.UUID, application_id: uuid.UUID) -> Spending:
        """The totals recorded under the application's subject (``NotFound`` if not theirs)."""
        with self._uow() as uow:
            uow.applications.get(user_id, application_id)
            return Spending.of_entries(
                uow.usage.for_subject(user_id, application_subject(application_id))
            )


class GetUsage:
    """What a person spent since a moment (all time without one): steps, tokens, cost."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(self, user_id: uuid.UUID, *, since: datetime | None = None) -> Spending:
        """The person's totals per kind."""
        with self._uow() as uow:
            return Spending.of_totals(uow.usage.totals(user_id, since=since), since)
