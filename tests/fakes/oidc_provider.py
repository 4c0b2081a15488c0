"""A fake OpenID Connect (and GitHub-style OAuth 2.0) provider: a real HTTP server on 127.0.0.1.

OpenID Connect (the contract Google and LinkedIn follow):

- ``GET /.well-known/openid-configuration`` — the discovery document (issuer = the base URL);
- ``GET /jwks`` — the public half of an RSA key (RS256, with a ``kid``);
- ``GET /authorize`` — checks ``client_id``, ``redirect_uri``, ``response_type=code`` and a
  PKCE ``S256`` challenge, signs the configured ``user`` in at once (no login page) and
  redirects (302) to ``redirect_uri?code=...&state=...``;
- ``POST /token`` — the authorization-code grant: client id and secret, the same redirect URI,
  the PKCE verifier whose S256 is the challenge, and a code used at most once (a second use is
  ``invalid_grant``); answers ``access_token`` and a signed ``id_token`` (``iss``, ``aud``,
  ``sub``, ``exp``, ``iat``, ``nonce``, ``email``, ``email_verified``);
- ``GET /userinfo`` — the user's claims for a bearer access token.

GitHub (OAuth 2.0, no ID token): ``GET /login/oauth/authorize``, ``POST
/login/oauth/access_token`` (errors answered with 200 and an ``error`` field, as GitHub does),
``GET /user`` and ``GET /user/emails``.

Faults for the negative tests are attributes: ``issuer_in_token``, ``audience_in_token``,
``nonce_in_token``, ``sign_with_other_key``, ``expired_tokens``, ``email_in_id_token``. Every
request is recorded in ``requests``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

if TYPE_CHECKING:
    from types import TracebackType

CLIENT_ID = "jobraker-test-client"
CLIENT_SECRET = "fake-client-secret-0123456789"
KEY_ID = "fake-key-1"


@dataclass
class FakeUser:
    """Who the provider signs in."""

    subject: str = "248289761001"
    email: str | None = "ada@example.com"
    email_verified: bool = True
    name: str = "Ada Lovelace"
    github_id: int = 1_234_567


@dataclass
class _Grant:
    client_id: str
    redirect_uri: str
    code_challenge: str
    nonce: str | None
    used: bool = False


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass
class FakeOidcProvider:
    """The fake provider; ``start`` it (or use it as a context manager)."""

    user: FakeUser = field(default_factory=FakeUser)
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET
    issuer_in_token: str | None = None
    audience_in_token: str | None = None
    nonce_in_token: str | None = None
    sign_with_other_key: bool = False
    expired_tokens: bool = False
    email_in_id_token: bool = True
    requests: list[tuple[str, str]] = field(default_factory=list)
    grants: dict[str, _Grant] = field(default_factory=dict)
    access_tokens: dict[str, str] = field(default_factory=dict)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    # ------------------------------------------------------------------------ lifecycle

    def start(self) -> Self:
        """Listen on a free port of 127.0.0.1 in a background thread."""
        provider = self

        class Handler(_Handler):
            fake = provider

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        assert self._server is not None, "start the provider first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def provider_settings(self, preset: str = "oidc", **overrides: str) -> dict[str, str]:
        """The ``JOBRAKER_OIDC_PROVIDERS`` entry pointing ``preset`` at this server."""
        entry = {"client_id": self.client_id, "client_secret": self.client_secret}
        if preset == "github":
            entry |= {
                "authorization_endpoint": f"{self.base_url}/login/oauth/authorize",
                "token_endpoint": f"{self.base_url}/login/oauth/access_token",
                "userinfo_endpoint": f"{self.base_url}/user",
                "emails_endpoint": f"{self.base_url}/user/emails",
            }
        else:
            entry["issuer"] = self.base_url
        if preset not in {"google", "github", "linkedin"}:
            entry["preset"] = preset
        return entry | overrides

    # ------------------------------------------------------------------------ documents

    def discovery(self) -> dict[str, Any]:
        """The discovery document."""
        base = self.base_url
        return {
            "issuer": base,
            "authorization_endpoint": f"{base}/authorize",
            "token_endpoint": f"{base}/token",
            "userinfo_endpoint": f"{base}/userinfo",
            "jwks_uri": f"{base}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
        }

    def jwks(self) -> dict[str, Any]:
        """The public key set."""
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        public |= {"kid": KEY_ID, "use": "sig", "alg": "RS256"}
        return {"keys": [public]}

    def id_token(self, nonce: str | None) -> str:
        """A signed ID token for the user (with the configured faults)."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer_in_token or self.base_url,
            "aud": self.audience_in_token or self.client_id,
            "sub": self.user.subject,
            "iat": now - (7200 if self.expired_tokens else 0),
            "exp": now + (-3600 if self.expired_tokens else 600),
            "nonce": self.nonce_in_token or nonce,
            "name": self.user.name,
        }
        if self.email_in_id_token and self.user.email is not None:
            claims |= {"email": self.user.email, "email_verified": self.user.email_verified}
        key = self.other_key if self.sign_with_other_key else self.key
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": KEY_ID})

    def userinfo(self) -> dict[str, Any]:
        """The user's claims."""
        info: dict[str, Any] = {"sub": self.user.subject, "name": self.user.name}
        if self.user.email is not None:
            info |= {"email": self.user.email, "email_verified": self.user.email_verified}
        return info

    # ------------------------------------------------------------------------ grants

    def authorize(self, params: dict[str, str]) -> tuple[int, dict[str, str]]:
        """Check an authorization request; a redirect with a code, or a 400."""
        if (
            params.get("client_id") != self.client_id
            or params.get("response_type") != "code"
            or params.get("code_challenge_method") != "S256"
            or not params.get("code_challenge")
            or not params.get("redirect_uri")
            or not params.get("state")
        ):
            return 400, {}
        code = secrets.token_urlsafe(24)
        with self._lock:
            self.grants[code] = _Grant(
                client_id=params["client_id"],
                redirect_uri=params["redirect_uri"],
                code_challenge=params["code_challenge"],
                nonce=params.get("nonce"),
            )
        query = urlencode({"code": code, "state": params["state"]})
        return 302, {"Location": f"{params['redirect_uri']}?{query}"}

    def exchange(self, form: dict[str, str], *, oidc: bool) -> tuple[int, dict[str, Any]]:
        """The authorization-code grant."""
        if form.get("client_id") != self.client_id or form.get("client_secret") != (
            self.client_secret
        ):
            return 401, {"error": "invalid_client"}
        with self._lock:
            grant = self.grants.get(form.get("code", ""))
            valid = (
                grant is not None
                and not grant.used
                and form.get("grant_type") == "authorization_code"
                and grant.redirect_uri == form.get("redirect_uri")
                and grant.code_challenge == _s256(form.get("code_verifier", ""))
            )
            if grant is not None:
                grant.used = True  # a code is burnt by any attempt
        if not valid or grant is None:
            return 400, {"error": "invalid_grant"}
        access = secrets.token_urlsafe(24)
        with self._lock:
            self.access_tokens[access] = self.user.subject
        answer: dict[str, Any] = {"access_token": access, "token_type": "Bearer"}
        if oidc:
            answer |= {"id_token": self.id_token(grant.nonce), "expires_in": 600}
        return 200, answer


