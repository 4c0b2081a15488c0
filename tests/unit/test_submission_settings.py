"""Settings and container wiring of the submitters (Skyvern or the dry run, the webhook URL)."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobraker_adapters.container import build_container, build_memory_container
from jobraker_adapters.settings import Settings
from jobraker_adapters.submitters import DryRunSubmitter, SkyvernRunWebhook, SkyvernSubmitter
from jobraker_core.errors import ConfigurationError

DATA = Path("/nonexistent/jobraker")


def test_without_a_skyvern_key_the_dry_run_is_used():
    """No ``SKYVERN_API_KEY``: the dry run, the cloud base URL by default and 40 steps."""
    settings = Settings.from_env({}, data_dir=DATA)
    assert settings.skyvern_enabled is False
    assert settings.skyvern_base_url == "https://api.skyvern.com"
    assert settings.skyvern_max_steps == 40
    assert isinstance(build_container(settings).application_submitter(), DryRunSubmitter)


def test_a_skyvern_key_switches_to_skyvern_and_stays_out_of_reprs():
    """With a key the container builds Skyvern; neither key appears in the settings' repr."""
    settings = Settings.from_env(
        {
            "SKYVERN_API_KEY": "sk-current-123",
            "SKYVERN_PREVIOUS_API_KEY": "sk-old-456",
            "SKYVERN_BASE_URL": "http://localhost:8000/",
            "SKYVERN_MAX_STEPS": "25",
        },
        data_dir=DATA,
    )
    assert settings.skyvern_base_url == "http://localhost:8000"
    assert settings.skyvern_max_steps == 25
    assert "sk-current-123" not in repr(settings)
    assert "sk-old-456" not in repr(settings)
    container = build_container(settings)
    try:
        submitter = container.application_submitter()
        assert isinstance(submitter, SkyvernSubmitter)
        assert container.application_submitter() is submitter
        assert "sk-current-123" not in repr(submitter)
    finally:
        container.shutdown_resources()


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"SKYVERN_BASE_URL": "api.skyvern.com"}, "SKYVERN_BASE_URL"),
        ({"SKYVERN_MAX_STEPS": "0"}, "SKYVERN_MAX_STEPS"),
        ({"SKYVERN_MAX_STEPS": "many"}, "SKYVERN_MAX_STEPS"),
    ],
)
def test_malformed_skyvern_settings_name_the_variable(env, name):
    """A bad base URL or step count stops start-up naming the variable."""
    with pytest.raises(ConfigurationError, match=name):
        Settings.from_env(env, data_dir=DATA)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "http://127.0.0.1:8000/api/v1/webhooks/skyvern/"),
        (
            {"JOBRAKER_HOST": "0.0.0.0", "JOBRAKER_PORT": "9000"},  # noqa: S104,
            "http://127.0.0.1:9000/api/v1/webhooks/skyvern/",
        ),
        ({"JOBRAKER_HOST": "::"}, "http://[::1]:8000/api/v1/webhooks/skyvern/"),
        (
            {"JOBRAKER_PUBLIC_URL": "https://jobs.example.com/"},
            "https://jobs.example.com/api/v1/webhooks/skyvern/",
        ),
    ],
)
def test_the_webhook_url_defaults_to_where_the_api_serves(env, expected):
    """The webhook URL uses the public URL when set, else the API's own address."""
    settings = Settings.from_env(env, data_dir=DATA)
    assert build_memory_container(settings).webhook_url() == expected


def test_the_memory_container_submits_dry_runs_and_reads_webhooks():
    """The memory container always uses the dry run; its webhook reader holds the keys."""
    container = build_memory_container(Settings(data_dir=DATA, skyvern_api_key="sk-x"))
    assert isinstance(container.application_submitter(), DryRunSubmitter)
    assert isinstance(container.run_webhook(), SkyvernRunWebhook)


def test_the_vector_full_scan_size_is_read_and_checked():
    """``JOBRAKER_VECTOR_FULL_SCAN_MB`` sets the exact-scan size (320 MB by default)."""
    assert Settings.from_env({}, data_dir=DATA).vector_full_scan_mb == 320
    chosen = Settings.from_env({"JOBRAKER_VECTOR_FULL_SCAN_MB": "0"}, data_dir=DATA)
    assert chosen.vector_full_scan_mb == 0
    with pytest.raises(ConfigurationError, match="JOBRAKER_VECTOR_FULL_SCAN_MB"):
        Settings.from_env({"JOBRAKER_VECTOR_FULL_SCAN_MB": "lots"}, data_dir=DATA)


def test_the_walk_connections_are_read_and_checked():
    """``JOBRAKER_DB_WALK_CONNECTIONS``: 4 by default, 0 walks the shards one after the other."""
    assert Settings.from_env({}, data_dir=DATA).db_walk_connections == 4
    none = Settings.from_env({"JOBRAKER_DB_WALK_CONNECTIONS": "0"}, data_dir=DATA)
    assert none.db_walk_connections == 0
    with pytest.raises(ConfigurationError, match="JOBRAKER_DB_WALK_CONNECTIONS"):
        Settings.from_env({"JOBRAKER_DB_WALK_CONNECTIONS": "some"}, data_dir=DATA)


def test_the_recommendation_cache_lifetime_is_read_and_checked():
    """``JOBRAKER_RECOMMENDATION_CACHE_SECONDS``: 60 by default, 0 to 3600, whole seconds."""
    assert Settings.from_env({}, data_dir=DATA).recommendation_cache_seconds == 60
    off = Settings.from_env({"JOBRAKER_RECOMMENDATION_CACHE_SECONDS": "0"}, data_dir=DATA)
    assert off.recommendation_cache_seconds == 0
    for bad in ("-1", "3601", "soon"):
        with pytest.raises(ConfigurationError, match="JOBRAKER_RECOMMENDATION_CACHE_SECONDS"):
            Settings.from_env({"JOBRAKER_RECOMMENDATION_CACHE_SECONDS": bad}, data_dir=DATA)
    container = build_memory_container(off)
    assert not container.ranked_pools().enabled
    assert build_memory_container(Settings(data_dir=DATA)).ranked_pools().enabled
