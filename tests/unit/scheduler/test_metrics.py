"""What /metrics exposes: this process's counters, and gauges read from the state store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crmsync.scheduler.metrics import Metrics
from crmsync.scheduler.service import scheduled_syncs
from crmsync.sdk.errors import StateError
from crmsync.state import StateStore
from crmsync.testing.clock import FakeClock
from crmsync.workspace import Workspace

from .conftest import SYNC, Project, Samples, make_firer, samples

FIRED = datetime(2026, 1, 1, tzinfo=UTC)


def _samples(metrics: Metrics) -> Samples:
    return samples(metrics.exposition().decode())


def test_runs_records_firings_and_durations_are_counted(
    workspace: Workspace, project: Project, clock: FakeClock
) -> None:
    firer = make_firer(workspace)
    project.contacts([("1", "ada@example.com"), ("2", "not-an-email")])
    firer.fire(SYNC, FIRED)
    firer.fire(SYNC, FIRED)  # claimed already: taken

    samples = _samples(firer.metrics)

    sync = ("sync", SYNC)
    assert samples[("crmsync_runs_total", (("outcome", "partial"), sync))] == 1
    assert samples[("crmsync_runs_total", (("outcome", "succeeded"), sync))] == 0
    assert samples[("crmsync_records_total", (("action", "read"), sync))] == 2
    assert samples[("crmsync_records_total", (("action", "created"), sync))] == 1
    assert samples[("crmsync_records_total", (("action", "failed"), sync))] == 1
    assert samples[("crmsync_firings_total", (("outcome", "ran"), sync))] == 1
    assert samples[("crmsync_firings_total", (("outcome", "taken"), sync))] == 1
    assert samples[("crmsync_run_duration_seconds_count", (sync,))] == 1


def test_gauges_are_read_from_the_state_store(
    workspace: Workspace, project: Project, clock: FakeClock
) -> None:
    firer = make_firer(workspace)
    project.contacts([("1", "ada@example.com"), ("2", "not-an-email")])
    firer.fire(SYNC, FIRED)
    workspace.store.beat("some-scheduler", ttl=timedelta(seconds=45))
    clock.advance(0.25)

    samples = _samples(firer.metrics)

    sync = (("sync", SYNC),)
    [run] = workspace.store.runs(SYNC)
    assert run.finished_at is not None
    assert samples[("crmsync_failing_records", sync)] == 1
    assert samples[("crmsync_parked_records", sync)] == 0
    assert samples[("crmsync_linked_records", sync)] == 1
    assert samples[("crmsync_last_success_timestamp_seconds", sync)] == (
        run.finished_at.timestamp()
    )
    assert samples[("crmsync_next_fire_timestamp_seconds", sync)] == FIRED.timestamp() + 1
    assert samples[("crmsync_schedulers", ())] == 1
    assert samples[("crmsync_state_store_up", ())] == 1


def test_a_sync_that_never_ran_has_no_last_success(workspace: Workspace) -> None:
    metrics = Metrics(workspace.store, scheduled_syncs(workspace.loaded), workspace.clock)

    samples = _samples(metrics)

    assert samples[("crmsync_failing_records", (("sync", SYNC),))] == 0
    assert not any(name == "crmsync_last_success_timestamp_seconds" for name, _ in samples)


def test_a_state_store_that_does_not_answer_is_reported_not_raised(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    metrics = Metrics(workspace.store, scheduled_syncs(workspace.loaded), workspace.clock)

    def unreachable(self: StateStore) -> None:
        raise StateError("the state store failed at sqlite:///gone.db: disk I/O error")

    monkeypatch.setattr(StateStore, "status", unreachable)
    samples = _samples(metrics)

    assert samples[("crmsync_state_store_up", ())] == 0
    assert not any(name == "crmsync_failing_records" for name, _ in samples)
    assert samples[("crmsync_runs_total", (("outcome", "failed"), ("sync", SYNC)))] == 0
