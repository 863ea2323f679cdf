"""Migrations: they build the tables from nothing, match the metadata, and refuse the unknown."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from crmsync.sdk.errors import StateError
from crmsync.state.database import open_engine
from crmsync.state.migrate import MIGRATIONS, current_revision, upgrade
from crmsync.state.schema import metadata
from crmsync.testing.clock import FakeClock

if TYPE_CHECKING:
    from tests.conftest import StateDatabase


def test_upgrade_builds_every_table_from_an_empty_database(state_url: StateDatabase) -> None:
    engine = open_engine(state_url.url, state_url.schema)
    try:
        if state_url.schema is None:
            assert current_revision(engine) is None
        upgrade(engine, state_url.schema)
        assert current_revision(engine) == "0002"
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert tables == set(metadata.tables) | {"alembic_version"}


def test_migrated_schema_equals_the_metadata(state_url: StateDatabase) -> None:
    engine = open_engine(state_url.url, state_url.schema)
    try:
        upgrade(engine, state_url.schema)
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_concurrent_upgrades_of_an_empty_database_both_succeed(state_url: StateDatabase) -> None:
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def open_store() -> None:
        start.wait()
        try:
            state_url.connect(FakeClock()).close()
        except BaseException as error:
            errors.append(error)

    workers = [threading.Thread(target=open_store) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []


def test_a_database_migrated_by_a_newer_crmsync_is_refused(state_url: StateDatabase) -> None:
    state_url.connect(FakeClock()).close()
    engine = open_engine(state_url.url, state_url.schema)
    try:
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
        with pytest.raises(StateError, match="revision 9999"):
            upgrade(engine, state_url.schema)
    finally:
        engine.dispose()


def test_the_migrations_ship_inside_the_package() -> None:
    assert (MIGRATIONS / "env.py").is_file()
    assert (MIGRATIONS / "versions" / "0001_initial.py").is_file()
