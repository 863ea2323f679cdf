"""Fixtures shared by every test folder: a fake clock and state store databases.

State store tests run twice, on a SQLite file and on PostgreSQL. PostgreSQL tests use a
fresh schema each (dropped afterwards) on the server named by ``CRMSYNC_TEST_POSTGRES_URL``;
they fail when it cannot be reached, unless ``CRMSYNC_TEST_POSTGRES=skip`` is set.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.exc import OperationalError

from crmsync.state import StateStore
from crmsync.testing.clock import FakeClock

POSTGRES_URL = os.environ.get(
    "CRMSYNC_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
_START_POSTGRES = (
    "start it with `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`, "
    "point CRMSYNC_TEST_POSTGRES_URL at another server, "
    "or set CRMSYNC_TEST_POSTGRES=skip to skip the PostgreSQL tests"
)


@dataclass(frozen=True)
class StateDatabase:
    """Where a test's state store lives: a URL, and on PostgreSQL the schema to use."""

    url: str
    schema: str | None = None

    @property
    def dialect(self) -> str:
        return make_url(self.url).get_backend_name()

    def connect(self, clock: FakeClock, **options: Any) -> StateStore:
        return StateStore.connect(self.url, schema=self.schema, clock=clock, **options)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[Engine]:
    """One engine per session for creating and dropping the tests' schemas."""
    if os.environ.get("CRMSYNC_TEST_POSTGRES") == "skip":
        pytest.skip("CRMSYNC_TEST_POSTGRES=skip")
    engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect():
            pass
    except OperationalError as error:
        where = make_url(POSTGRES_URL).render_as_string(hide_password=True)
        reason = " ".join(str(error.orig).split())
        message = f"PostgreSQL at {where} is unreachable ({reason}); {_START_POSTGRES}"
        pytest.fail(message, pytrace=False)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def state_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StateDatabase]:
    """A state store database nobody has used yet, on each supported database."""
    if request.param == "sqlite":
        yield StateDatabase(f"sqlite:///{tmp_path / 'state.db'}")
        return
    admin: Engine = request.getfixturevalue("postgres_admin")
    schema = f"crmsync_test_{uuid.uuid4().hex[:12]}"
    yield StateDatabase(POSTGRES_URL, schema)
    with admin.connect() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


@pytest.fixture
def store(state_url: StateDatabase, clock: FakeClock) -> Iterator[StateStore]:
    """A migrated, empty state store on the fake clock."""
    opened = state_url.connect(clock)
    yield opened
    opened.close()
