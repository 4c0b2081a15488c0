"""The audit log on real PostgreSQL: append-only for everyone, and closed to a separate app role."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import psycopg
import pytest
from psycopg import errors as pg_errors
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from account_builders import make_event
from jobraker_adapters.postgres.migrations import apply_migrations
from jobraker_adapters.postgres.uow import PostgresUnitOfWorkFactory
from jobraker_core.accounts.model import AuditQuery
from jobraker_core.pagination import PageRequest

if TYPE_CHECKING:
    from collections.abc import Iterator

    from jobraker_adapters.embedded import ServiceEndpoints
    from jobraker_adapters.postgres.pool import Pool

pytestmark = pytest.mark.integration

APP_ROLE = "jobraker_app"


@pytest.fixture
def event_id(db: str, pg_pool: Pool) -> uuid.UUID:
    """One committed audit event."""
    event = make_event()
    with PostgresUnitOfWorkFactory(pg_pool)() as uow:
        uow.audit.append(event)
        uow.commit()
    return event.id


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET kind = 'tampered' WHERE id = %s",
        "UPDATE audit_log SET details = '{}' WHERE id = %s",
        "DELETE FROM audit_log WHERE id = %s",
    ],
)
def test_rows_cannot_be_changed_or_deleted_even_by_the_owner(db, event_id, statement):
    """The trigger refuses UPDATE and DELETE for every role, the table's owner included."""
    with psycopg.connect(db) as conn:
        with pytest.raises(pg_errors.InsufficientPrivilege, match="append-only"):
            conn.execute(statement, (event_id,))
        conn.rollback()
        kinds = conn.execute("SELECT kind FROM audit_log WHERE id = %s", (event_id,)).fetchall()
    assert kinds == [("login_succeeded",)]


def test_appending_and_reading_still_work(db, pg_pool, event_id):
    """The trigger leaves INSERT and SELECT alone."""
    with PostgresUnitOfWorkFactory(pg_pool)() as uow:
        uow.audit.append(make_event())
        uow.commit()
    with PostgresUnitOfWorkFactory(pg_pool)() as uow:
        assert uow.audit.list(AuditQuery(), PageRequest()).total == 2


@pytest.fixture
def app_role_database(services: ServiceEndpoints) -> Iterator[tuple[str, str]]:
    """A fresh database migrated while a ``jobraker_app`` login role exists.

    The role is set up the usual way: it gets every privilege on new tables by default.

    Yields the owner's URL and the app role's URL; drops both afterwards.
    """
    server = services.database_url
    name = f"jobraker_audit_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(make_conninfo(server, dbname="postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (APP_ROLE,)).fetchone():
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(APP_ROLE)))
    owner = make_conninfo(server, dbname=name)
    try:
        with psycopg.connect(owner, autocommit=True) as conn:
            role = sql.Identifier(APP_ROLE)
            conn.execute(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(role))
            conn.execute(
                sql.SQL(
                    "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO {}"
                ).format(role)
            )
        apply_migrations(owner)
        params = conninfo_to_dict(owner)
        params["user"] = APP_ROLE
        params.pop("password", None)
        yield owner, make_conninfo(**params)
    finally:
        with psycopg.connect(make_conninfo(server, dbname="postgres"), autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(APP_ROLE)))


def test_a_separate_app_role_may_only_insert_and_read(app_role_database):
    """An app role present at migration time keeps only SELECT and INSERT on the audit log."""
    _, app = app_role_database
    event = make_event()
    with psycopg.connect(app) as conn:
        conn.execute(
            "INSERT INTO audit_log (id, occurred_at, kind) VALUES (%s, %s, %s)",
            (event.id, event.occurred_at, event.kind.value),
        )
        conn.commit()
        assert conn.execute("SELECT count(*) FROM audit_log").fetchone() == (1,)
        for statement in (
            "UPDATE audit_log SET kind = 'x'",
            "DELETE FROM audit_log",
            "TRUNCATE audit_log",
        ):
            with pytest.raises(pg_errors.InsufficientPrivilege, match="permission denied"):
                conn.execute(statement)
            conn.rollback()
        conn.execute("UPDATE users SET token_version = token_version")  # the default grant holds
