"""Protection at the HTTP edge: rate limits, security headers, CORS, body size, client address.

Rate limits (``RateLimitMiddleware``, in every route's middleware stack, so its refusals go
through ``jobraker_http.errors`` like any other error): every request counts against its client
address, in a bucket shared by every API process through the ``RateLimiter`` (Redis):

====================  ===============================  ==========================================
requests              buckets                          default (settings)
====================  ===============================  ==========================================
``/api/v1/auth/*``    the client address               10 a minute (``JOBRAKER_RATE_LIMIT_AUTH_IP``)
everything else       the client address               600 a minute (``JOBRAKER_RATE_LIMIT_IP``)
                      and the user of a valid token    300 a minute (``JOBRAKER_RATE_LIMIT_USER``)
====================  ===============================  ==========================================

Probes (``/health``, ``/ready``) and CORS preflights are never limited. The user is taken from a
bearer token whose signature, issuer, audience and lifetime check out (no revocation lookup: a
revoked token still counts against its own user, which is harmless), so limits apply before any
database work. Client addresses are stored as keyed pseudonyms. A refused request gets 429 with
``Retry-After``; every limited response carries ``RateLimit-Limit``, ``RateLimit-Remaining``,
``RateLimit-Reset`` and ``RateLimit-Policy`` (IETF draft ``ratelimit-headers``).

**Redis down: fail open.** When the limiter cannot be reached the request goes through and a
warning is logged (at most once a minute per process). Rate limiting protects capacity; refusing
every request while Redis is down would turn a Redis outage into a full API outage, and the
endpoints that matter most for abuse keep their own protection (the login throttle, which fails
closed). The limiter also stops asking a failed Redis for a second, so an outage adds no latency.

Security headers (``SecurityHeadersMiddleware``, around the whole ASGI app, so 404/405/429 answers
get them too): ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer``,
``X-Frame-Options: DENY``, a Content-Security-Policy, ``Cache-Control: no-store`` on API answers
that set no caching themselves, and ``Strict-Transport-Security`` only when the request came over
TLS (the ASGI scheme is https, or a trusted proxy says ``X-Forwarded-Proto: https``). The API's
CSP forbids everything (``default-src 'none'; frame-ancestors 'none'``). The Swagger UI page gets
its own policy: scripts only from this origin plus the page's inline start-up script, allowed by
its SHA-256 hash (computed from the page actually served), styles from this origin and inline
(Swagger UI sets style attributes), images from this origin and ``data:`` URIs.

CORS: only the origins in ``JOBRAKER_CORS_ORIGINS`` (none by default: no cross-origin browser
access at all); no credentials (the API uses bearer tokens, not cookies).

Client address: the peer's address, unless the peer is in ``JOBRAKER_TRUSTED_PROXIES``; then the
right-most ``X-Forwarded-For`` entry that is not itself a trusted proxy.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import re
import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Final, cast

import structlog
from litestar.concurrency import sync_to_thread
from litestar.config.cors import CORSConfig
from litestar.enums import ScopeType

from jobraker_core.errors import JobrakerError, TooManyRequests, UpstreamUnavailable
from jobraker_core.rate_limits import Bucket, RateDecision

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Message, Receive, Scope, Send

    from jobraker_adapters.container import Container
    from jobraker_adapters.settings import Settings
    from jobraker_core.accounts.ports import AccessTokenVerifier, Pseudonymizer
    from jobraker_core.clock import Clock
    from jobraker_core.rate_limits import RateLimiter

AUTH_PREFIX: Final = "/api/v1/auth"
API_PREFIX: Final = "/api/v1"
UNLIMITED_PATHS: Final = frozenset({"/health", "/health/", "/ready", "/ready/"})
DOCS_PAGES: Final = frozenset({"/api/docs", "/api/docs/"})
STATE_KEY: Final = "jobraker.rate_limit"
HSTS: Final = "max-age=31536000; includeSubDomains"
API_CSP: Final = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
DOCS_CSP: Final = (
    "default-src 'none'; script-src 'self'{hashes}; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
FAIL_OPEN_LOG_INTERVAL: Final = 60.0
_INLINE_SCRIPT: Final = re.compile(
    rb"<script(?![^>]*\bsrc\s*=)[^>]*>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL
)
_BASE_HEADERS: Final = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)

_log = structlog.get_logger("jobraker.http.protection")


# ----------------------------------------------------------------------------- client address


def _header(scope: Scope, name: bytes) -> str | None:
    values = [value for key, value in scope.get("headers", ()) if key == name]
    return b",".join(values).decode("latin-1") if values else None


def _networks(trusted: Iterable[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(item, strict=False) for item in trusted]


def _is_trusted(address: str | None, trusted: Sequence[str]) -> bool:
    if not address or not trusted:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _networks(trusted))


def _peer(scope: Scope) -> str | None:
    client = scope.get("client")
    return str(client[0]) if client else None


def client_address(scope: Scope, trusted_proxies: Sequence[str]) -> str:
    """The address of the client that sent the request (``"unknown"`` when there is none)."""
    peer = _peer(scope)
    if not _is_trusted(peer, trusted_proxies):
        return peer or "unknown"
    forwarded = [item.strip() for item in (_header(scope, b"x-forwarded-for") or "").split(",")]
    for candidate in reversed([item for item in forwarded if item]):
        try:
            ipaddress.ip_address(candidate)
        except ValueError:
            break  # junk in the chain: trust nothing further left
        if not _is_trusted(candidate, trusted_proxies):
            return candidate
    return peer or "unknown"


def came_over_tls(scope: Scope, trusted_proxies: Sequence[str]) -> bool:
    """Whether the request reached us (or a trusted proxy in front of us) over TLS."""
    if scope.get("scheme") in {"https", "wss"}:
        return True
    if not _is_trusted(_peer(scope), trusted_proxies):
        return False
    proto = (_header(scope, b"x-forwarded-proto") or "").split(",")[-1].strip().lower()
    return proto == "https"


# ----------------------------------------------------------------------------- rate limits


class RateLimitPolicy:
    """Decides which buckets a request counts against, and asks the limiter.

    One per app; it resolves the limiter, the token verifier and the pseudonymizer from the
    container on first use (in a worker thread: resolving may open files or start services).
    """

    def __init__(self, container: Container) -> None:
        """Serve the app built over ``container``."""
        self._container = container
        self._settings: Settings = container.settings()
        self._parts: tuple[RateLimiter, AccessTokenVerifier, Pseudonymizer, Clock] | None = None
        self._last_warning = -FAIL_OPEN_LOG_INTERVAL

    @property
    def enabled(self) -> bool:
        """Whether rate limiting is switched on in the settings."""
        return self._settings.rate_limit_enabled

    @property
    def limiter(self) -> RateLimiter | None:
        """The limiter, if it was resolved already."""
        return None if self._parts is None else self._parts[0]

    def _resolve(self) -> tuple[RateLimiter, AccessTokenVerifier, Pseudonymizer, Clock]:
        container = self._container
        return (
            cast("RateLimiter", container.rate_limiter()),
            cast("AccessTokenVerifier", container.access_tokens()),
            cast("Pseudonymizer", container.pseudonymizer()),
            cast("Clock", container.clock()),
        )

    def _user_of(self, scope: Scope, verifier: AccessTokenVerifier, clock: Clock) -> str | None:
        scheme, _, token = (_header(scope, b"authorization") or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        try:
            return str(verifier.verify(token.strip(), clock.now()).user_id)
        except JobrakerError:
            return None

    def buckets(
        self,
        scope: Scope,
        verifier: AccessTokenVerifier,
        pseudonymizer: Pseudonymizer,
        clock: Clock,
    ) -> list[Bucket]:
        """The buckets this request counts against."""
        settings = self._settings
        address = pseudonymizer.pseudonym(
            "rate-limit-ip", client_address(scope, settings.trusted_proxies)
        )
        path: str = scope["path"]
        if path == AUTH_PREFIX or path.startswith(AUTH_PREFIX + "/"):
            return [Bucket(key=f"auth-ip:{address}", rate=settings.rate_limit_auth_ip)]
        buckets = [Bucket(key=f"ip:{address}", rate=settings.rate_limit_ip)]
        user = self._user_of(scope, verifier, clock)
        if user is not None:
            buckets.append(Bucket(key=f"user:{user}", rate=settings.rate_limit_user))
        return buckets

    async def check(self, scope: Scope) -> RateDecision | None:
        """Count the request; ``None`` when it is not limited (or the limiter is unavailable)."""
        try:
            if self._parts is None:
                self._parts = await sync_to_thread(self._resolve)
            limiter, verifier, pseudonymizer, clock = self._parts
            return await limiter.hit(self.buckets(scope, verifier, pseudonymizer, clock))
        except UpstreamUnavailable as error:
            self._warn_fail_open(error)
            return None

    def _warn_fail_open(self, error: UpstreamUnavailable) -> None:
        now = time.monotonic()
        if now - self._last_warning >= FAIL_OPEN_LOG_INTERVAL:
            self._last_warning = now
            _log.warning(
                "rate limiter unavailable; letting requests through (fail open)",
                service=error.service,
                error=error.message,
            )

    async def shared_limiter(self) -> RateLimiter:
        """The app's limiter, for limits a route counts itself (``aclose`` closes it)."""
        if self._parts is None:
            self._parts = await sync_to_thread(self._resolve)
        return self._parts[0]

    async def aclose(self) -> None:
        """Close the limiter's connections, if it was ever used."""
        if self.limiter is not None:
            await self.limiter.aclose()


