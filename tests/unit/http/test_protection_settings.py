"""The protection settings: read from the environment, on by default there, checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobraker_adapters.settings import Settings
from jobraker_core.errors import ConfigurationError
from jobraker_core.rate_limits import Rate

BASE = {"JOBRAKER_DATA_DIR": "/nonexistent/jobraker"}


def test_defaults_from_the_environment():
    """From the environment: limits on (10/600/300 a minute), no CORS, 1 MiB bodies, no proxies."""
    settings = Settings.from_env(BASE)
    assert settings.rate_limit_enabled is True
    assert settings.rate_limit_auth_ip == Rate(10, 60)
    assert settings.rate_limit_ip == Rate(600, 60)
    assert settings.rate_limit_user == Rate(300, 60)
    assert settings.cors_origins == ()
    assert settings.max_body_bytes == 1024 * 1024
    assert settings.trusted_proxies == ()


def test_settings_built_in_code_have_rate_limiting_off():
    """Tests and library users switch rate limiting on only when they mean to."""
    assert Settings(data_dir=Path("/nonexistent")).rate_limit_enabled is False


def test_every_protection_variable_is_read():
    """Each JOBRAKER_* protection variable sets its setting."""
    settings = Settings.from_env(
        {
            **BASE,
            "JOBRAKER_RATE_LIMIT_ENABLED": "false",
            "JOBRAKER_RATE_LIMIT_AUTH_IP": "5/minute",
            "JOBRAKER_RATE_LIMIT_IP": "1000/hour",
            "JOBRAKER_RATE_LIMIT_USER": "50/600s",
            "JOBRAKER_CORS_ORIGINS": "https://app.example.com, http://localhost:5173/",
            "JOBRAKER_MAX_BODY_BYTES": "2048",
            "JOBRAKER_TRUSTED_PROXIES": "10.0.0.1, 192.168.0.0/16",
        }
    )
    assert settings.rate_limit_enabled is False
    assert settings.rate_limit_auth_ip == Rate(5, 60)
    assert settings.rate_limit_ip == Rate(1000, 3600)
    assert settings.rate_limit_user == Rate(50, 600)
    assert settings.cors_origins == ("https://app.example.com", "http://localhost:5173")
    assert settings.max_body_bytes == 2048
    assert settings.trusted_proxies == ("10.0.0.1/32", "192.168.0.0/16")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("JOBRAKER_RATE_LIMIT_ENABLED", "maybe"),
        ("JOBRAKER_RATE_LIMIT_USER", "lots"),
        ("JOBRAKER_RATE_LIMIT_IP", "0/minute"),
        ("JOBRAKER_CORS_ORIGINS", "*"),
        ("JOBRAKER_CORS_ORIGINS", "https://app.example.com/path"),
        ("JOBRAKER_MAX_BODY_BYTES", "1MB"),
        ("JOBRAKER_TRUSTED_PROXIES", "my-proxy"),
    ],
)
def test_malformed_values_are_configuration_errors(name, value):
    """A wildcard origin, a bad rate, size or proxy address is refused naming the variable."""
    with pytest.raises(ConfigurationError, match=name):
        Settings.from_env({**BASE, name: value})