class _Handler(BaseHTTPRequestHandler):
    fake: FakeOidcProvider

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base's name
        """Stay quiet."""

    def _send(
        self, status: int, body: object = None, headers: dict[str, str] | None = None
    ) -> None:
        payload = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _bearer(self) -> str | None:
        scheme, _, token = (self.headers.get("Authorization") or "").partition(" ")
        return self.fake.access_tokens.get(token) if scheme.lower() == "bearer" else None

    def do_GET(self) -> None:  # noqa: C901, PLR0912 - one branch per endpoint
        """Serve discovery, JWKS, authorize, userinfo and the GitHub user API."""
        parts = urlsplit(self.path)
        self.fake.requests.append(("GET", parts.path))
        params = {key: values[0] for key, values in parse_qs(parts.query).items()}
        if parts.path == "/.well-known/openid-configuration":
            self._send(200, self.fake.discovery())
        elif parts.path == "/jwks":
            self._send(200, self.fake.jwks())
        elif parts.path in {"/authorize", "/login/oauth/authorize"}:
            status, headers = self.fake.authorize(params)
            self._send(status, None if status == 302 else {"error": "invalid_request"}, headers)
        elif parts.path == "/userinfo":
            if self._bearer() is None:
                self._send(401, {"error": "invalid_token"})
            else:
                self._send(200, self.fake.userinfo())
        elif parts.path == "/user":
            if self._bearer() is None:
                self._send(401, {"message": "Bad credentials"})
            else:
                self._send(200, {"id": self.fake.user.github_id, "login": "ada"})
        elif parts.path == "/user/emails":
            if self._bearer() is None:
                self._send(401, {"message": "Bad credentials"})
            else:
                user = self.fake.user
                emails = [{"email": "ada-old@example.org", "primary": False, "verified": False}]
                if user.email is not None:
                    emails.append(
                        {"email": user.email, "primary": True, "verified": user.email_verified}
                    )
                self._send(200, emails)
        else:
            self._send(404, {"error": "not_found"})

    def do_POST(self) -> None:
        """Serve the token endpoints."""
        parts = urlsplit(self.path)
        self.fake.requests.append(("POST", parts.path))
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        if parts.path == "/token":
            status, body = self.fake.exchange(form, oidc=True)
            self._send(status, body)
        elif parts.path == "/login/oauth/access_token":
            _, body = self.fake.exchange(form, oidc=False)
            self._send(200, body)  # GitHub answers errors with 200 and an "error" field
        else:
            self._send(404, {"error": "not_found"})


__all__ = ["CLIENT_ID", "CLIENT_SECRET", "FakeOidcProvider", "FakeUser"]
