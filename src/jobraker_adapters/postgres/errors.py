"""Translation of psycopg and psycopg_pool exceptions into Jobraker's error tree.

Every repository method, the unit of work and the migration runner run their database calls inside
``translate_errors()``, so no psycopg exception reaches the core or the edges:

- a unique or exclusion constraint violation becomes ``Conflict``;
- a statement timeout (``QueryCanceled``), a pool that hands out no connection in time
  (``PoolTimeout``), a closed pool, a refused or broken connection, a server shutting down, a
  serialisation failure or deadlock (every ``OperationalError``) and a connection closed under
  us (``InterfaceError``) become ``UpstreamUnavailable(service="postgresql")``: retrying later may
  succeed.

Anything else (a ``ProgrammingError``, a ``DataError``) is a bug in Jobraker and propagates as is.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Final

import psycopg
import psycopg_pool
from psycopg import errors as pg_errors

from jobraker_core.errors import Conflict, UpstreamUnavailable

if TYPE_CHECKING:
    from collections.abc import Iterator

SERVICE: Final = "postgresql"

_CONSTRAINT_MESSAGES: Final = {
    "jobs_pkey": "a job with this id already exists",
    "jobs_key_key": "another job already has this canonical key",
    "job_sources_pkey": "this source reference already belongs to another job",
    "ingestion_runs_pkey": "an ingestion run with this id already exists",
    "ingestion_runs_schedule_key_key": "this schedule slot already has an ingestion run",
}


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _conflict_message(error: pg_errors.IntegrityError) -> str:
    constraint = error.diag.constraint_name or ""
    fallback = f"the change collides with stored data ({constraint})"
    return _CONSTRAINT_MESSAGES.get(constraint, fallback)


@contextmanager
def translate_errors() -> Iterator[None]:
    """Run the block, turning psycopg exceptions into ``Conflict`` / ``UpstreamUnavailable``.

    Usable as a ``with`` block or as a decorator (``@translate_errors()``).
    """
    try:
        yield
    except (pg_errors.UniqueViolation, pg_errors.ExclusionViolation) as error:
        raise Conflict(_conflict_message(error)) from error
    except pg_errors.QueryCanceled as error:
        raise UpstreamUnavailable(
            f"PostgreSQL cancelled a statement that ran too long: {_first_line(error)}",
            service=SERVICE,
        ) from error
    except psycopg_pool.PoolTimeout as error:
        raise UpstreamUnavailable(
            "no PostgreSQL connection became available in time; the database may be down or "
            "overloaded",
            service=SERVICE,
        ) from error
    except (psycopg.OperationalError, psycopg.InterfaceError) as error:
        raise UpstreamUnavailable(
            f"PostgreSQL is unavailable: {_first_line(error)}", service=SERVICE
        ) from error