class RateLimitMiddleware:
    """Counts each HTTP request in its buckets; raises ``TooManyRequests`` (429) when one is full.

    Sits in every route's middleware stack (Litestar ``middleware=[...]``), so the refusal is
    mapped by ``jobraker_http.errors``; the decision is kept in the scope state for
    ``SecurityHeadersMiddleware`` to turn into ``RateLimit-*`` headers.
    """

    def __init__(self, app: ASGIApp, policy: RateLimitPolicy) -> None:
        """Wrap ``app``, deciding with ``policy``."""
        self._app = app
        self._policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Count the request, then serve it or refuse it."""
        if (
            scope["type"] == ScopeType.HTTP
            and self._policy.enabled
            and scope["path"] not in UNLIMITED_PATHS
            and scope.get("method") != "OPTIONS"
        ):
            decision = await self._policy.check(scope)
            if decision is not None:
                scope.setdefault("state", {})[STATE_KEY] = decision
                if not decision.allowed:
                    raise TooManyRequests(
                        "too many requests", retry_after=max(decision.retry_after, 1.0)
                    )
        await self._app(scope, receive, send)


def rate_limit_headers(decision: RateDecision) -> list[tuple[bytes, bytes]]:
    """The ``RateLimit-*`` headers of a decision (reset in whole seconds, rounded up)."""
    reset = max(0, int(-(-decision.reset_after // 1)))
    return [
        (b"ratelimit-limit", str(decision.rate.limit).encode()),
        (b"ratelimit-remaining", str(decision.remaining).encode()),
        (b"ratelimit-reset", str(reset).encode()),
        (b"ratelimit-policy", decision.rate.policy.encode()),
    ]


# ----------------------------------------------------------------------------- headers


def script_hashes(html: bytes) -> list[str]:
    """The CSP source expressions (``'sha256-…'``) of the inline scripts of an HTML page."""
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode() + "'"
        for body in _INLINE_SCRIPT.findall(html)
    ]


def docs_csp(html: bytes) -> str:
    """The Content-Security-Policy of the Swagger UI page ``html``."""
    hashes = "".join(" " + item for item in script_hashes(html))
    return DOCS_CSP.format(hashes=hashes)


class SecurityHeadersMiddleware:
    """Adds the security headers (and ``RateLimit-*``) to every HTTP response of ``app``."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        """Wrap ``app``; ``settings`` names the trusted proxies."""
        self._app = app
        self._trusted = settings.trusted_proxies

    def _headers(
        self, scope: Scope, existing: Sequence[tuple[bytes, bytes]], csp: str
    ) -> list[tuple[bytes, bytes]]:
        present = {name.lower() for name, _ in existing}
        extra = [(name, value) for name, value in _BASE_HEADERS if name not in present]
        if b"content-security-policy" not in present:
            extra.append((b"content-security-policy", csp.encode()))
        path: str = scope["path"]
        if path.startswith(API_PREFIX) and b"cache-control" not in present:
            extra.append((b"cache-control", b"no-store"))
        if came_over_tls(scope, self._trusted):
            extra.append((b"strict-transport-security", HSTS.encode()))
        decision = scope.get("state", {}).get(STATE_KEY)
        if isinstance(decision, RateDecision):
            extra += rate_limit_headers(decision)
        return [*existing, *extra]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the request, adding headers to its response."""
        if scope["type"] != ScopeType.HTTP:
            await self._app(scope, receive, send)
            return
        if scope["path"] in DOCS_PAGES:
            await self._serve_docs_page(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = self._headers(scope, list(message.get("headers", ())), API_CSP)
            await send(message)

        await self._app(scope, receive, send_with_headers)

    async def _serve_docs_page(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Hold the page until it is complete, to allow exactly its inline scripts."""
        start: dict[str, Any] | None = None
        chunks: list[bytes] = []

        async def hold(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = dict(message)
                return
            if message["type"] == "http.response.body" and start is not None:
                chunks.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                body = b"".join(chunks)
                start["headers"] = self._headers(
                    scope, list(start.get("headers", ())), docs_csp(body)
                )
                await send(cast("Message", start))
                await send({"type": "http.response.body", "body": body, "more_body": False})
                return
            await send(message)

        await self._app(scope, receive, hold)


# ----------------------------------------------------------------------------- CORS


def cors_config(settings: Settings) -> CORSConfig | None:
    """CORS for exactly the configured origins; ``None`` (no CORS at all) when there are none."""
    if not settings.cors_origins:
        return None
    return CORSConfig(
        allow_origins=list(settings.cors_origins),
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "X-Request-ID"],
        expose_headers=[
            "X-Request-ID",
            "Retry-After",
            "RateLimit-Limit",
            "RateLimit-Remaining",
            "RateLimit-Reset",
            "RateLimit-Policy",
            "Location",
        ],
        allow_credentials=False,
        max_age=600,
    )
