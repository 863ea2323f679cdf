"""Upgrading a store created by an older crmsync: its data survives, the new tables appear."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, insert, inspect

from crmsync.sdk.records import Cursor
from crmsync.state import FiringOutcome, LinkStatus, RunOutcome
from crmsync.state.database import open_engine, writer
from crmsync.state.migrate import MIGRATIONS, current_revision
from crmsync.state.schema import cursors, failures, links, runs, syncs
from crmsync.testing.clock import FakeClock

if TYPE_CHECKING:
    from tests.conftest import StateDatabase

AT = datetime(2026, 1, 1, tzinfo=UTC)


def _migrate_to(engine: Engine, revision: str) -> None:
    """Bring an empty database to ``revision`` only, as an older crmsync left it."""
    with writer(engine).begin() as connection:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def _fill_as_0001(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(insert(syncs).values(id=1, name="contacts"))
        connection.execute(insert(cursors).values(sync_id=1, updated_at=AT, record_id="7"))
        connection.execute(
            insert(links).values(
                sync_id=1,
                source_id="7",
                target_id="t-7",
                fingerprint="abc",
                field_hashes={"email": "e1"},
                status="linked",
                updated_at=AT,
            )
        )
        connection.execute(insert(runs).values(_OLD_RUN))
        connection.execute(insert(failures).values(_OLD_FAILURE))


_OLD_RUN = {
    "id": 1,
    "sync_id": 1,
    "kind": "run",
    "outcome": "partial",
    "started_at": AT,
    "finished_at": AT + timedelta(seconds=3),
    **dict.fromkeys(("read", "created", "updated", "unchanged", "archived", "skipped"), 0),
    "failed": 1,
    "api_calls": 4,
    "duration_ms": 3000,
    "host": "old-host",
    "pid": 42,
    "lease_token": "t",
}
_OLD_FAILURE = {
    "sync_id": 1,
    "source_id": "8",
    "reason": "bad email",
    "code": "MAPPING_ERROR",
    "attempts": 1,
    "first_seen": AT,
    "last_seen": AT,
    "last_run_id": 1,
    "parked": False,
    "record": {"id": "8"},
}


def test_a_0001_store_with_data_upgrades_and_keeps_it(state_url: StateDatabase) -> None:
    engine = open_engine(state_url.url, state_url.schema)
    try:
        if state_url.schema is not None:
            with engine.begin() as connection:
                connection.exec_driver_sql(f'CREATE SCHEMA "{state_url.schema}"')
        _migrate_to(engine, "0001")
        assert "firings" not in inspect(engine).get_table_names()
        _fill_as_0001(engine)
    finally:
        engine.dispose()

    with state_url.connect(FakeClock()) as store:  # opening upgrades to the newest revision
        [status] = store.status()
        [run] = store.runs("contacts")
        [failure] = store.failures("contacts")
        link = store.links("contacts", ["7"])["7"]
        assert store.claim_firing("contacts", AT)
        store.finish_firing("contacts", AT, FiringOutcome.RAN, run_id=1)
        fired = store.runs("contacts")[0].fire_time

    assert _revision(state_url) == "0002"
    assert status.cursor == Cursor(AT, "7")
    assert (status.links, status.failures, status.last_firing) == (1, 1, None)
    assert (run.outcome, run.counts.api_calls, run.host, run.fire_time) == (
        RunOutcome.PARTIAL,
        4,
        "old-host",
        None,
    )
    assert (failure.reason, failure.record) == ("bad email", {"id": "8"})
    assert (link.target_id, dict(link.field_hashes), link.status) == (
        "t-7",
        {"email": "e1"},
        LinkStatus.LINKED,
    )
    assert fired == AT


def _revision(state_url: StateDatabase) -> str | None:
    engine = open_engine(state_url.url, state_url.schema)
    try:
        return current_revision(engine)
    finally:
        engine.dispose()
