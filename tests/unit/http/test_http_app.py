"""create_app and the ASGI factory: container on state, overrides, start-up and shutdown."""

from __future__ import annotations

import logging

import structlog
from dependency_injector import providers
from litestar import Litestar
from litestar.testing import TestClient

from jobraker_adapters.container import build_memory_container
from jobraker_adapters.memory import InMemoryUnitOfWorkFactory
from jobraker_http import asgi, create_app


def test_container_is_kept_on_app_state():
    """The app keeps the container it was given on ``app.state.container``."""
    container = build_memory_container()
    assert create_app(container).state.container is container


def test_container_resources_are_shut_down_with_the_app():
    """Stopping the app shuts down the resources the container opened."""
    events: list[str] = []

    def resource():
        events.append("opened")
        yield "client"
        events.append("closed")

    container = build_memory_container()
    container.http_client.override(providers.Resource(resource))
    with TestClient(create_app(container)):
        container.http_client()
        assert events == ["opened"]
    assert events == ["opened", "closed"]


def test_provider_overrides_apply_to_the_next_request(client, container, jobs):
    """Overriding a container provider while the app runs changes what the next request sees."""
    assert client.get("/api/v1/jobs/").json()["meta"]["pagination"]["total"] == 6
    empty = InMemoryUnitOfWorkFactory()
    empty.store.users.update(container.uow().store.users)  # the caller's account stays
    container.uow.override(providers.Object(empty))
    assert client.get("/api/v1/jobs/").json()["meta"]["pagination"]["total"] == 0


def test_asgi_factory_builds_the_app_from_the_environment(monkeypatch, tmp_path):
    """``jobraker_http.asgi:app`` builds an app from the environment without starting services."""
    monkeypatch.setenv("JOBRAKER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setenv("JOBRAKER_LOG_FORMAT", "console")
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    try:
        app = asgi.app()
        assert isinstance(app, Litestar)
        assert app.state.container.settings().data_dir == tmp_path.resolve()
    finally:
        for handler in list(root.handlers):
            if handler not in handlers:
                root.removeHandler(handler)
                handler.close()
        root.setLevel(level)
        structlog.reset_defaults()
