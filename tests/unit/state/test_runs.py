"""Runs, status, audit and reset: what the CLI reads back."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest

from crmsync.sdk.errors import StateError, SyncLockedError
from crmsync.sdk.records import Cursor
from crmsync.state import (
    AuditAction,
    AuditEntry,
    BatchCommit,
    FailureWrite,
    Lease,
    RunCounts,
    RunOutcome,
    StateStore,
)
from crmsync.state.locks import this_host
from crmsync.testing.clock import FakeClock

from .helpers import LEASE, SYNC, link

CURSOR = Cursor(datetime(2026, 2, 1, 12, 0, 0, 5, tzinfo=UTC), "src-2")


def _run(store: StateStore, sync: str, outcome: RunOutcome, clock: FakeClock) -> int:
    lease = store.acquire(sync, lease=LEASE)
    run_id = store.start_run(lease, "run")
    clock.advance(1.5)
    store.finish_run(run_id, outcome, RunCounts(read=3, created=2, failed=1), f"{outcome} run")
    store.release(lease)
    return run_id


def test_runs_are_listed_newest_first_with_what_they_did(
    store: StateStore, clock: FakeClock
) -> None:
    started = clock.now()
    first = _run(store, SYNC, RunOutcome.SUCCEEDED, clock)
    second = _run(store, "deals", RunOutcome.FAILED, clock)
    third = _run(store, SYNC, RunOutcome.PARTIAL, clock)

    assert [run.id for run in store.runs()] == [third, second, first]
    assert [run.id for run in store.runs(limit=2)] == [third, second]
    assert [run.id for run in store.runs(SYNC)] == [third, first]
    assert store.runs("never-ran") == []
    oldest = store.runs(SYNC)[-1]
    assert (oldest.sync, oldest.kind, oldest.outcome, oldest.message) == (
        SYNC,
        "run",
        RunOutcome.SUCCEEDED,
        "succeeded run",
    )
    assert (oldest.started_at, oldest.finished_at, oldest.duration_ms) == (
        started,
        started + timedelta(seconds=1.5),
        1500,
    )
    assert oldest.counts == RunCounts(read=3, created=2, failed=1)
    assert (oldest.host, oldest.pid) == (this_host(), os.getpid())


def test_finishing_needs_a_known_run_and_a_final_outcome(store: StateStore, run_id: int) -> None:
    with pytest.raises(StateError, match="no run 999"):
        store.finish_run(999, RunOutcome.SUCCEEDED, RunCounts())
    with pytest.raises(ValueError, match="other than 'running'"):
        store.finish_run(run_id, RunOutcome.RUNNING, RunCounts())
    with pytest.raises(ValueError, match="'done' is not a valid RunOutcome"):
        store.finish_run(run_id, "done", RunCounts())


def test_status_tells_where_each_sync_stands(store: StateStore, clock: FakeClock) -> None:
    _run(store, "deals", RunOutcome.SUCCEEDED, clock)
    completed_at = clock.now()
    _run(store, "deals", RunOutcome.FAILED, clock)
    lease = store.acquire(SYNC, lease=LEASE, owner="cli")
    run_id = store.start_run(lease, "full-refresh")
    store.commit(
        lease,
        run_id,
        BatchCommit(
            links=[link(1), link(2)],
            failures=[FailureWrite("src-3", "bad")],
            cursor=CURSOR,
        ),
    )

    contacts, deals = store.status()

    assert (contacts.sync, contacts.cursor, contacts.links) == (SYNC, CURSOR, 2)
    assert (contacts.failures, contacts.parked, contacts.last_completed) == (1, 0, None)
    assert contacts.last_run is not None
    assert (contacts.last_run.id, contacts.last_run.outcome) == (run_id, RunOutcome.RUNNING)
    assert contacts.lock is not None
    assert (contacts.lock.owner, contacts.lock.expires_at) == ("cli", lease.expires_at)
    assert (deals.sync, deals.cursor, deals.links, deals.lock) == ("deals", None, 0, None)
    assert deals.last_run is not None
    assert deals.last_run.outcome is RunOutcome.FAILED
    assert deals.last_completed == completed_at


def test_audit_names_the_changed_fields_newest_first(
    store: StateStore, clock: FakeClock, lease: Lease, run_id: int
) -> None:
    created = AuditEntry("src-1", "tgt-1", AuditAction.CREATED, ("email", "name"))
    store.commit(lease, run_id, BatchCommit(audit=[created]))
    clock.advance(10)
    entries = [
        AuditEntry("src-1", "tgt-1", AuditAction.UPDATED, ("email",)),
        AuditEntry("src-2", "tgt-2", AuditAction.LINKED),
    ]
    store.commit(lease, run_id, BatchCommit(audit=entries))

    rows = store.audit(SYNC)

    assert [(r.source_id, r.target_id, r.action, r.fields) for r in rows] == [
        ("src-2", "tgt-2", AuditAction.LINKED, ()),
        ("src-1", "tgt-1", AuditAction.UPDATED, ("email",)),
        ("src-1", "tgt-1", AuditAction.CREATED, ("email", "name")),
    ]
    assert {(r.sync, r.run_id) for r in rows} == {(SYNC, run_id)}
    assert [r.at for r in rows] == [clock.now(), clock.now(), clock.now() - timedelta(seconds=10)]
    assert [r.action for r in store.audit(SYNC, source_id="src-1", limit=1)] == [
        AuditAction.UPDATED
    ]
    assert store.audit("never-ran") == []


def test_reset_forgets_cursor_links_and_failures_but_keeps_history(
    store: StateStore, lease: Lease, run_id: int
) -> None:
    entry = AuditEntry("src-1", "tgt-1", AuditAction.CREATED, ("email",))
    batch = BatchCommit(
        links=[link(1)], failures=[FailureWrite("src-2", "bad")], audit=[entry], cursor=CURSOR
    )
    store.commit(lease, run_id, batch)
    store.finish_run(run_id, RunOutcome.PARTIAL, RunCounts())

    with pytest.raises(SyncLockedError):
        store.reset(SYNC)
    store.release(lease)
    store.reset(SYNC)
    store.reset("never-ran")

    assert store.cursor(SYNC) is None
    assert store.links(SYNC, ["src-1"]) == {}
    assert store.failures(SYNC) == []
    assert [run.id for run in store.runs(SYNC)] == [run_id]
    assert [row.source_id for row in store.audit(SYNC)] == ["src-1"]
