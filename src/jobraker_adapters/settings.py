"""Settings: the only place Jobraker reads the environment.

``Settings.from_env(os.environ)`` is called once at start-up by an edge (CLI, API, worker) and the
result is handed to ``build_container``. Every variable is documented in ``docs/operations.md``.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Final

import attrs

from jobraker_core.errors import ConfigurationError, InvalidInput
from jobraker_core.rate_limits import Rate

DEFAULT_ADZUNA_BASE_URL: Final = "https://api.adzuna.com/v1/api"
DEFAULT_GREENHOUSE_BASE_URL: Final = "https://boards-api.greenhouse.io"
DEFAULT_LEVER_BASE_URL: Final = "https://api.lever.co"
DEFAULT_SKYVERN_BASE_URL: Final = "https://api.skyvern.com"
DEFAULT_SKYVERN_MAX_STEPS: Final = 40


def default_data_dir(env: Mapping[str, str]) -> Path:
    """Where data lives by default: the XDG data home (``~/.local/share/jobraker``).

    ``--data-dir`` and ``JOBRAKER_DATA_DIR`` win over it.
    """
    base = env.get("XDG_DATA_HOME") or str(Path(env.get("HOME", "~")).expanduser() / ".local/share")
    return Path(base) / "jobraker"


@attrs.frozen
class Schedule:
    """A source ingested every ``every_minutes`` minutes by the worker's scheduler."""

    name: str
    kind: str
    params: tuple[tuple[str, str], ...]
    every_minutes: int


def _parse_schedules(raw: str | None) -> tuple[Schedule, ...]:
    if not raw:
        return ()
    try:
        items = json.loads(raw)
        return tuple(
            Schedule(
                name=str(item["name"]),
                kind=str(item["kind"]),
                params=tuple(sorted((str(k), str(v)) for k, v in item.get("params", {}).items())),
                every_minutes=int(item["every_minutes"]),
            )
            for item in items
        )
    except (ValueError, TypeError, KeyError) as error:
        raise ConfigurationError(
            "JOBRAKER_SCHEDULES must be a JSON list of "
            '{"name", "kind", "params", "every_minutes"} objects: ' + str(error)
        ) from error


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number, not {raw!r}") from None


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a number, not {raw!r}") from None


def _bool(env: Mapping[str, str], name: str, *, default: bool) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ConfigurationError(f"{name} must be true or false, not {raw!r}")


def _rate(env: Mapping[str, str], name: str, default: Rate) -> Rate:
    raw = env.get(name)
    if not raw:
        return default
    try:
        return Rate.parse(raw)
    except InvalidInput:
        raise ConfigurationError(
            f"{name} must be a rate such as '10/minute' or '100/3600s', not {raw!r}"
        ) from None


