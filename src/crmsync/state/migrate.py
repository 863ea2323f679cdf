"""Bringing a database's tables up to the newest revision with Alembic.

The migrations ship inside the package (``crmsync/state/migrations``), so an installed
crmsync can upgrade the store it opens without an ``alembic.ini``. On PostgreSQL the
tables live in the engine's ``search_path`` (see :func:`crmsync.state.database.open_engine`),
and so does Alembic's version table.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, func, select, text

from crmsync.sdk.errors import StateError
from crmsync.state.database import writer

MIGRATIONS = Path(__file__).with_name("migrations")

# Any constant will do, as long as every crmsync process uses the same one.
_ADVISORY_LOCK_KEY = 0x63726D73796E63  # "crmsync"


def upgrade(engine: Engine, schema: str | None = None) -> None:
    """Apply every migration the database lacks, in one transaction.

    Concurrent callers are safe: PostgreSQL ones queue on an advisory lock, SQLite ones
    on the database's write lock, and each finds the work done by the one before.

    Args:
        engine: the store's engine.
        schema: the PostgreSQL schema to create first if missing; the engine's
            ``search_path`` must name it.

    Raises:
        StateError: the database was migrated by a newer crmsync.
    """
    script = ScriptDirectory(str(MIGRATIONS))
    with writer(engine).begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(select(func.pg_advisory_xact_lock(_ADVISORY_LOCK_KEY)))
            if schema is not None:
                quoted = connection.dialect.identifier_preparer.quote_schema(schema)
                connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {quoted}"))
        current = _revision(connection)
        if current == script.get_current_head():
            return
        if current is not None and current not in _known(script):
            raise StateError(
                f"the state store is at revision {current}, which this crmsync does not know",
                hint="it was upgraded by a newer crmsync; upgrade this one too",
            )
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at; None when it has no tables yet."""
    with engine.connect() as connection:
        return _revision(connection)


def _revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _known(script: ScriptDirectory) -> set[str]:
    return {revision.revision for revision in script.walk_revisions()}
