"""Protection headers and limits.

Security headers on every response, the Swagger UI's CSP, HSTS behind TLS, strict CORS, the
request body limit, and the client address behind trusted proxies.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest
from litestar.testing import TestClient

from jobraker_adapters.container import Settings, build_memory_container
from jobraker_http import create_app
from jobraker_http.protection import API_CSP, came_over_tls, client_address, script_hashes

JOBS = "/api/v1/jobs/"


def app_with(**settings):
    """An app over the memory container with these settings."""
    return create_app(
        build_memory_container(Settings(data_dir=Path("/nonexistent/jobraker"), **settings))
    )


def assert_protected(response) -> None:
    """The headers every response carries."""
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", JOBS, 200),
        ("GET", "/api/v1/nothing-here", 404),
        ("DELETE", JOBS, 405),
        ("GET", "/api/v1/jobs/?page=0", 400),
        ("GET", "/health", 200),
        ("GET", "/api/schema", 200),
        ("GET", "/api/docs/assets/swagger-ui.css", 200),
    ],
)
def test_every_response_carries_the_security_headers(client, method, path, status):
    """Success, routing errors, validation errors, probes, schema and assets alike."""
    response = client.request(method, path)
    assert response.status_code == status
    assert_protected(response)


def test_unauthenticated_and_oversized_answers_are_protected_too(anonymous_client):
    """401 and 413 answers (made by the error handlers) carry the headers."""
    assert_protected(anonymous_client.get(JOBS))
    big = anonymous_client.post(
        "/api/v1/auth/register/",
        content=b"{" + b" " * (1024 * 1024 + 10) + b"}",
        headers={"content-type": "application/json"},
    )
    assert big.status_code == 413
    assert_protected(big)


def test_the_api_policy_allows_nothing(client):
    """JSON answers get a CSP that loads nothing and may not be framed, and are not cached."""
    response = client.get(JOBS)
    assert response.headers["content-security-policy"] == API_CSP
    assert "default-src 'none'" in API_CSP
    assert response.headers["cache-control"] == "no-store"


def test_static_assets_keep_their_own_caching(client):
    """Cache-Control is only added where the response set none."""
    response = client.get("/api/docs/assets/swagger-ui.css")
    assert "max-age=86400" in response.headers["cache-control"]


@pytest.mark.parametrize("path", ["/api/docs", "/api/docs/"])
def test_the_swagger_page_may_run_exactly_its_own_inline_script(client, path):
    """The docs CSP allows this origin's scripts plus the hash of each inline script served."""
    # That lets Swagger UI start (its start-up script is inline) without 'unsafe-inline'.
    response = client.get(path)
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    directives = dict(item.strip().split(" ", 1) for item in csp.split(";"))
    inline = re.findall(r"<script(?![^>]*src=)[^>]*>(.*?)</script>", response.text, re.DOTALL)
    assert inline, "Swagger UI's page has an inline start-up script"
    for body in inline:
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in directives["script-src"]
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-eval'" not in directives["script-src"]
    assert directives["script-src"].startswith("'self'")
    assert directives["frame-ancestors"] == "'none'"
    assert "'self'" in directives["connect-src"]  # "Try it out" calls the API
    assert "data:" in directives["img-src"]
    for src in re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', response.text):
        assert src.startswith("/api/docs/assets/"), "every asset is served from this origin"
    assert int(response.headers["content-length"]) == len(response.content)
    assert_protected(response)


def test_script_hashes_ignore_external_scripts():
    """Only inline scripts are hashed."""
    html = b"<script src='/a.js'></script><script>run()</script><SCRIPT type='x'>go()</SCRIPT>"
    expected = [
        "'sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode() + "'"
        for body in (b"run()", b"go()")
    ]
    assert script_hashes(html) == expected


# ----------------------------------------------------------------------------- HSTS


def test_hsts_only_over_tls():
    """Strict-Transport-Security is sent on https requests and not on plain http ones."""
    app = app_with()
    with TestClient(app, base_url="https://testserver.local") as secure:
        assert secure.get("/health").headers["strict-transport-security"].startswith("max-age=")
    with TestClient(app) as plain:
        assert "strict-transport-security" not in plain.get("/health").headers


