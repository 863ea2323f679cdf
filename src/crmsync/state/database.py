"""Opening the store's database: URL checks, per-dialect set-up, and errors without passwords."""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection, Dialect, Engine, Table, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from crmsync.sdk.errors import StateError

# Set on connections that will write, so that SQLite takes its write lock at BEGIN: a
# transaction that read first and must upgrade to writing fails at once when another
# connection wrote in between, instead of waiting for the lock.
_IMMEDIATE = "crmsync_begin_immediate"
_SQLITE_BUSY_TIMEOUT_MS = 30_000
_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_URL_HINT = "use sqlite:///path/to/state.db or postgresql+psycopg://user@host:5432/database"


def open_engine(url: str, schema: str | None = None) -> Engine:
    """An engine for ``url`` set up for the store.

    Raises:
        StateError: the URL is malformed, names an unsupported database or a driver that
            is not installed, or gives a schema for SQLite.
    """
    parsed = _parse(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if schema is not None:
            raise StateError("a state store schema can only be set for PostgreSQL")
        return _sqlite_engine(parsed)
    if backend == "postgresql":
        return _postgresql_engine(parsed, schema)
    raise StateError(f"unsupported state store database {describe(parsed)}", hint=_URL_HINT)


def describe(url: URL) -> str:
    """``url`` fit to show: its password masked."""
    return url.render_as_string(hide_password=True)


def writer(engine: Engine) -> Engine:
    """``engine``, with transactions that will write: on SQLite they lock at BEGIN."""
    return engine.execution_options(**{_IMMEDIATE: True})


@contextmanager
def translate_errors(url: URL, doing: str) -> Iterator[None]:
    """Turn database errors into a :class:`StateError` that names the store, not its password.

    Args:
        url: the store's URL.
        doing: what failed, e.g. ``"cannot open the state store"``.
    """
    try:
        yield
    except DBAPIError as error:
        reason = " ".join(str(error.orig).split()) or type(error.orig).__name__
        if url.password:
            reason = reason.replace(str(url.password), "***")
        raise StateError(f"{doing} at {describe(url)}: {reason}") from error


def dialect_insert(dialect: Dialect, table: Table) -> sqlite.Insert | postgresql.Insert:
    """An INSERT for ``table`` that supports ``ON CONFLICT`` on the store's databases."""
    if dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def _parse(url: str) -> URL:
    try:
        return sa.make_url(url)
    except ArgumentError:
        # The text may hold a password, so it is not repeated.
        raise StateError("the state store URL is not a database URL", hint=_URL_HINT) from None


def _create(url: URL, **options: Any) -> Engine:
    try:
        return sa.create_engine(url, **options)
    except (ArgumentError, NoSuchModuleError, ImportError) as error:
        raise StateError(
            f"cannot open the state store at {describe(url)}: {error}",
            hint="for PostgreSQL, install crmsync[postgres] and use postgresql+psycopg://",
        ) from None


def _sqlite_engine(url: URL) -> Engine:
    if url.database and url.database != ":memory:" and not url.query.get("uri"):
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = _create(url)
    event.listen(engine, "connect", _configure_sqlite)
    event.listen(engine, "begin", _begin_sqlite)
    return engine


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin (see
    # _begin_sqlite); the module would otherwise leave SELECTs and DDL outside them.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_TIMEOUT_MS}")
    _enable_wal(cursor)
    # Durable at checkpoints: a power cut may lose the last commits, a crash cannot.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _enable_wal(cursor: sqlite3.Cursor) -> None:
    """Switch to write-ahead logging, so that readers and the writer do not block each other.

    The switch (made once per database file) takes a lock without waiting for it, so
    connections racing to open a new database retry it until the busy timeout.
    """
    deadline = time.monotonic() + _SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode != sqlite3.SQLITE_BUSY or time.monotonic() > deadline:
                raise
            time.sleep(0.005)


def _begin_sqlite(connection: Connection) -> None:
    immediate = connection.get_execution_options().get(_IMMEDIATE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _postgresql_engine(url: URL, schema: str | None) -> Engine:
    if schema is None:
        return _create(url, pool_pre_ping=True)
    if not _SCHEMA_NAME.fullmatch(schema):
        raise StateError(
            f"invalid state store schema {schema!r}",
            hint="use lower-case letters, digits and underscores (at most 63), e.g. crmsync",
        )
    return _create(url, pool_pre_ping=True, connect_args={"options": f"-csearch_path={schema}"})
