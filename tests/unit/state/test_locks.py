"""The per-sync lock: one holder at a time, taken over when the holder is gone, fenced."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from typing import TYPE_CHECKING

import pytest

from crmsync.sdk.errors import StateError, SyncLockedError
from crmsync.state import BatchCommit, RunOutcome, StateStore
from crmsync.state.locks import this_host
from crmsync.testing.clock import FakeClock

from .helpers import LEASE, SYNC, link

if TYPE_CHECKING:
    from tests.conftest import StateDatabase

# Takes the lock for ten years, starts a run and dies by SIGKILL, as a crashed run would.
_DIE_HOLDING_THE_LOCK = """
import os, signal, socket, sys
from datetime import timedelta
from crmsync.state import StateStore
url, schema, sync, host = sys.argv[1:]
if host:
    socket.gethostname = lambda: host
store = StateStore.connect(url, schema=schema or None)
store.start_run(store.acquire(sync, lease=timedelta(days=3650), owner="doomed"), "run")
os.kill(os.getpid(), signal.SIGKILL)
"""


def _die_holding_the_lock(state_url: StateDatabase, *, host: str = "") -> None:
    arguments = [state_url.url, state_url.schema or "", SYNC, host]
    child = subprocess.run(
        [sys.executable, "-c", _DIE_HOLDING_THE_LOCK, *arguments],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr


def test_a_second_acquire_is_refused_naming_the_holder(
    state_url: StateDatabase, store: StateStore, clock: FakeClock
) -> None:
    store.acquire(SYNC, lease=LEASE, owner="scheduler")

    with state_url.connect(clock) as rival, pytest.raises(SyncLockedError) as refused:
        rival.acquire(SYNC, lease=LEASE)

    assert refused.value.message == (
        f"sync 'contacts' is already running (scheduler: pid {os.getpid()} "
        f"on host {this_host()}, since 2026-01-01T00:00:00Z)"
    )
    assert refused.value.hint == (
        "wait for it to finish; if it has stopped, its lock expires at 2026-01-01T00:05:00Z"
    )


def test_an_expired_lease_is_taken_over_and_its_holder_fenced_off(
    state_url: StateDatabase, store: StateStore, clock: FakeClock
) -> None:
    stalled = store.acquire(SYNC, lease=LEASE)
    stalled_run = store.start_run(stalled, "run")
    clock.advance(LEASE.total_seconds())

    with state_url.connect(clock) as rival:
        rival.acquire(SYNC, lease=LEASE)

    [run] = store.runs(SYNC)
    assert (run.id, run.outcome, run.finished_at) == (
        stalled_run,
        RunOutcome.INTERRUPTED,
        clock.now(),
    )
    with pytest.raises(StateError, match="lost the lock on sync 'contacts'"):
        store.renew(stalled)
    with pytest.raises(StateError, match="lost the lock"):
        store.start_run(stalled, "run")
    with pytest.raises(StateError, match="lost the lock"):
        store.commit(stalled, stalled_run, BatchCommit(links=[link(1)]))


def test_a_lease_still_running_is_not_taken_over(
    state_url: StateDatabase, store: StateStore, clock: FakeClock
) -> None:
    store.acquire(SYNC, lease=LEASE)
    clock.advance(LEASE.total_seconds() - 0.001)

    with state_url.connect(clock) as rival, pytest.raises(SyncLockedError):
        rival.acquire(SYNC, lease=LEASE)


def test_the_lock_of_a_killed_process_on_this_host_is_taken_over_at_once(
    state_url: StateDatabase, store: StateStore
) -> None:
    _die_holding_the_lock(state_url)

    store.acquire(SYNC, lease=LEASE)

    [run] = store.runs(SYNC)
    assert run.outcome is RunOutcome.INTERRUPTED
    assert run.pid != os.getpid()


def test_the_lock_of_a_process_on_another_host_waits_for_its_lease(
    state_url: StateDatabase, store: StateStore
) -> None:
    _die_holding_the_lock(state_url, host="elsewhere")

    with pytest.raises(SyncLockedError, match=r"doomed: pid \d+ on host elsewhere"):
        store.acquire(SYNC, lease=LEASE)

    [run] = store.runs(SYNC)
    assert run.outcome is RunOutcome.RUNNING


def _race(stores: tuple[StateStore, StateStore], sync: str) -> list[str]:
    """Let both stores acquire ``sync`` at the same moment; how each fared, sorted."""
    start = threading.Barrier(len(stores))
    outcomes: list[str] = []

    def acquire(store: StateStore) -> None:
        start.wait()
        try:
            store.acquire(sync, lease=LEASE)
        except SyncLockedError:
            outcomes.append("refused")
        else:
            outcomes.append("won")

    racers = [threading.Thread(target=acquire, args=(store,)) for store in stores]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join()
    return sorted(outcomes)


def test_of_two_racing_acquires_exactly_one_wins(
    state_url: StateDatabase, clock: FakeClock
) -> None:
    with state_url.connect(clock) as first, state_url.connect(clock) as second:
        for round_ in range(5):
            assert _race((first, second), f"race-{round_}") == ["refused", "won"]


def test_a_released_lock_can_be_taken_and_a_lost_one_released_harmlessly(
    state_url: StateDatabase, store: StateStore, clock: FakeClock
) -> None:
    store.release(store.acquire(SYNC, lease=LEASE))
    stalled = store.acquire(SYNC, lease=LEASE)
    clock.advance(LEASE.total_seconds())
    with state_url.connect(clock) as rival:
        held = rival.acquire(SYNC, lease=LEASE)

        store.release(stalled)

        lock = rival.status()[0].lock
        assert lock is not None
        assert lock.expires_at == held.expires_at
