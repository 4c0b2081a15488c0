"""What the language model costs: prices, a person's monthly token budget, and the ledger entries.

Every use case that calls a ``LanguageModel`` for a person (a chat message, a tailored résumé, a
cover letter) checks ``TokenBudget.check`` before calling and records what the calls consumed with
``record_token_usage`` in the same unit of work as the result, under a subject such as
``"message:<id>"`` or ``"document:<id>"``. Tokens are counted by the model (``TokenUsage``); the
cost is an estimate from ``TokenPrices`` (USD per million tokens, configured per deployment; the
local model is free).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Final

import attrs

from jobraker_core.errors import TooManyRequests
from jobraker_core.usage import UsageEntry, UsageKind, UsageLedger

if TYPE_CHECKING:
    from jobraker_core.assistant.language_model import TokenUsage

MILLION: Final = Decimal(1_000_000)
_CENT_FRACTION: Final = Decimal("0.000001")  # ledger precision: a millionth of a dollar


def _not_negative(_instance: object, attribute: attrs.Attribute[Decimal], value: Decimal) -> None:
    if not value.is_finite() or value < 0:
        raise ValueError(f"{attribute.name} must be a price of at least 0, not {value}")


@attrs.frozen
class TokenPrices:
    """USD per million prompt (input) and completion (output) tokens of one model."""

    input_per_million: Decimal = attrs.field(default=Decimal(0), validator=_not_negative)
    output_per_million: Decimal = attrs.field(default=Decimal(0), validator=_not_negative)

    @classmethod
    def free(cls) -> TokenPrices:
        """Prices of a model that costs nothing (the local assistant)."""
        return cls(Decimal(0), Decimal(0))

    def prompt_cost(self, tokens: int) -> Decimal:
        """The estimated cost of ``tokens`` prompt tokens, to a millionth of a dollar."""
        return (self.input_per_million * tokens / MILLION).quantize(_CENT_FRACTION)

    def completion_cost(self, tokens: int) -> Decimal:
        """The estimated cost of ``tokens`` completion tokens, to a millionth of a dollar."""
        return (self.output_per_million * tokens / MILLION).quantize(_CENT_FRACTION)

    def cost(self, usage: TokenUsage) -> Decimal:
        """The estimated cost of a completion's ``usage``."""
        return self.prompt_cost(usage.prompt_tokens) + self.completion_cost(usage.completion_tokens)


def record_token_usage(
    ledger: UsageLedger,
    *,
    user_id: uuid.UUID,
    usage: TokenUsage,
    prices: TokenPrices,
    subject: str,
    model: str,
    at: datetime,
) -> Decimal:
    """Record ``usage`` for ``subject`` (one entry per kind of token spent); return its cost."""
    total = Decimal(0)
    for kind, quantity, cost in (
        (UsageKind.PROMPT_TOKENS, usage.prompt_tokens, prices.prompt_cost(usage.prompt_tokens)),
        (
            UsageKind.COMPLETION_TOKENS,
            usage.completion_tokens,
            prices.completion_cost(usage.completion_tokens),
        ),
    ):
        if quantity <= 0:
            continue
        ledger.record(
            UsageEntry(
                id=uuid.uuid4(),
                user_id=user_id,
                kind=kind,
                quantity=quantity,
                cost_usd=cost,
                subject=subject,
                recorded_at=at,
                model=model,
            )
        )
        total += cost
    return total


def month_start(at: datetime) -> datetime:
    """The first instant (UTC) of the calendar month of ``at``."""
    utc = at.astimezone(UTC)
    return utc.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def next_month_start(at: datetime) -> datetime:
    """The first instant (UTC) of the calendar month after ``at``'s."""
    start = month_start(at)
    return month_start(start + timedelta(days=32))


@attrs.frozen
class TokenBudget:
    """At most ``monthly_tokens`` language-model tokens per person per calendar month (UTC).

    ``monthly_tokens`` 0 means no limit. The budget is shared by everything that calls the model
    for the person (chat, tailored résumés, cover letters).
    """

    monthly_tokens: int = attrs.field(default=0, validator=attrs.validators.ge(0))

    def spent(self, ledger: UsageLedger, user_id: uuid.UUID, at: datetime) -> int:
        """Tokens ``user_id`` spent this month (as of ``at``)."""
        return sum(
            total.quantity
            for total in ledger.totals(user_id, since=month_start(at))
            if total.kind in {UsageKind.PROMPT_TOKENS, UsageKind.COMPLETION_TOKENS}
        )

    def remaining(self, ledger: UsageLedger, user_id: uuid.UUID, at: datetime) -> int | None:
        """Tokens left this month (None: no limit)."""
        if not self.monthly_tokens:
            return None
        return max(0, self.monthly_tokens - self.spent(ledger, user_id, at))

    def check(self, ledger: UsageLedger, user_id: uuid.UUID, at: datetime) -> None:
        """Raise ``TooManyRequests`` (retry when the month ends) when the budget is spent."""
        remaining = self.remaining(ledger, user_id, at)
        if remaining is None or remaining > 0:
            return
        resets = next_month_start(at)
        raise TooManyRequests(
            f"you have used this month's assistant budget of {self.monthly_tokens:,} tokens; "
            f"it renews on {resets.date().isoformat()}",
            retry_after=max(1.0, (resets - at).total_seconds()),
        )
