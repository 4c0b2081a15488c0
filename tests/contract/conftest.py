"""The ``uow_factory`` every contract test runs on: once the in-memory fake, once PostgreSQL."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import pytest

from account_builders import add_user
from jobraker_adapters.memory import InMemoryUnitOfWorkFactory
from jobraker_adapters.postgres.uow import PostgresUnitOfWorkFactory

if TYPE_CHECKING:
    from jobraker_core.ports import UnitOfWorkFactory


@pytest.fixture(params=["memory", pytest.param("postgres", marks=pytest.mark.integration)])
def uow_factory(request: pytest.FixtureRequest) -> UnitOfWorkFactory:
    """Give a unit-of-work factory over empty storage: the in-memory fake or real PostgreSQL."""
    if request.param == "memory":
        return InMemoryUnitOfWorkFactory()
    request.getfixturevalue("db")
    return PostgresUnitOfWorkFactory(request.getfixturevalue("pg_pool"))


@pytest.fixture
def user_id(uow_factory: UnitOfWorkFactory) -> uuid.UUID:
    """Store a user and give their id."""
    return add_user(uow_factory)
