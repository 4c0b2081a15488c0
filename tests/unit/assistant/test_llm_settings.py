"""The language-model settings, the container's choice of model, prices and budgets."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from jobraker_adapters.container import build_container, build_memory_container
from jobraker_adapters.llm.choice import open_language_model, token_prices
from jobraker_adapters.llm.local_assistant import LocalAssistant
from jobraker_adapters.llm.openai_chat import OpenAIChatModel
from jobraker_adapters.memory.outbox import InMemoryUsageLedger, OutboxTables
from jobraker_adapters.settings import DEFAULT_CHAT_MODEL, Settings
from jobraker_core.assistant.costs import (
    TokenBudget,
    TokenPrices,
    month_start,
    next_month_start,
    record_token_usage,
)
from jobraker_core.assistant.language_model import TokenUsage
from jobraker_core.errors import ConfigurationError, TooManyRequests
from jobraker_core.rate_limits import Rate

USER = uuid.UUID(int=5)


def test_the_local_model_is_the_default_without_a_key():
    """No key: ``local``; a key: ``openai``; ``JOBRAKER_LLM`` wins over both."""
    assert Settings.from_env({}).llm == "local"
    assert Settings.from_env({"OPENAI_API_KEY": "sk-x"}).llm == "openai"
    assert Settings.from_env({"OPENAI_API_KEY": "sk-x", "JOBRAKER_LLM": "local"}).llm == "local"
    with pytest.raises(ConfigurationError, match="JOBRAKER_LLM"):
        Settings.from_env({"JOBRAKER_LLM": "gpt"})


def test_model_prices_budget_and_rate_are_read():
    """Chat model, prices per million tokens, the monthly budget and the chat rate."""
    settings = Settings.from_env(
        {
            "OPENAI_CHAT_MODEL": "llama3.1",
            "JOBRAKER_LLM_PRICE_INPUT_PER_1M": "0.5",
            "JOBRAKER_LLM_PRICE_OUTPUT_PER_1M": "1.5",
            "JOBRAKER_LLM_MONTHLY_TOKENS": "1000",
            "JOBRAKER_CHAT_RATE_LIMIT": "5/minute",
        }
    )
    assert settings.openai_chat_model == "llama3.1"
    assert (settings.llm_price_input, settings.llm_price_output) == (Decimal("0.5"), Decimal("1.5"))
    assert settings.llm_monthly_tokens == 1000
    assert settings.chat_rate == Rate(limit=5, window_seconds=60)
    assert Settings.from_env({}).openai_chat_model == DEFAULT_CHAT_MODEL


@pytest.mark.parametrize("price", ["-1", "free", "NaN"])
def test_bad_prices_name_the_variable(price):
    """A negative or unreadable price stops start-up naming the variable."""
    with pytest.raises(ConfigurationError, match="JOBRAKER_LLM_PRICE_INPUT_PER_1M"):
        Settings.from_env({"JOBRAKER_LLM_PRICE_INPUT_PER_1M": price})


def test_the_container_resolves_the_configured_model(tmp_path):
    """Both containers give the local model by default, the OpenAI adapter when chosen."""
    assert isinstance(build_memory_container().language_model(), LocalAssistant)
    assert isinstance(build_container(Settings(data_dir=tmp_path)).language_model(), LocalAssistant)
    chosen = Settings(
        data_dir=tmp_path,
        llm="openai",
        openai_api_key="sk-x",
        openai_base_url="http://127.0.0.1:9/v1",
        openai_chat_model="qwen2.5",
    )
    opened = open_language_model(chosen)
    model = next(opened)
    assert isinstance(model, OpenAIChatModel)
    assert model.model == "qwen2.5"
    assert model.client.timeout == 120.0  # JOBRAKER_LLM_TIMEOUT, not the general HTTP timeout
    opened.close()
    assert token_prices(chosen) == TokenPrices(Decimal("0.25"), Decimal("2.00"))
    assert token_prices(Settings(data_dir=tmp_path)) == TokenPrices.free()


def test_openai_without_a_key_or_server_is_a_configuration_error(tmp_path):
    """Choosing OpenAI with neither a key nor a base URL cannot work."""
    with pytest.raises(ConfigurationError, match="JOBRAKER_LLM=openai"):
        next(open_language_model(Settings(data_dir=tmp_path, llm="openai")))


def test_cost_is_priced_per_million_tokens():
    """1,000 prompt tokens at $0.25/M and 500 at $2/M cost $0.00125."""
    prices = TokenPrices(Decimal("0.25"), Decimal("2.00"))
    assert prices.cost(TokenUsage(1000, 500)) == Decimal("0.001250")


def test_the_budget_counts_this_month_only():
    """Tokens of last month do not count; the refusal says when the budget renews."""
    ledger = InMemoryUsageLedger(OutboxTables())
    march = datetime(2026, 3, 31, 23, 0, tzinfo=UTC)
    april = datetime(2026, 4, 2, tzinfo=UTC)
    for at in (march, april):
        record_token_usage(
            ledger,
            user_id=USER,
            usage=TokenUsage(60, 40),
            prices=TokenPrices.free(),
            subject="message:x",
            model="m",
            at=at,
        )
    budget = TokenBudget(150)
    assert budget.spent(ledger, USER, april) == 100
    assert budget.remaining(ledger, USER, april) == 50
    budget.check(ledger, USER, april)
    with pytest.raises(TooManyRequests, match="renews on 2026-05-01"):
        TokenBudget(100).check(ledger, USER, april)
    assert TokenBudget(0).remaining(ledger, USER, april) is None
    assert month_start(april) == datetime(2026, 4, 1, tzinfo=UTC)
    assert next_month_start(datetime(2026, 12, 31, 23, tzinfo=UTC)) == datetime(
        2027, 1, 1, tzinfo=UTC
    )


def test_a_negative_budget_names_the_variable():
    """A monthly budget below 0 stops start-up naming the variable."""
    with pytest.raises(ConfigurationError, match="JOBRAKER_LLM_MONTHLY_TOKENS"):
        Settings.from_env({"JOBRAKER_LLM_MONTHLY_TOKENS": "-5"})
