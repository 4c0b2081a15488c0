"""The guard inventory: every route declares exactly one access guard, and each guard holds.

Admin routes answer 401 without a token, 403 to a user, 401 to an expired token and 2xx to an
admin; user routes answer 401 without a token; public routes answer without one. New routes are
picked up automatically: declaring no guard (or two) fails ``test_every_route_declares_one_guard``.
"""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING

import pytest
from auth_helpers import bearer, log_in
from dependency_injector import providers
from litestar.testing import TestClient

from jobraker_adapters.container import build_memory_container
from jobraker_adapters.memory import InMemoryJobSource, InMemoryJobSourceCatalog
from jobraker_core.accounts.identity import Role
from jobraker_core.jobs.ingestion import SourceSpec
from jobraker_core.jobs.use_cases import StartIngestion
from jobraker_http import create_app
from jobraker_http.guards import access_guards_of, public, requires_admin, requires_user

if TYPE_CHECKING:
    from litestar import Litestar
    from litestar.handlers import HTTPRouteHandler

_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")
_AUTO_OPTIONS = "options_handler"


def _handlers(app: Litestar) -> list[tuple[str, str, HTTPRouteHandler]]:
    """Every (method, path, handler) the app routes, without Litestar's automatic OPTIONS."""
    found = []
    for route in app.routes:
        # a WebSocket route has one handler (``route_handler``), an HTTP route several
        for handler in getattr(route, "route_handlers", None) or [route.route_handler]:
            methods = sorted(getattr(handler, "http_methods", None) or ["WEBSOCKET"])
            if methods == ["OPTIONS"] and handler.handler_name == _AUTO_OPTIONS:
                continue
            found.extend((method, route.path, handler) for method in methods)
    return found


APP = create_app(build_memory_container())
HANDLERS = _handlers(APP)


def _ids(items: list[tuple[str, str, object]]) -> list[str]:
    return [f"{method} {path}" for method, path, _ in items]


def test_the_inventory_sees_the_routes():
    """The walk finds the known routes of every kind (so an empty walk cannot pass)."""
    seen = {f"{method} {path}" for method, path, _ in HANDLERS}
    for expected in (
        "GET /health",
        "GET /api/v1/jobs",
        "POST /api/v1/ingestions",
        "POST /api/v1/auth/login",
        "GET /api/v1/admin/users",
        "GET /api/schema",
    ):
        assert expected in seen


@pytest.mark.parametrize(("method", "path", "handler"), HANDLERS, ids=_ids(HANDLERS))
def test_every_route_declares_one_guard(method, path, handler):
    """Each handler resolves to exactly one of public / requires_user / requires_admin."""
    guards = access_guards_of(handler)
    assert len(guards) == 1, f"{method} {path} declares {len(guards)} access guards"


PUBLIC_ROUTES = {
    ("GET", "/health"),
    ("GET", "/ready"),
    ("POST", "/api/v1/auth/register"),
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/refresh"),
    # the second step of a login, and sign-in with an identity provider
    ("POST", "/api/v1/auth/login/2fa"),
    ("GET", "/api/v1/auth/oidc"),
    ("GET", "/api/v1/auth/oidc/{provider:str}/start"),
    ("GET", "/api/v1/auth/oidc/{provider:str}/callback"),
    # one-click unsubscribe from a notification: the signed token is the credential
    ("GET", "/api/v1/notifications/unsubscribe"),
    ("POST", "/api/v1/notifications/unsubscribe"),
    # Skyvern's run callback: its HMAC signature over the raw body is the credential
    ("POST", "/api/v1/webhooks/skyvern"),
}


@pytest.mark.parametrize(("method", "path"), sorted(PUBLIC_ROUTES))
def test_only_the_expected_api_routes_are_public(method, path):
    """The public routes are the probes, the docs and the ways to get a token."""
    public_api = {
        (m, p)
        for m, p, h in HANDLERS
        if access_guards_of(h) == [public] and p.startswith("/api/v1")
    }
    assert public_api <= PUBLIC_ROUTES
    assert (method, path) in {(m, p) for m, p, h in HANDLERS if access_guards_of(h) == [public]}