def _origins(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    """Comma-separated origins (``https://app.example.com``); no wildcard, no path."""
    raw = (env.get(name) or "").split(",")
    origins = tuple(item.strip().rstrip("/") for item in raw if item.strip())
    for origin in origins:
        if not re.fullmatch(r"https?://[A-Za-z0-9.\-]+(:\d{1,5})?", origin):
            raise ConfigurationError(
                f"{name} must list origins such as https://app.example.com (no '*', no path), "
                f"not {origin!r}"
            )
    return origins


def _networks(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    """Comma-separated addresses or networks (``10.0.0.0/8``), checked and normalised."""
    items = [item.strip() for item in (env.get(name) or "").split(",") if item.strip()]
    try:
        return tuple(str(ipaddress.ip_network(item, strict=False)) for item in items)
    except ValueError as error:
        raise ConfigurationError(f"{name} must list IP addresses or networks: {error}") from None


@attrs.frozen
class OidcProviderSettings:
    """One sign-in provider of ``JOBRAKER_OIDC_PROVIDERS`` (``jobraker_adapters.security.oidc``).

    ``preset`` is ``google``, ``github``, ``linkedin`` or ``oidc`` (any OpenID Connect provider,
    found through ``issuer`` or ``discovery_url``); the endpoints override the preset's.
    """

    name: str
    client_id: str
    client_secret: str = attrs.field(repr=False)
    preset: str = "oidc"
    issuer: str | None = None
    discovery_url: str | None = None
    authorization_endpoint: str | None = None
    token_endpoint: str | None = None
    userinfo_endpoint: str | None = None
    jwks_uri: str | None = None
    emails_endpoint: str | None = None
    scopes: str | None = None


OIDC_PRESETS: Final = ("google", "github", "linkedin", "oidc")
_OIDC_OPTIONAL: Final = (
    "issuer",
    "discovery_url",
    "authorization_endpoint",
    "token_endpoint",
    "userinfo_endpoint",
    "jwks_uri",
    "emails_endpoint",
    "scopes",
)
_OIDC_NAME: Final = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


def _oidc_provider(name: str, item: object) -> OidcProviderSettings:
    if not _OIDC_NAME.match(name) or not isinstance(item, dict):
        raise ValueError(f"{name!r} must be a lower-case name mapped to an object")
    unknown = set(item) - {"client_id", "client_secret", "preset", *_OIDC_OPTIONAL}
    if unknown:
        raise ValueError(f"{name}: unknown keys {sorted(unknown)}")
    if not all(isinstance(value, str) for value in item.values()):
        raise ValueError(f"{name}: every value must be a string")
    preset = item.get("preset") or (name if name in OIDC_PRESETS else "oidc")
    if preset not in OIDC_PRESETS:
        raise ValueError(f"{name}: preset must be one of {', '.join(OIDC_PRESETS)}")
    if not item.get("client_id") or not item.get("client_secret"):
        raise ValueError(f"{name}: client_id and client_secret are required")
    if preset == "oidc" and not (item.get("issuer") or item.get("discovery_url")):
        raise ValueError(f"{name}: a generic OIDC provider needs an issuer or a discovery_url")
    optional = {
        key: item[key] if key == "scopes" else item[key].rstrip("/")
        for key in _OIDC_OPTIONAL
        if item.get(key)
    }
    return OidcProviderSettings(
        name=name,
        client_id=item["client_id"],
        client_secret=item["client_secret"],
        preset=preset,
        **optional,
    )


def _parse_oidc_providers(raw: str | None) -> tuple[OidcProviderSettings, ...]:
    """``JOBRAKER_OIDC_PROVIDERS``: ``{"google": {"client_id": ..., "client_secret": ...}}``."""
    if not raw:
        return ()
    try:
        document = json.loads(raw)
        items = sorted(document.items()) if isinstance(document, dict) else None
        if items is None:
            raise ValueError("not a JSON object")  # noqa: TRY301 - one message for every flaw
        return tuple(_oidc_provider(str(name), item) for name, item in items)
    except (ValueError, TypeError) as error:
        raise ConfigurationError(
            "JOBRAKER_OIDC_PROVIDERS must be a JSON object of providers "
            '{"name": {"client_id", "client_secret", ...}}: ' + str(error)
        ) from None


def _parse_secret_keys(raw: str | None) -> tuple[tuple[str, str], ...]:
    """``JOBRAKER_SECRET_KEYS``: ``{"key id": "<base64 of 32 bytes>", ...}`` (checked on use)."""
    if not raw:
        return ()
    try:
        document = json.loads(raw)
    except ValueError:
        document = None
    if (
        not isinstance(document, dict)
        or not document
        or not all(isinstance(value, str) for value in document.values())
    ):
        raise ConfigurationError(
            'JOBRAKER_SECRET_KEYS must be a JSON object {"key id": "<base64 of 32 bytes>"}'
        )
    return tuple(sorted((str(kid), value) for kid, value in document.items()))


def _public_url(env: Mapping[str, str]) -> str | None:
    raw = (env.get("JOBRAKER_PUBLIC_URL") or "").strip().rstrip("/")
    if raw and not re.fullmatch(r"https?://[A-Za-z0-9.\-\[\]:]+(/[^?#]*)?", raw):
        raise ConfigurationError(
            "JOBRAKER_PUBLIC_URL must be the API's base URL such as https://jobs.example.com, "
            f"not {raw!r}"
        )
    return raw or None


def _skyvern_base_url(env: Mapping[str, str]) -> str:
    raw = (env.get("SKYVERN_BASE_URL") or "").strip().rstrip("/")
    if raw and not re.fullmatch(r"https?://[A-Za-z0-9.\-\[\]:]+(/[^?#]*)?", raw):
        raise ConfigurationError(
            f"SKYVERN_BASE_URL must be a URL such as https://api.skyvern.com, not {raw!r}"
        )
    return raw or DEFAULT_SKYVERN_BASE_URL


EMBEDDERS: Final = ("hash", "openai", "minilm")


def _embedder(env: Mapping[str, str]) -> str:
    """``JOBRAKER_EMBEDDER``, else ``openai`` when ``OPENAI_API_KEY`` is set, else ``hash``."""
    chosen = (env.get("JOBRAKER_EMBEDDER") or "").strip().lower()
    if not chosen:
        return "openai" if env.get("OPENAI_API_KEY") else "hash"
    if chosen not in EMBEDDERS:
        raise ConfigurationError(f"JOBRAKER_EMBEDDER must be one of {', '.join(EMBEDDERS)}")
    return chosen


LANGUAGE_MODELS: Final = ("local", "openai")
DEFAULT_CHAT_MODEL: Final = "gpt-5-mini"
DEFAULT_LLM_PRICE_INPUT: Final = Decimal("0.25")  # USD per 1M prompt tokens (gpt-5-mini)
DEFAULT_LLM_PRICE_OUTPUT: Final = Decimal("2.00")  # USD per 1M completion tokens (gpt-5-mini)
DEFAULT_LLM_MONTHLY_TOKENS: Final = 2_000_000
DEFAULT_CHAT_RATE: Final = Rate(limit=20, window_seconds=60)


def _language_model(env: Mapping[str, str]) -> str:
    """``JOBRAKER_LLM``, else ``openai`` when ``OPENAI_API_KEY`` is set, else ``local``."""
    chosen = (env.get("JOBRAKER_LLM") or "").strip().lower()
    if not chosen:
        return "openai" if env.get("OPENAI_API_KEY") else "local"
    if chosen not in LANGUAGE_MODELS:
        raise ConfigurationError(f"JOBRAKER_LLM must be one of {', '.join(LANGUAGE_MODELS)}")
    return chosen


def _tokens(env: Mapping[str, str], name: str) -> int:
    value = _int(env, name, DEFAULT_LLM_MONTHLY_TOKENS)
    if value < 0:
        raise ConfigurationError(f"{name} must be 0 (no limit) or more, not {value}")
    return value


def _price(env: Mapping[str, str], name: str, default: Decimal) -> Decimal:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = Decimal(raw)
    except ArithmeticError:
        value = Decimal(-1)
    if not value.is_finite() or value < 0:
        raise ConfigurationError(f"{name} must be a price in USD such as 0.25, not {raw!r}")
    return value


def _positive(env: Mapping[str, str], name: str, default: int) -> int:
    value = _int(env, name, default)
    if value < 1:
        raise ConfigurationError(f"{name} must be a positive whole number, not {value}")
    return value


def _seconds(env: Mapping[str, str], name: str, default: int) -> int:
    """A lifetime in seconds: 0 (off) up to an hour."""
    value = _int(env, name, default)
    if not 0 <= value <= 3600:  # noqa: PLR2004 - an hour
        raise ConfigurationError(f"{name} must be between 0 and 3600 seconds, not {value}")
    return value


def _boards(env: Mapping[str, str], name: str) -> tuple[tuple[str, str | None], ...]:
    """Comma-separated job boards, each ``short-name`` or ``short-name=Employer Name``."""
    boards: list[tuple[str, str | None]] = []
    for item in (env.get(name) or "").split(","):
        slug, _, display = item.partition("=")
        slug = slug.strip().lower()
        if not slug and not display.strip():
            continue
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,99}", slug):
            raise ConfigurationError(
                f"{name} must list board short names such as acme or acme=Acme Inc, not {item!r}"
            )
        boards.append((slug, display.strip() or None))
    return tuple(boards)


def _optional_int(env: Mapping[str, str], name: str) -> int | None:
    if not env.get(name):
        return None
    value = _int(env, name, 0)
    if value < 1:
        raise ConfigurationError(f"{name} must be a positive whole number, not {value}")
    return value


DEFAULT_MAX_BODY_BYTES: Final = 1024 * 1024
DEFAULT_RATE_LIMIT_AUTH_IP: Final = Rate(limit=10, window_seconds=60)
DEFAULT_RATE_LIMIT_IP: Final = Rate(limit=600, window_seconds=60)
DEFAULT_RATE_LIMIT_USER: Final = Rate(limit=300, window_seconds=60)


@attrs.frozen
class Settings:
    """Everything configurable about a Jobraker process, read once from the environment.

    ``database_url``/``redis_url`` unset means "start the embedded servers of ``data_dir``".
    Adzuna is switched on by setting both ``adzuna_app_id`` and ``adzuna_app_key``.
    """

    data_dir: Path
    database_url: str | None = None
    redis_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    log_format: str = "json"
    queue_name: str = "jobraker"
    db_pool_min: int = 1
    db_pool_max: int = 10
    db_pool_timeout: float = 1.0
    db_statement_timeout_ms: int = 15_000
    # Connections each process keeps for walking the vector index's shards at once
    # (postgres.retrieval.Walkers); 0 walks them one after the other on the request's connection.
    db_walk_connections: int = 4
    adzuna_app_id: str | None = None
    adzuna_app_key: str | None = None
    adzuna_base_url: str = DEFAULT_ADZUNA_BASE_URL
    http_timeout: float = 20.0
    http_proxy: str | None = attrs.field(default=None, repr=False)  # may hold credentials
    schedules: tuple[Schedule, ...] = ()
    ingest_retries: int = 3
    # Protection (jobraker_http.protection). Rate limiting is on when the settings come from the
    # environment (unless JOBRAKER_RATE_LIMIT_ENABLED=false) and off in Settings built in code, so
    # tests and library users switch it on only when they mean to.
    rate_limit_enabled: bool = False
    rate_limit_auth_ip: Rate = DEFAULT_RATE_LIMIT_AUTH_IP
    rate_limit_ip: Rate = DEFAULT_RATE_LIMIT_IP
    rate_limit_user: Rate = DEFAULT_RATE_LIMIT_USER
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    trusted_proxies: tuple[str, ...] = ()
    # None: a secret made once and kept in <data_dir>/secrets/jwt.key (jobraker_adapters.security)
    jwt_secret: str | None = attrs.field(default=None, repr=False)
    jwt_issuer: str = "jobraker"
    jwt_audience: str = "jobraker-api"
    access_token_minutes: int = 15
    refresh_token_days: int = 30
    # Embeddings and vector search (jobraker_adapters.embedders, postgres.retrieval).
    # embedder: "hash" (local, the default), "openai" (the default when OPENAI_API_KEY is set;
    # any OpenAI-compatible server through openai_base_url) or "minilm" (the neural extra).
    embedder: str = attrs.field(default="hash", validator=attrs.validators.in_(EMBEDDERS))
    openai_api_key: str | None = attrs.field(default=None, repr=False)
    openai_base_url: str | None = None
    embedding_model: str | None = None  # None: the embedder's default model
    embedding_dimensions: int | None = None  # None: the model's default size
    hnsw_ef_search: int = 120  # recall@10 >= 0.95 measured: docs/benchmarks-vectors.md
    # Exact vector scans while the stored vectors take at most this many MB (postgres.retrieval).
    vector_full_scan_mb: int = 320
    # How long a person's ranked recommendations are reused (jobraker_core.matching.ranked_pools);
    # 0 ranks afresh on every request.
    recommendation_cache_seconds: int = 60
    # Secrets at rest (jobraker_adapters.security.secretbox): (key id, base64 key) pairs; empty
    # means "the keyring file made once in <data_dir>/secrets/secret-keys.json".
    secret_keys: tuple[tuple[str, str], ...] = attrs.field(default=(), repr=False)
    secret_key_id: str | None = None
    # Sign-in with identity providers (jobraker_adapters.security.oidc); the API's public base
    # URL for their redirect URIs (None: the URL the request came to).
    oidc_providers: tuple[OidcProviderSettings, ...] = ()
    public_url: str | None = None
    # Keyless job boards (jobraker_adapters.sources.greenhouse, .lever): (short name, employer
    # name or None) pairs ingested by `greenhouse` / `lever` sources without a board/company.
    greenhouse_boards: tuple[tuple[str, str | None], ...] = ()
    greenhouse_base_url: str = DEFAULT_GREENHOUSE_BASE_URL
    lever_companies: tuple[tuple[str, str | None], ...] = ()
    lever_base_url: str = DEFAULT_LEVER_BASE_URL
    # Operations (jobraker_adapters.metrics, jobraker_http.metrics): /metrics needs this bearer
    # token when set; with metrics_port it is served on that port only (not on the API's).
    metrics_token: str | None = attrs.field(default=None, repr=False)
    metrics_port: int | None = None
    # Moderation (jobraker_core.moderation): check apply links of new jobs from the worker.
    link_checks: bool = False
    # Application submission (jobraker_adapters.submitters): Skyvern when skyvern_api_key is set,
    # else the dry run. Webhooks signed with skyvern_previous_api_key are still accepted during a
    # key rotation; skyvern_max_steps caps the (billed) steps of one run.
    skyvern_api_key: str | None = attrs.field(default=None, repr=False)
    skyvern_previous_api_key: str | None = attrs.field(default=None, repr=False)
    skyvern_base_url: str = DEFAULT_SKYVERN_BASE_URL
    skyvern_max_steps: int = attrs.field(
        default=DEFAULT_SKYVERN_MAX_STEPS, validator=attrs.validators.ge(1)
    )
    # Applications (jobraker_core.applications.submitting): a claim older than this many minutes
    # without a run is taken for a dead worker's and recovered by looking its attempt up.
    application_orphan_minutes: int = attrs.field(default=10, validator=attrs.validators.ge(1))
    # The assistant's language model (jobraker_adapters.llm): "local" (deterministic, no network,
    # the default) or "openai" (the default when OPENAI_API_KEY is set; any OpenAI-compatible
    # server through openai_base_url). Prices (USD per 1M tokens) estimate the cost recorded in
    # the usage ledger; a person may spend llm_monthly_tokens a calendar month (0: no limit) and
    # send chat_rate messages.
    llm: str = attrs.field(default="local", validator=attrs.validators.in_(LANGUAGE_MODELS))
    openai_chat_model: str = DEFAULT_CHAT_MODEL
    llm_price_input: Decimal = DEFAULT_LLM_PRICE_INPUT
    llm_price_output: Decimal = DEFAULT_LLM_PRICE_OUTPUT
    llm_monthly_tokens: int = attrs.field(
        default=DEFAULT_LLM_MONTHLY_TOKENS, validator=attrs.validators.ge(0)
    )
    chat_rate: Rate = DEFAULT_CHAT_RATE
    llm_timeout: float = 120.0  # seconds; local servers (Ollama, llama.cpp) can be slow
    # notifications by e-mail over SMTP; no host means e-mail notifications are off
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = attrs.field(default=None, repr=False)
    smtp_from: str = "jobraker@localhost"
    smtp_starttls: bool = True

    @property
    def feeds_dir(self) -> Path:
        """The folder the API may ingest feed files from (API requests cannot name other paths)."""
        return self.data_dir / "feeds"

    @property
    def skyvern_enabled(self) -> bool:
        """Whether applications are submitted through Skyvern (else: the dry run)."""
        return bool(self.skyvern_api_key)

    @property
    def public_base_url(self) -> str:
        """The API's public base URL: ``public_url``, else the address it serves on.

        A wildcard listen address (``0.0.0.0``, ``::``) becomes loopback, the only address
        known to reach it.
        """
        if self.public_url:
            return self.public_url
        host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(  # noqa: S104
            self.host, self.host
        )
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @property
    def adzuna_enabled(self) -> bool:
        """Whether Adzuna credentials are configured."""
        return bool(self.adzuna_app_id and self.adzuna_app_key)

    @classmethod
    def from_env(cls, env: Mapping[str, str], *, data_dir: Path | None = None) -> Settings:
        """Read the settings from ``env``; ``data_dir`` (a ``--data-dir`` flag) wins over the env.

        Raises ``ConfigurationError`` naming the variable that is malformed.
        """
        chosen = data_dir or (
            Path(env["JOBRAKER_DATA_DIR"])
            if env.get("JOBRAKER_DATA_DIR")
            else default_data_dir(env)
        )
        log_format = env.get("JOBRAKER_LOG_FORMAT", "json")
        if log_format not in {"json", "console"}:
            raise ConfigurationError("JOBRAKER_LOG_FORMAT must be 'json' or 'console'")
        return cls(
            data_dir=chosen.expanduser().resolve(),
            database_url=env.get("DATABASE_URL") or None,
            redis_url=env.get("REDIS_URL") or None,
            host=env.get("JOBRAKER_HOST", "127.0.0.1"),
            port=_int(env, "JOBRAKER_PORT", 8000),
            log_level=env.get("JOBRAKER_LOG_LEVEL", "INFO").upper(),
            log_format=log_format,
            queue_name=env.get("JOBRAKER_QUEUE", "jobraker"),
            db_pool_min=_int(env, "JOBRAKER_DB_POOL_MIN", 1),
            db_pool_max=_int(env, "JOBRAKER_DB_POOL_MAX", 10),
            db_pool_timeout=_float(env, "JOBRAKER_DB_POOL_TIMEOUT", 1.0),
            db_statement_timeout_ms=_int(env, "JOBRAKER_DB_STATEMENT_TIMEOUT_MS", 15_000),
            db_walk_connections=_int(env, "JOBRAKER_DB_WALK_CONNECTIONS", 4),
            adzuna_app_id=env.get("ADZUNA_APP_ID") or None,
            adzuna_app_key=env.get("ADZUNA_API_KEY") or env.get("ADZUNA_APP_KEY") or None,
            adzuna_base_url=(env.get("ADZUNA_BASE_URL") or DEFAULT_ADZUNA_BASE_URL).rstrip("/"),
            http_timeout=_float(env, "JOBRAKER_HTTP_TIMEOUT", 20.0),
            http_proxy=(env.get("JOBRAKER_HTTP_PROXY") or "").strip() or None,
            schedules=_parse_schedules(env.get("JOBRAKER_SCHEDULES")),
            ingest_retries=_int(env, "JOBRAKER_INGEST_RETRIES", 3),
            rate_limit_enabled=_bool(env, "JOBRAKER_RATE_LIMIT_ENABLED", default=True),
            rate_limit_auth_ip=_rate(
                env, "JOBRAKER_RATE_LIMIT_AUTH_IP", DEFAULT_RATE_LIMIT_AUTH_IP
            ),
            rate_limit_ip=_rate(env, "JOBRAKER_RATE_LIMIT_IP", DEFAULT_RATE_LIMIT_IP),
            rate_limit_user=_rate(env, "JOBRAKER_RATE_LIMIT_USER", DEFAULT_RATE_LIMIT_USER),
            cors_origins=_origins(env, "JOBRAKER_CORS_ORIGINS"),
            max_body_bytes=_int(env, "JOBRAKER_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES),
            trusted_proxies=_networks(env, "JOBRAKER_TRUSTED_PROXIES"),
            jwt_secret=env.get("JOBRAKER_JWT_SECRET") or None,
            jwt_issuer=env.get("JOBRAKER_JWT_ISSUER") or "jobraker",
            jwt_audience=env.get("JOBRAKER_JWT_AUDIENCE") or "jobraker-api",
            access_token_minutes=_int(env, "JOBRAKER_ACCESS_TOKEN_MINUTES", 15),
            refresh_token_days=_int(env, "JOBRAKER_REFRESH_TOKEN_DAYS", 30),
            embedder=_embedder(env),
            openai_api_key=env.get("OPENAI_API_KEY") or None,
            openai_base_url=(env.get("OPENAI_BASE_URL") or "").rstrip("/") or None,
            embedding_model=env.get("JOBRAKER_EMBEDDING_MODEL") or None,
            embedding_dimensions=_optional_int(env, "JOBRAKER_EMBEDDING_DIMENSIONS"),
            hnsw_ef_search=_int(env, "JOBRAKER_HNSW_EF_SEARCH", 120),
            vector_full_scan_mb=_int(env, "JOBRAKER_VECTOR_FULL_SCAN_MB", 320),
            recommendation_cache_seconds=_seconds(env, "JOBRAKER_RECOMMENDATION_CACHE_SECONDS", 60),
            secret_keys=_parse_secret_keys(env.get("JOBRAKER_SECRET_KEYS")),
            secret_key_id=env.get("JOBRAKER_SECRET_KEY_ID") or None,
            oidc_providers=_parse_oidc_providers(env.get("JOBRAKER_OIDC_PROVIDERS")),
            public_url=_public_url(env),
            greenhouse_boards=_boards(env, "JOBRAKER_GREENHOUSE_BOARDS"),
            greenhouse_base_url=(
                env.get("JOBRAKER_GREENHOUSE_BASE_URL") or DEFAULT_GREENHOUSE_BASE_URL
            ).rstrip("/"),
            lever_companies=_boards(env, "JOBRAKER_LEVER_COMPANIES"),
            lever_base_url=(env.get("JOBRAKER_LEVER_BASE_URL") or DEFAULT_LEVER_BASE_URL).rstrip(
                "/"
            ),
            metrics_token=env.get("JOBRAKER_METRICS_TOKEN") or None,
            metrics_port=_optional_int(env, "JOBRAKER_METRICS_PORT"),
            link_checks=_bool(env, "JOBRAKER_LINK_CHECKS", default=False),
            skyvern_api_key=(env.get("SKYVERN_API_KEY") or "").strip() or None,
            skyvern_previous_api_key=(env.get("SKYVERN_PREVIOUS_API_KEY") or "").strip() or None,
            skyvern_base_url=_skyvern_base_url(env),
            skyvern_max_steps=_positive(env, "SKYVERN_MAX_STEPS", DEFAULT_SKYVERN_MAX_STEPS),
            application_orphan_minutes=_positive(env, "JOBRAKER_APPLICATION_ORPHAN_MINUTES", 10),
            llm=_language_model(env),
            openai_chat_model=(env.get("OPENAI_CHAT_MODEL") or "").strip() or DEFAULT_CHAT_MODEL,
            llm_price_input=_price(env, "JOBRAKER_LLM_PRICE_INPUT_PER_1M", DEFAULT_LLM_PRICE_INPUT),
            llm_price_output=_price(
                env, "JOBRAKER_LLM_PRICE_OUTPUT_PER_1M", DEFAULT_LLM_PRICE_OUTPUT
            ),
            llm_monthly_tokens=_tokens(env, "JOBRAKER_LLM_MONTHLY_TOKENS"),
            chat_rate=_rate(env, "JOBRAKER_CHAT_RATE_LIMIT", DEFAULT_CHAT_RATE),
            llm_timeout=_float(env, "JOBRAKER_LLM_TIMEOUT", 120.0),
            smtp_host=(env.get("JOBRAKER_SMTP_HOST") or "").strip() or None,
            smtp_port=_int(env, "JOBRAKER_SMTP_PORT", 587),
            smtp_user=env.get("JOBRAKER_SMTP_USER") or None,
            smtp_password=env.get("JOBRAKER_SMTP_PASSWORD") or None,
            smtp_from=(env.get("JOBRAKER_SMTP_FROM") or "").strip() or "jobraker@localhost",
            smtp_starttls=_bool(env, "JOBRAKER_SMTP_STARTTLS", default=True),
        )

    @classmethod
    def from_os(cls, *, data_dir: Path | None = None) -> Settings:
        """Read the settings from this process's environment."""
        return cls.from_env(os.environ, data_dir=data_dir)
