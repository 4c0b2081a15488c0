"""What the caller has spent: ``GET /api/v1/users/usage/`` (and the wire form of spending).

The cost ledger holds every automation step (Skyvern runs, under ``application:<id>``) and every
language-model token (chat messages and documents, under ``message:<id>`` / ``document:<id>``)
spent for the caller. The route answers one total per kind over all time or since ``since``, each
with its estimated cost in USD (a decimal string, never a float), and the sum of the costs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from litestar import Router, get
from litestar.di import NamedDependency  # noqa: TC002 - Litestar reads it at runtime
from litestar.params import Parameter

from jobraker_core.accounts.identity import Principal
from jobraker_core.errors import InvalidInput
from jobraker_core.spending import GetUsage, Spending
from jobraker_core.usage import UsageKind
from jobraker_http.docs import problem_responses
from jobraker_http.envelope import ItemMeta
from jobraker_http.guards import requires_user
from jobraker_http.providers import container_provider

UsageKindWire = Literal["automation_steps", "prompt_tokens", "completion_tokens"]


class UsageTotalOut(msgspec.Struct, kw_only=True):
    """How much of one kind was spent, and its estimated cost (USD, a decimal string)."""

    kind: UsageKindWire
    quantity: int
    cost_usd: str


class SpendingOut(msgspec.Struct, kw_only=True):
    """One total per kind (every kind, zero when none) and their summed cost."""

    automation_steps: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: str
    totals: list[UsageTotalOut]


class UsageOut(SpendingOut, kw_only=True):
    """The caller's spending since ``since`` (all time when null)."""

    since: datetime | None


class UsageEnvelope(msgspec.Struct, kw_only=True):
    """Success envelope around the caller's spending."""

    success: Literal[True]
    data: UsageOut
    meta: ItemMeta


def _usd(amount: object) -> str:
    return format(amount, "f")


def _totals(spending: Spending) -> list[UsageTotalOut]:
    return [
        UsageTotalOut(kind=t.kind.value, quantity=t.quantity, cost_usd=_usd(t.cost_usd))
        for t in spending.totals
    ]


def spending_to_wire(spending: Spending) -> SpendingOut:
    """The wire form of ``spending``."""
    return SpendingOut(
        automation_steps=spending.quantity(UsageKind.AUTOMATION_STEPS),
        prompt_tokens=spending.quantity(UsageKind.PROMPT_TOKENS),
        completion_tokens=spending.quantity(UsageKind.COMPLETION_TOKENS),
        cost_usd=_usd(spending.cost_usd),
        totals=_totals(spending),
    )


def usage_to_wire(spending: Spending) -> UsageOut:
    """The wire form of a person's spending over a period."""
    return UsageOut(
        since=spending.since,
        automation_steps=spending.quantity(UsageKind.AUTOMATION_STEPS),
        prompt_tokens=spending.quantity(UsageKind.PROMPT_TOKENS),
        completion_tokens=spending.quantity(UsageKind.COMPLETION_TOKENS),
        cost_usd=_usd(spending.cost_usd),
        totals=_totals(spending),
    )


@get(
    "/",
    sync_to_thread=True,
    summary="What I have spent",
    description="Automation steps (application runs), prompt and completion tokens (the "
    "assistant, tailored documents) and their estimated cost in USD, over all time or since "
    "`since` (an ISO 8601 time with a time zone).",
    responses=problem_responses(400, 401, 503),
)
def my_usage(
    principal: NamedDependency[Principal],
    get_usage: NamedDependency[GetUsage],
    since: Annotated[datetime | None, Parameter(description="Inclusive; with a time zone.")] = None,
) -> UsageEnvelope:
    """Return the caller's spending."""
    if since is not None and since.tzinfo is None:
        raise InvalidInput("since needs a time zone", field="since")
    spending = get_usage(principal.user_id, since=since)
    return UsageEnvelope(success=True, data=usage_to_wire(spending), meta=ItemMeta())


def usage_router() -> Router:
    """``GET /api/v1/users/usage/``."""
    return Router(
        path="/users/usage",
        route_handlers=[my_usage],
        tags=["usage"],
        guards=[requires_user],
        dependencies={"get_usage": container_provider("get_usage")},
    )