def test_jobs_need_a_user_and_ingestions_an_admin():
    """The existing routes got the guards the product needs."""
    by_route = {(m, p): access_guards_of(h) for m, p, h in HANDLERS}
    assert by_route[("GET", "/api/v1/jobs")] == [requires_user]
    assert by_route[("GET", "/api/v1/jobs/{job_id:str}")] == [requires_user]
    for method, path in (
        ("GET", "/api/v1/ingestions"),
        ("POST", "/api/v1/ingestions"),
        ("GET", "/api/v1/ingestions/{run_id:str}"),
    ):
        assert by_route[(method, path)] == [requires_admin]


# ----------------------------------------------------------------------------- behaviour


@pytest.fixture(scope="module")
def world():
    """An app with an admin, a user, an expired token, and one object of each kind."""
    container = build_memory_container()
    container.job_sources.override(
        providers.Singleton(InMemoryJobSourceCatalog, {"demo": InMemoryJobSource()})
    )
    _, admin = log_in(container, role=Role.ADMIN)
    target, user = log_in(container)
    clock = container.clock()
    clock.advance(minutes=-30)
    _, old = log_in(container, role=Role.ADMIN)  # expired by the time the tests run
    clock.advance(minutes=30)
    run = container.queue_ingestion()(StartIngestion(source=SourceSpec("demo")))
    assert run is not None
    samples = {"user_id": str(target), "run_id": str(run.id), "job_id": str(uuid.uuid4())}
    with TestClient(create_app(container)) as client:
        yield {
            "client": client,
            "admin": bearer(admin.access_token),
            "user": bearer(user.access_token),
            "expired": bearer(old.access_token),
            "samples": samples,
            # a user token per call: logout and password change revoke the one they are sent
            "new_user": lambda: bearer(log_in(container)[1].access_token),
        }


BODIES = {
    ("POST", "/api/v1/ingestions"): {"source": "demo"},
    ("PATCH", "/api/v1/admin/users/{user_id:str}"): {},
}


def _call(world, method: str, path: str, headers: dict[str, str]):
    url = _PARAM.sub(lambda m: world["samples"].get(m.group(1), str(uuid.uuid4())), path)
    body = BODIES.get((method, path))
    return world["client"].request(
        method, url, headers=headers, json=body if body is not None else None
    )


ADMIN_ROUTES = [
    (m, p, h)
    for m, p, h in HANDLERS
    if access_guards_of(h) == [requires_admin] and m != "WEBSOCKET"
]
USER_ROUTES = [
    (m, p, h)
    for m, p, h in HANDLERS
    if access_guards_of(h) == [requires_user] and m not in {"WEBSOCKET", "OPTIONS"}
]


@pytest.mark.parametrize(("method", "path", "handler"), ADMIN_ROUTES, ids=_ids(ADMIN_ROUTES))
def test_admin_routes_refuse_everyone_but_admins(world, method, path, handler):
    """No token 401, a user's token 403, an expired token 401, an admin's token 2xx."""
    assert _call(world, method, path, {}).status_code == 401
    assert _call(world, method, path, world["user"]).status_code == 403
    assert _call(world, method, path, world["expired"]).status_code == 401
    answer = _call(world, method, path, world["admin"])
    if (method, path) in BODIES or "{" not in path or method == "GET":
        assert 200 <= answer.status_code < 300, f"{method} {path}: {answer.text}"
    else:  # a route this test has no sample body for: at least the guard let the admin in
        assert answer.status_code not in {401, 403}


@pytest.mark.parametrize(("method", "path", "handler"), USER_ROUTES, ids=_ids(USER_ROUTES))
def test_user_routes_refuse_anonymous_and_expired_callers(world, method, path, handler):
    """No token and an expired token are 401; a user's token passes the guard."""
    assert _call(world, method, path, {}).status_code == 401
    assert _call(world, method, path, world["expired"]).status_code == 401
    assert _call(world, method, path, world["new_user"]()).status_code not in {401, 403}


def test_the_docs_and_probes_need_no_token(world):
    """The schema, the Swagger UI and its assets, and the probes answer without a token."""
    client = world["client"]
    for path in (
        "/health",
        "/ready",
        "/api/schema",
        "/api/docs",
        "/api/docs/assets/swagger-ui.css",
    ):
        assert client.get(path).status_code == 200, path
