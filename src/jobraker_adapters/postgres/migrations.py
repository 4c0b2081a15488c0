"""Schema migrations: versioned SQL files in ``migrations/``, applied by yoyo-migrations.

Each file is named ``NNNN.description.sql``, names the migration it builds on in a leading
``-- depends:`` comment, and has a ``NNNN.description.rollback.sql`` beside it where undoing it
makes sense. yoyo records what it applied in its own tables (``_yoyo_migration`` & co.) and takes a
lock row first, so several processes starting at once (``jobraker up`` next to ``jobraker
ingest``) apply each migration exactly once.
"""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import quote, urlencode

import psycopg
from psycopg.conninfo import conninfo_to_dict
from yoyo import get_backend, read_migrations
from yoyo.exceptions import LockTimeout

from jobraker_adapters.postgres.errors import SERVICE, translate_errors
from jobraker_core.errors import ConfigurationError, UpstreamUnavailable

MIGRATIONS_SOURCE: Final = "package:jobraker_adapters.postgres:migrations"
LOCK_TIMEOUT_SECONDS: Final = 60
_YOYO_SCHEME: Final = "postgresql+psycopg"  # yoyo's backend for psycopg 3


def yoyo_url(database_url: str) -> str:
    """Convert a libpq connection string (a URL or ``key=value`` pairs) to a yoyo URL.

    yoyo reads the host only from the URL's authority, so a unix-socket directory given as
    ``?host=/path`` (the embedded server's URL) or percent-encoded in the authority would be lost
    or mangled. Every parameter except the database name therefore travels in the query string,
    which yoyo hands to ``psycopg.connect`` as keyword arguments unchanged.
    """
    try:
        params: dict[str, Any] = conninfo_to_dict(database_url)
    except psycopg.ProgrammingError as error:
        raise ConfigurationError(f"DATABASE_URL is not a valid PostgreSQL URL: {error}") from None
    dbname = str(params.pop("dbname", "") or "")
    query = urlencode({name: str(value) for name, value in params.items() if value is not None})
    return f"{_YOYO_SCHEME}:///{quote(dbname, safe='')}" + (f"?{query}" if query else "")


def apply_migrations(database_url: str) -> list[str]:
    """Apply every migration not applied yet and return their ids, in the order applied.

    Safe to call from several processes at once: yoyo's lock makes the others wait, and they then
    find nothing left to apply. Raises ``UpstreamUnavailable`` when the database cannot be reached
    or another process holds the lock for longer than ``LOCK_TIMEOUT_SECONDS``.
    """
    migrations = read_migrations(MIGRATIONS_SOURCE)
    if not migrations:
        raise ConfigurationError(
            "the migration files are missing from the installed package "
            "(jobraker_adapters/postgres/migrations)"
        )
    with translate_errors():
        backend = get_backend(yoyo_url(database_url))
        try:
            with backend.lock(timeout=LOCK_TIMEOUT_SECONDS):
                pending = backend.to_apply(migrations)
                backend.apply_migrations(pending)
        except LockTimeout as error:
            raise UpstreamUnavailable(
                f"timed out waiting for another process to finish migrating the database: {error}",
                service=SERVICE,
            ) from error
        finally:
            backend.connection.close()
    return [migration.id for migration in pending]
