"""Failures: counted per record, parked after too many attempts, unparked, resolved."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from crmsync.state import BatchCommit, FailureWrite, Lease, StateStore
from crmsync.testing.clock import FakeClock

from .helpers import LEASE, SYNC

if TYPE_CHECKING:
    from tests.conftest import StateDatabase


@pytest.fixture
def store(state_url: StateDatabase, clock: FakeClock) -> Iterator[StateStore]:
    """A store that parks a record on its third failure."""
    with state_url.connect(clock, max_attempts=3) as opened:
        yield opened


def _fail(store: StateStore, lease: Lease, run_id: int, *failures: FailureWrite) -> None:
    store.commit(lease, run_id, BatchCommit(failures=failures))


def test_repeated_failures_count_attempts_and_park_at_the_limit(
    store: StateStore, clock: FakeClock, lease: Lease, run_id: int
) -> None:
    first_seen = clock.now()
    _fail(store, lease, run_id, FailureWrite("a", "timeout", record={"id": "a", "n": 1}))
    clock.advance(60)
    _fail(store, lease, run_id, FailureWrite("a", "still bad", code="E2"))
    [failure] = store.failures(SYNC)
    assert (failure.attempts, failure.parked, failure.reason, failure.code) == (
        2,
        False,
        "still bad",
        "E2",
    )
    assert failure.record == {"id": "a", "n": 1}  # a failure without a record keeps the last

    clock.advance(60)
    _fail(store, lease, run_id, FailureWrite("a", "third", record={"id": "a", "n": 3}))

    [failure] = store.failures(SYNC)
    assert (failure.sync, failure.attempts, failure.parked) == (SYNC, 3, True)
    assert (failure.first_seen, failure.last_seen) == (first_seen, clock.now())
    assert failure.record == {"id": "a", "n": 3}
    assert store.failures(SYNC, include_parked=False) == []


def test_a_sync_may_park_sooner_than_the_store_default(
    store: StateStore, lease: Lease, run_id: int
) -> None:
    batch = BatchCommit(failures=[FailureWrite("a", "bad")])
    store.commit(lease, run_id, batch, max_attempts=2)
    assert [f.parked for f in store.failures(SYNC)] == [False]

    store.commit(lease, run_id, batch, max_attempts=2)

    assert [(f.attempts, f.parked) for f in store.failures(SYNC)] == [(2, True)]


def test_unparking_gives_parked_records_a_fresh_set_of_attempts(
    store: StateStore, lease: Lease, run_id: int
) -> None:
    for _ in range(3):
        _fail(store, lease, run_id, FailureWrite("a", "bad"), FailureWrite("b", "bad"))
    _fail(store, lease, run_id, FailureWrite("c", "bad"))

    assert store.unpark(SYNC) == 2

    assert [(f.source_id, f.attempts, f.parked) for f in store.failures(SYNC)] == [
        ("a", 0, False),
        ("b", 0, False),
        ("c", 1, False),
    ]
    assert store.unpark(SYNC) == 0
    assert store.unpark("never-ran") == 0


def test_resolved_records_leave_the_failures(store: StateStore, lease: Lease, run_id: int) -> None:
    _fail(store, lease, run_id, FailureWrite("a", "bad"), FailureWrite("b", "bad"))

    store.commit(lease, run_id, BatchCommit(resolved=["a", "never-failed"]))

    assert [f.source_id for f in store.failures(SYNC)] == ["b"]


def test_failures_of_every_sync_are_listed_by_sync(
    store: StateStore, lease: Lease, run_id: int
) -> None:
    other = store.acquire("deals", lease=LEASE)
    _fail(store, other, store.start_run(other, "run"), FailureWrite("z", "bad"))
    _fail(store, lease, run_id, FailureWrite("y", "bad"))

    assert [(f.sync, f.source_id) for f in store.failures()] == [
        ("contacts", "y"),
        ("deals", "z"),
    ]
    assert store.failures("never-ran") == []


def test_credentials_in_a_reason_are_not_stored(
    store: StateStore, lease: Lease, run_id: int
) -> None:
    _fail(store, lease, run_id, FailureWrite("a", "401 for access_token=abc123def456 on GET"))

    [failure] = store.failures(SYNC)
    assert "abc123def456" not in failure.reason
    assert failure.reason.startswith("401 for access_token=***")
