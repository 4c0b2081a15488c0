"""``Idempotency-Key`` at the HTTP edge, on a test-only create route of the real app."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from auth_helpers import bearer, log_in
from litestar import post
from litestar.di import NamedDependency  # noqa: TC002 - Litestar reads it at runtime
from litestar.params import JSONBody  # noqa: TC002 - Litestar reads it at runtime
from litestar.testing import TestClient

from jobraker_adapters.container import Container
from jobraker_core.accounts.identity import Principal
from jobraker_core.errors import UpstreamUnavailable
from jobraker_http import create_app
from jobraker_http.guards import requires_user
from jobraker_http.idempotency import IDEMPOTENT

PATH = "/api/v1/test-things/"


class Things:
    """What the test route did: every body it handled, and switches to make it slow or fail."""

    def __init__(self) -> None:
        """Start with no calls, fast and healthy."""
        self.calls: list[dict[str, Any]] = []
        self.fail_next = 0
        self.entered = threading.Event()
        self.release = threading.Event()
        self.release.set()
        self.lock = threading.Lock()


@pytest.fixture
def things() -> Things:
    """The test route's record."""
    return Things()


@pytest.fixture
def client(container: Container, things: Things) -> Iterator[TestClient]:  # type: ignore[type-arg]
    """The real app over the memory container, plus one idempotent test-only route."""

    @post(PATH, guards=[requires_user], opt=IDEMPOTENT, status_code=201, sync_to_thread=True)
    def create_thing(
        data: JSONBody[dict[str, Any]], principal: NamedDependency[Principal]
    ) -> dict[str, Any]:
        things.entered.set()
        things.release.wait(10)
        with things.lock:
            if things.fail_next:
                things.fail_next -= 1
                raise UpstreamUnavailable("the database is down", service="postgresql")
            things.calls.append(data)
            number = len(things.calls)
        return {"id": number, "owner": str(principal.user_id), "name": data.get("name")}

    app = create_app(container)
    app.register(create_thing)
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def alice(container: Container) -> dict[str, str]:
    """Alice's bearer header."""
    return bearer(log_in(container)[1].access_token)


@pytest.fixture
def bob(container: Container) -> dict[str, str]:
    """Bob's bearer header."""
    return bearer(log_in(container)[1].access_token)


def _post(client, auth, key: str | None, body: dict[str, Any]):
    headers = dict(auth)
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post(PATH, json=body, headers=headers)


