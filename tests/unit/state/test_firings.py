"""Scheduled firings: claimed once across processes, recorded, and settled when abandoned."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select

from crmsync.sdk.redact import REDACTOR
from crmsync.state import (
    BatchCommit,
    FailureWrite,
    FiringOutcome,
    RunCounts,
    RunOutcome,
    StateStore,
)
from crmsync.state.database import open_engine
from crmsync.state.locks import this_host
from crmsync.state.schema import schedulers
from crmsync.testing.clock import FakeClock

from .helpers import LEASE, SYNC

if TYPE_CHECKING:
    from tests.conftest import StateDatabase

T1 = datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
T2 = T1 + timedelta(minutes=15)


def test_a_firing_is_claimed_once_and_each_later_claimant_is_counted(store: StateStore) -> None:
    claims = [store.claim_firing(SYNC, T1) for _ in range(3)]

    [firing] = store.firings(SYNC)
    assert claims == [True, False, False]
    assert (firing.fire_time, firing.outcome, firing.contenders) == (
        T1,
        FiringOutcome.CLAIMED,
        3,
    )
    assert (firing.host, firing.finished_at, firing.run_id) == (this_host(), None, None)


def test_racing_schedulers_claim_each_firing_once(
    state_url: StateDatabase, store: StateStore, clock: FakeClock
) -> None:
    racers = [state_url.connect(clock) for _ in range(4)]
    won: list[datetime] = []
    rounds = [T1 + timedelta(seconds=n) for n in range(5)]
    start = threading.Barrier(len(racers))

    def race(racer: StateStore) -> None:
        for fire_time in rounds:
            start.wait()
            if racer.claim_firing(SYNC, fire_time):
                won.append(fire_time)

    threads = [threading.Thread(target=race, args=(racer,)) for racer in racers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for racer in racers:
        racer.close()

    assert sorted(won) == rounds
    assert {f.contenders for f in store.firings(SYNC)} == {len(racers)}


def test_finishing_records_the_outcome_with_secrets_masked(
    store: StateStore, clock: FakeClock
) -> None:
    REDACTOR.add("sk_firing_secret_123")
    store.claim_firing(SYNC, T1)
    clock.advance(2)

    store.finish_firing(
        SYNC, T1, FiringOutcome.LOCKED, message="held by run with sk_firing_secret_123"
    )

    [firing] = store.firings(SYNC)
    assert (firing.outcome, firing.message) == (FiringOutcome.LOCKED, "held by run with ***")
    assert firing.finished_at == clock.now()
    with pytest.raises(ValueError, match="other than 'claimed'"):
        store.finish_firing(SYNC, T1, FiringOutcome.CLAIMED)


def test_a_run_started_by_a_firing_is_shown_with_its_fire_time(store: StateStore) -> None:
    store.claim_firing(SYNC, T1)
    lease = store.acquire(SYNC, lease=LEASE)
    run_id = store.start_run(lease, "run")
    store.finish_run(run_id, RunOutcome.SUCCEEDED, RunCounts())
    store.finish_firing(SYNC, T1, FiringOutcome.RAN, run_id=run_id)
    manual = store.start_run(lease, "run")

    runs = {run.id: run.fire_time for run in store.runs(SYNC)}
    [status] = store.status()

    assert runs == {run_id: T1, manual: None}
    assert status.last_firing is not None
    assert (status.last_firing.fire_time, status.last_firing.run_id) == (T1, run_id)


def test_status_shows_the_newest_firing_of_each_sync(store: StateStore) -> None:
    store.claim_firing(SYNC, T2)
    store.claim_firing(SYNC, T1)
    store.claim_firing("other", T1)

    newest = {s.sync: s.last_firing.fire_time for s in store.status() if s.last_firing}

    assert newest == {SYNC: T2, "other": T1}
    assert [f.fire_time for f in store.firings(limit=2)] == [T2, T1]


def test_a_firing_that_ran_settles_an_earlier_claim_whose_scheduler_died(
    state_url: StateDatabase, store: StateStore, clock: FakeClock
) -> None:
    store.claim_firing(SYNC, T1)
    dead_run = store.start_run(store.acquire(SYNC, lease=LEASE), "run")  # then it died
    clock.advance(LEASE.total_seconds() + 1)

    with state_url.connect(clock) as survivor:
        assert survivor.claim_firing(SYNC, T2)
        lease = survivor.acquire(SYNC, lease=LEASE)  # takes the expired lock over
        run_id = survivor.start_run(lease, "run")
        survivor.finish_firing(SYNC, T2, FiringOutcome.RAN, run_id=run_id)

    settled = {f.fire_time: (f.outcome, f.run_id) for f in store.firings(SYNC)}
    assert settled == {
        T1: (FiringOutcome.INTERRUPTED, dead_run),
        T2: (FiringOutcome.RAN, run_id),
    }


def test_settling_names_only_a_run_the_dead_scheduler_left_interrupted(
    store: StateStore,
) -> None:
    store.claim_firing(SYNC, T1)  # claimed, then stalled before its run started
    store.claim_firing(SYNC, T2)
    lease = store.acquire(SYNC, lease=LEASE)
    run_id = store.start_run(lease, "run")
    store.finish_run(run_id, RunOutcome.SUCCEEDED, RunCounts())
    store.finish_firing(SYNC, T2, FiringOutcome.RAN, run_id=run_id)

    settled = {f.fire_time: (f.outcome, f.run_id) for f in store.firings(SYNC)}
    assert settled == {T1: (FiringOutcome.INTERRUPTED, None), T2: (FiringOutcome.RAN, run_id)}


def test_a_firing_that_was_skipped_settles_nothing(store: StateStore) -> None:
    store.claim_firing(SYNC, T1)
    store.claim_firing(SYNC, T2)

    store.finish_firing(SYNC, T2, FiringOutcome.LOCKED, message="still running")

    outcomes = {f.fire_time: f.outcome for f in store.firings(SYNC)}
    assert outcomes == {T1: FiringOutcome.CLAIMED, T2: FiringOutcome.LOCKED}


def test_heartbeats_show_live_schedulers_and_forget_gone_ones(
    store: StateStore, clock: FakeClock
) -> None:
    store.beat("first", ttl=timedelta(seconds=45))
    clock.advance(30)
    store.beat("second", ttl=timedelta(seconds=45))
    store.beat("first", ttl=timedelta(seconds=45))
    both = store.schedulers()
    clock.advance(60)
    store.beat("second", ttl=timedelta(seconds=45))
    store.forget_scheduler("second")

    assert [(s.id, s.started_at, s.heartbeat_at) for s in both] == [
        ("first", T1, T1 + timedelta(seconds=30)),
        ("second", T1 + timedelta(seconds=30), T1 + timedelta(seconds=30)),
    ]
    assert store.schedulers() == []


def test_an_expired_heartbeat_no_longer_counts_and_is_dropped_by_the_next(
    state_url: StateDatabase, store: StateStore, clock: FakeClock
) -> None:
    store.beat("stalled", ttl=timedelta(seconds=45))
    clock.advance(45)
    gone = store.schedulers()
    store.beat("next", ttl=timedelta(seconds=45))

    engine = open_engine(state_url.url, state_url.schema)
    try:
        with engine.connect() as connection:
            kept = connection.execute(select(schedulers.c.id)).scalars().all()
    finally:
        engine.dispose()
    assert gone == []
    assert kept == ["next"]


def test_failure_count_includes_parked_records(store: StateStore) -> None:
    lease = store.acquire(SYNC, lease=LEASE)
    run_id = store.start_run(lease, "run")
    failures = [FailureWrite(f"src-{n}", "bad email") for n in range(3)]
    store.commit(lease, run_id, BatchCommit(failures=failures), max_attempts=1)
    store.commit(lease, run_id, BatchCommit(failures=[FailureWrite("src-9", "x")]))

    assert store.failure_count(SYNC) == 4
    assert store.failure_count("never-ran") == 0
