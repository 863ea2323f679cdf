"""Committing a batch: everything or nothing, and only while the lease holds the lock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING

import pytest

from crmsync.sdk.errors import StateError
from crmsync.sdk.records import Cursor
from crmsync.state import (
    AuditAction,
    AuditEntry,
    AuditRow,
    BatchCommit,
    Failure,
    FailureWrite,
    Lease,
    Link,
    StateStore,
)
from crmsync.testing.clock import FakeClock

from .helpers import LEASE, SYNC, link

if TYPE_CHECKING:
    from tests.conftest import StateDatabase

EVERYTHING = BatchCommit(
    links=[link(1), link(2)],
    failures=[FailureWrite("src-3", "email is required", code="VALIDATION")],
    audit=[AuditEntry("src-1", "tgt-1", AuditAction.CREATED, ("email", "name"))],
    cursor=Cursor(datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=UTC), "src-3"),
)


def _stored(
    store: StateStore,
) -> tuple[Cursor | None, dict[str, Link], list[Failure], list[AuditRow]]:
    """Everything a batch can change for ``SYNC``."""
    return (
        store.cursor(SYNC),
        store.links(SYNC, ["src-1", "src-2"]),
        store.failures(SYNC),
        store.audit(SYNC),
    )


def test_a_commit_stores_links_failures_audit_and_cursor(
    store: StateStore, lease: Lease, run_id: int
) -> None:
    store.commit(lease, run_id, EVERYTHING)

    cursor, links, failures, audit = _stored(store)
    assert cursor == EVERYTHING.cursor
    assert links == {"src-1": link(1), "src-2": link(2)}
    assert [(f.source_id, f.reason, f.code) for f in failures] == [
        ("src-3", "email is required", "VALIDATION")
    ]
    assert [(a.run_id, a.source_id, a.fields) for a in audit] == [
        (run_id, "src-1", ("email", "name"))
    ]


def test_the_cursor_round_trips_to_the_microsecond_in_utc(
    store: StateStore, lease: Lease, run_id: int
) -> None:
    assert store.cursor(SYNC) is None
    india = timezone(timedelta(hours=5, minutes=30))
    written = Cursor(datetime(2026, 7, 1, 0, 15, 0, 123456, tzinfo=india), "rec-9")

    store.commit(lease, run_id, BatchCommit(cursor=written))
    store.commit(lease, run_id, BatchCommit(links=[link(1)]))  # no cursor: keeps the last

    stored = store.cursor(SYNC)
    assert stored == written
    assert stored is not None
    assert stored.updated_at.tzinfo is UTC
    assert stored.updated_at == datetime(2026, 6, 30, 18, 45, 0, 123456, tzinfo=UTC)


def test_a_lease_taken_over_commits_nothing(
    state_url: StateDatabase, store: StateStore, clock: FakeClock, lease: Lease, run_id: int
) -> None:
    clock.advance(LEASE.total_seconds() + 1)
    with state_url.connect(clock) as rival:
        rival.acquire(SYNC, lease=LEASE)

    with pytest.raises(StateError, match="lost the lock on sync 'contacts'"):
        store.commit(lease, run_id, EVERYTHING)

    assert _stored(store) == (None, {}, [], [])


def test_a_commit_that_fails_halfway_leaves_nothing_behind(
    store: StateStore, lease: Lease, run_id: int
) -> None:
    before = store.status()[0].lock
    unknown_run = run_id + 1000  # the failures and audit rows refer to a run that is not there

    with pytest.raises(StateError, match="the state store failed"):
        store.commit(lease, unknown_run, EVERYTHING)

    assert _stored(store) == (None, {}, [], [])
    assert store.status()[0].lock == before  # the lease was not extended either


def test_commits_and_renewals_extend_the_lease(
    store: StateStore, clock: FakeClock, lease: Lease, run_id: int
) -> None:
    clock.advance(200)
    store.commit(lease, run_id, BatchCommit(links=[link(1)]))
    lock = store.status()[0].lock
    assert lock is not None
    assert lock.expires_at == clock.now() + LEASE

    clock.advance(250)
    renewed = store.renew(lease)
    assert renewed.expires_at == clock.now() + LEASE
    lock = store.status()[0].lock
    assert lock is not None
    assert lock.expires_at == renewed.expires_at