def test_the_same_key_twice_replays_the_first_response(client, things, alice):
    """The second request with the same key and body gets the stored 201; the route ran once."""
    first = _post(client, alice, "k-1", {"name": "one"})
    again = _post(client, alice, "k-1", {"name": "one"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["content-type"] == first.headers["content-type"]
    assert len(things.calls) == 1


def test_the_same_key_with_another_body_is_422(client, things, alice):
    """A key names one request: another body with it is refused, and nothing runs."""
    _post(client, alice, "k-1", {"name": "one"})
    other = _post(client, alice, "k-1", {"name": "two"})
    assert other.status_code == 422
    assert "Idempotency-Key" in other.text
    assert len(things.calls) == 1


def test_a_request_still_running_makes_the_duplicate_409(client, things, alice):
    """While the first request runs, a duplicate gets 409; afterwards it gets the replay."""
    things.release.clear()
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(_post, client, alice, "k-1", {"name": "one"})
        assert things.entered.wait(10)
        duplicate = _post(client, alice, "k-1", {"name": "one"})
        things.release.set()
        assert first.result(10).status_code == 201
    assert duplicate.status_code == 409
    assert _post(client, alice, "k-1", {"name": "one"}).headers["Idempotent-Replayed"] == "true"
    assert len(things.calls) == 1


def test_concurrent_requests_with_one_key_have_one_winner(client, things, alice):
    """Eight simultaneous requests with one key: one 201 from one run, the others 409."""
    things.release.clear()
    with ThreadPoolExecutor(8) as pool:
        winner = pool.submit(_post, client, alice, "race", {"name": "x"})
        assert things.entered.wait(10)
        others = [pool.submit(_post, client, alice, "race", {"name": "x"}) for _ in range(7)]
        statuses = [future.result(10).status_code for future in others]
        things.release.set()
        assert winner.result(10).status_code == 201
    assert statuses == [409] * 7
    assert len(things.calls) == 1


def test_another_users_key_is_not_shared(client, things, alice, bob):
    """Bob's request with Alice's key is his own: it runs and gets his answer."""
    alices = _post(client, alice, "shared", {"name": "a"})
    bobs = _post(client, bob, "shared", {"name": "b"})
    assert bobs.status_code == 201
    assert "Idempotent-Replayed" not in bobs.headers
    assert bobs.json()["owner"] != alices.json()["owner"]
    assert len(things.calls) == 2


def test_a_server_failure_frees_the_key_for_a_retry(client, things, alice):
    """A 503 is not stored: the retry with the same key runs and succeeds."""
    things.fail_next = 1
    failed = _post(client, alice, "k-1", {"name": "one"})
    assert failed.status_code == 503
    retried = _post(client, alice, "k-1", {"name": "one"})
    assert retried.status_code == 201
    assert "Idempotent-Replayed" not in retried.headers
    assert len(things.calls) == 1


def test_without_a_key_every_request_runs(client, things, alice):
    """The header is optional: without it requests are not deduplicated."""
    _post(client, alice, None, {"name": "one"})
    _post(client, alice, None, {"name": "one"})
    assert len(things.calls) == 2


def test_a_malformed_key_is_422(client, things, alice):
    """A key longer than 255 characters is refused before the route runs."""
    response = _post(client, alice, "k" * 256, {"name": "one"})
    assert response.status_code == 422
    assert things.calls == []


def test_without_a_token_the_guard_answers_401(client, things):
    """Unauthenticated requests carrying a key get the route's 401, and nothing is stored."""
    response = _post(client, {}, "k-1", {"name": "one"})
    assert response.status_code == 401
    assert things.calls == []


def test_routes_that_did_not_opt_in_ignore_the_key(container):
    """A route without ``opt={"idempotency": True}`` runs every time, key or not."""
    calls: list[int] = []

    @post("/api/v1/test-plain/", guards=[requires_user], status_code=201, sync_to_thread=False)
    def plain(data: JSONBody[dict[str, Any]]) -> dict[str, int]:
        calls.append(1)
        return {"n": len(calls)}

    app = create_app(container)
    app.register(plain)
    auth = bearer(log_in(container)[1].access_token)
    with TestClient(app) as test_client:
        for _ in range(2):
            headers = {**auth, "Idempotency-Key": "same"}
            test_client.post("/api/v1/test-plain/", json={}, headers=headers)
    assert calls == [1, 1]


# ------------------------------------------------------------------- POST /jobs/{id}/apply/


@pytest.fixture
def app_client(container: Container) -> Iterator[TestClient]:  # type: ignore[type-arg]
    """The real app over the memory container, without a default token."""
    with TestClient(create_app(container)) as test_client:
        yield test_client


def _apply(client, auth, job_id, key, body):
    headers = {**auth, "Idempotency-Key": key}
    return client.post(f"/api/v1/jobs/{job_id}/apply/", json=body, headers=headers)


def test_apply_with_the_same_key_twice_makes_one_application(app_client, container, jobs, alice):
    """Applying twice with one key: the same 201 replayed, one application stored."""
    job = jobs["python_london"]
    first = _apply(app_client, alice, job.id, "apply-1", {"mode": "manual"})
    again = _apply(app_client, alice, job.id, "apply-1", {"mode": "manual"})
    assert first.status_code == 201, first.text
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["data"]["id"] == first.json()["data"]["id"]
    listed = app_client.get("/api/v1/applications/", headers=alice).json()["data"]
    assert [item["id"] for item in listed] == [first.json()["data"]["id"]]


def test_apply_with_the_same_key_and_another_body_is_422(app_client, jobs, alice):
    """The key was used for a manual application: an automatic one with it is refused."""
    job = jobs["python_london"]
    _apply(app_client, alice, job.id, "apply-1", {"mode": "manual"})
    other = _apply(app_client, alice, job.id, "apply-1", {"mode": "auto"})
    assert other.status_code == 422
    assert "Idempotency-Key" in other.text


def test_concurrent_applies_with_one_key_create_one_application(app_client, jobs, alice):
    """Eight simultaneous applies with one key: one run; the rest 409 or the replayed 201."""
    job = jobs["python_london"]
    with ThreadPoolExecutor(8) as pool:
        futures = [
            pool.submit(_apply, app_client, alice, job.id, "race", {"mode": "manual"})
            for _ in range(8)
        ]
        responses = [future.result(30) for future in futures]
    fresh = [
        r for r in responses if r.status_code == 201 and "Idempotent-Replayed" not in r.headers
    ]
    assert len(fresh) == 1
    assert all(
        r.status_code == 409 or r.headers.get("Idempotent-Replayed") == "true"
        for r in responses
        if r is not fresh[0]
    )
    listed = app_client.get("/api/v1/applications/", headers=alice).json()["data"]
    assert len(listed) == 1


def test_another_users_apply_key_is_not_shared(app_client, jobs, alice, bob):
    """Bob applying with Alice's key gets his own application."""
    job = jobs["python_london"]
    alices = _apply(app_client, alice, job.id, "shared", {"mode": "manual"})
    bobs = _apply(app_client, bob, job.id, "shared", {"mode": "manual"})
    assert bobs.status_code == 201
    assert "Idempotent-Replayed" not in bobs.headers
    assert bobs.json()["data"]["id"] != alices.json()["data"]["id"]
