"""A firing: claimed by one scheduler, run under the sync's lock, recorded, never overlapping."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from crmsync.scheduler.metrics import MISSED, TAKEN
from crmsync.state import FiringOutcome, RunOutcome
from crmsync.testing.clock import FakeClock
from crmsync.workspace import Workspace

from .conftest import GRACE, SYNC, Project, make_firer, open_workspace

FIRED = datetime(2026, 1, 1, tzinfo=UTC)  # the fake clock's start


def test_a_firing_runs_the_sync_and_records_its_run(workspace: Workspace) -> None:
    outcome = make_firer(workspace).fire(SYNC, FIRED)

    [firing] = workspace.store.firings(SYNC)
    [run] = workspace.store.runs(SYNC)
    assert outcome == FiringOutcome.RAN
    assert (firing.outcome, firing.run_id, firing.contenders) == (FiringOutcome.RAN, run.id, 1)
    assert (run.outcome, run.counts.created, run.fire_time) == (RunOutcome.SUCCEEDED, 2, FIRED)


def test_a_firing_claimed_by_another_scheduler_is_let_go(
    workspace: Workspace, project: Project, clock: FakeClock
) -> None:
    other = open_workspace(project, clock)
    try:
        first = make_firer(workspace).fire(SYNC, FIRED)
        second = make_firer(other).fire(SYNC, FIRED)
    finally:
        other.close()

    [firing] = workspace.store.firings(SYNC)
    assert (first, second) == (FiringOutcome.RAN, TAKEN)
    assert firing.contenders == 2
    assert len(workspace.store.runs(SYNC)) == 1


def test_fire_times_are_keyed_to_the_millisecond(workspace: Workspace) -> None:
    firer = make_firer(workspace)

    firer.fire(SYNC, FIRED + timedelta(microseconds=400))
    again = firer.fire(SYNC, FIRED - timedelta(microseconds=300))

    assert again == TAKEN
    assert [f.fire_time for f in workspace.store.firings(SYNC)] == [FIRED]


def test_a_firing_later_than_the_grace_is_missed_and_left_unclaimed(
    workspace: Workspace, clock: FakeClock
) -> None:
    firer = make_firer(workspace)
    clock.advance(GRACE.total_seconds() + 0.5)

    outcome = firer.fire(SYNC, FIRED)
    on_time = firer.fire(SYNC, FIRED + timedelta(seconds=1))

    assert (outcome, on_time) == (MISSED, FiringOutcome.RAN)
    assert [f.fire_time for f in workspace.store.firings(SYNC)] == [FIRED + timedelta(seconds=1)]


def test_a_stopping_scheduler_leaves_firings_to_the_others(workspace: Workspace) -> None:
    stop = threading.Event()
    stop.set()

    outcome = make_firer(workspace, stop=stop).fire(SYNC, FIRED)

    assert outcome is None
    assert workspace.store.firings(SYNC) == []


def test_a_firing_during_the_previous_run_is_skipped_not_queued(workspace: Workspace) -> None:
    store = workspace.store
    lease = store.acquire(SYNC, lease=timedelta(minutes=5), owner="cli")

    outcome = make_firer(workspace).fire(SYNC, FIRED)
    store.release(lease)

    [firing] = store.firings(SYNC)
    assert outcome == FiringOutcome.LOCKED
    assert firing.outcome == FiringOutcome.LOCKED
    assert firing.message is not None
    assert firing.message.startswith(f"sync '{SYNC}' is already running (cli: pid ")
    assert store.runs(SYNC) == []


def test_a_sync_that_cannot_run_is_recorded_as_an_error(
    workspace: Workspace, project: Project
) -> None:
    (project.folder / "people.yaml").unlink()

    outcome = make_firer(workspace).fire(SYNC, FIRED)

    [firing] = workspace.store.firings(SYNC)
    assert outcome == FiringOutcome.ERROR
    assert firing.outcome == FiringOutcome.ERROR
    assert firing.message is not None
    assert "field map 'people.yaml' does not exist" in firing.message