def test_forwarded_proto_is_ignored_from_untrusted_peers():
    """X-Forwarded-Proto: https from a peer that is no trusted proxy does not switch HSTS on."""
    with TestClient(app_with()) as plain:
        response = plain.get("/health", headers={"X-Forwarded-Proto": "https"})
    assert "strict-transport-security" not in response.headers


def scope(peer: str | None, **headers: str) -> dict:
    """A minimal HTTP scope from ``peer`` with these headers."""
    return {
        "type": "http",
        "scheme": "http",
        "client": (peer, 5000) if peer else None,
        "headers": [(k.replace("_", "-").encode(), v.encode()) for k, v in headers.items()],
    }


TRUSTED = ("10.0.0.0/8",)


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("203.0.113.9", "198.51.100.1", "203.0.113.9"),  # untrusted peer: header ignored
        ("10.0.0.2", "198.51.100.1", "198.51.100.1"),  # trusted proxy: its client
        ("10.0.0.2", "198.51.100.1, 10.0.0.3", "198.51.100.1"),  # two proxies of ours
        ("10.0.0.2", "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # spoofed left part ignored
        ("10.0.0.2", "junk, 198.51.100.1", "198.51.100.1"),
        ("10.0.0.2", "198.51.100.1, junk", "10.0.0.2"),  # junk next to us: trust nothing
        ("10.0.0.2", "", "10.0.0.2"),
        (None, "198.51.100.1", "unknown"),
    ],
)
def test_the_client_address_trusts_only_configured_proxies(peer, forwarded, expected):
    """X-Forwarded-For counts only from trusted proxies, read from the right."""
    assert client_address(scope(peer, x_forwarded_for=forwarded), TRUSTED) == expected


def test_tls_is_read_from_trusted_proxies_only():
    """X-Forwarded-Proto: https means TLS only when a trusted proxy says it."""
    assert came_over_tls(scope("10.0.0.2", x_forwarded_proto="https"), TRUSTED)
    assert not came_over_tls(scope("203.0.113.9", x_forwarded_proto="https"), TRUSTED)
    assert not came_over_tls(scope("10.0.0.2", x_forwarded_proto="http"), TRUSTED)
    assert came_over_tls({**scope("203.0.113.9"), "scheme": "https"}, ())


# ----------------------------------------------------------------------------- CORS


def test_no_cors_by_default(client):
    """Without configured origins no response allows any origin, preflights included."""
    origin = {"Origin": "https://evil.example.com"}
    assert "access-control-allow-origin" not in client.get(JOBS, headers=origin).headers
    preflight = client.options(JOBS, headers={**origin, "Access-Control-Request-Method": "GET"})
    assert "access-control-allow-origin" not in preflight.headers


def test_cors_allows_exactly_the_configured_origins():
    """A configured origin is allowed (without credentials); any other origin is not."""
    with TestClient(app_with(cors_origins=("https://app.example.com",))) as client:
        good = client.options(
            JOBS,
            headers={
                "Origin": "https://app.example.com",
                "Access-Control-Request-Method": "PATCH",
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )
        evil = client.get(JOBS, headers={"Origin": "https://evil.example.com"})
    assert good.status_code in {200, 204}
    assert good.headers["access-control-allow-origin"] == "https://app.example.com"
    assert "access-control-allow-credentials" not in good.headers
    assert "access-control-allow-origin" not in evil.headers


# ----------------------------------------------------------------------------- body size


def test_the_body_limit_comes_from_the_settings():
    """JOBRAKER_MAX_BODY_BYTES sets the largest body accepted; larger ones are 413."""
    with TestClient(app_with(max_body_bytes=200)) as client:
        small = client.post("/api/v1/auth/register/", json={"email": "a@b.co"})
        large = client.post("/api/v1/auth/register/", json={"email": "a" * 300 + "@b.co"})
    assert small.status_code == 422
    assert large.status_code == 413
    assert large.json()["type"].endswith("/request-too-large")


def test_a_chunked_body_over_the_limit_is_413_too():
    """A body sent without Content-Length is cut off at the limit as well."""

    def chunks():
        for _ in range(10):
            yield b" " * 100

    with TestClient(app_with(max_body_bytes=500)) as client:
        response = client.post(
            "/api/v1/auth/register/",
            content=chunks(),
            headers={"content-type": "application/json"},
        )
    assert response.status_code == 413
