"""The scheduler service: what it refuses at start, how it reports its health, how it stops."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import requests
from werkzeug.test import Client

from crmsync.config import load_config
from crmsync.scheduler import Scheduler
from crmsync.scheduler.firings import Firer
from crmsync.scheduler.health import application
from crmsync.sdk.errors import ConfigError, StateError
from crmsync.state import FiringOutcome
from crmsync.testing.clock import FakeClock
from crmsync.workspace import Workspace

from .conftest import CONFIG, SYNC, Project, open_workspace, samples

YEARLY = "schedule: 0 0 1 1 *"  # never fires while a test runs


def test_a_config_without_schedules_is_refused(project: Project, clock: FakeClock) -> None:
    project.config.write_text(CONFIG.replace("    schedule: every 1s\n", ""))
    workspace = open_workspace(project, clock)

    with pytest.raises(ConfigError) as refused:
        Scheduler(workspace)
    workspace.close()

    assert str(refused.value).startswith(
        f"{project.config}: no sync has a schedule: the scheduler would have nothing to do\n"
        "  hint: give a sync a schedule, such as `schedule: every 15m`"
    )


def test_a_scheduled_sync_that_cannot_be_built_is_refused_at_start(
    workspace: Workspace, project: Project
) -> None:
    (project.folder / "people.yaml").unlink()

    with pytest.raises(ConfigError, match=r"field map 'people\.yaml' does not exist"):
        Scheduler(workspace)


def test_a_metrics_port_in_use_is_an_error_naming_the_key(
    project: Project, clock: FakeClock
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        project.add(f"scheduler:\n  metrics: {{port: {port}}}\n")
        metrics_line = len(CONFIG.splitlines()) + 2
        workspace = open_workspace(project, clock)
        service = Scheduler(workspace)

        with pytest.raises(ConfigError) as refused:
            service.start()
        schedulers = workspace.store.schedulers()
        workspace.close()

    assert str(refused.value).startswith(
        f"{project.config}:{metrics_line}: scheduler.metrics: cannot listen on 127.0.0.1:{port}: "
    )
    assert schedulers == []


def test_each_sync_gets_a_workspace_that_leaves_the_shared_store_open(
    workspace: Workspace, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed: list[bool] = []
    monkeypatch.setattr(workspace.store, "close", lambda: closed.append(True))

    Workspace(workspace.loaded, clock=clock, store=workspace.store).close()
    workspace.close()

    assert closed == [True]  # by its owner only


@pytest.fixture
def yearly(project: Project, clock: FakeClock) -> Iterator[Scheduler]:
    project.config.write_text(CONFIG.replace("schedule: every 1s", YEARLY))
    workspace = open_workspace(project, clock)
    yield Scheduler(workspace)
    workspace.close()


def _health(client: Client) -> tuple[int, dict[str, Any]]:
    response = client.get("/healthz")
    return response.status_code, json.loads(response.get_data())


def test_health_says_when_the_scheduler_stops_working(yearly: Scheduler, clock: FakeClock) -> None:
    client = Client(application(yearly.metrics, yearly.health))
    clock.advance(1)

    before = _health(client)
    yearly.start()
    running = _health(client)
    clock.advance(2 * yearly.heartbeat.total_seconds() + 1)  # no heartbeat since
    silent = _health(client)
    yearly.stop()
    stopped = _health(client)

    assert (before[0], before[1]["problem"]) == (503, "not started")
    assert running[0] == 200
    assert running[1]["status"] == "ok"
    assert running[1]["syncs"] == [
        {
            "sync": SYNC,
            "schedule": "0 0 1 1 *",
            "next_fire": "2027-01-01T00:00:00Z",
            "last_run": None,
            "last_firing": None,
            "running": False,
        }
    ]
    assert (silent[0], silent[1]["status"]) == (503, "down")
    assert silent[1]["problem"] == "the scheduler has not run its heartbeat for 31s"
    assert (stopped[0], stopped[1]["status"]) == (503, "stopping")
    assert client.get("/elsewhere").status_code == 404


def test_a_heartbeat_that_cannot_be_written_makes_the_scheduler_unhealthy(
    project: Project, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.config.write_text(CONFIG.replace("schedule: every 1s", YEARLY))
    workspace = open_workspace(project, clock)
    service = Scheduler(workspace, heartbeat=timedelta(milliseconds=50))
    service.start()
    failures: list[int] = []
    failed_twice = threading.Event()

    def unreachable(scheduler_id: str, *, ttl: timedelta) -> None:
        failures.append(1)
        if len(failures) == 2:  # the first failure has been recorded by now
            failed_twice.set()
        raise StateError("the state store failed at sqlite:///state.db: disk I/O error")

    monkeypatch.setattr(workspace.store, "beat", unreachable)
    try:
        assert failed_twice.wait(timeout=10)
        healthy, document = service.health()
    finally:
        monkeypatch.undo()
        service.stop()
        workspace.close()

    assert not healthy
    assert document["status"] == "down"
    assert document["problem"] == (
        "the heartbeat failed: the state store failed at sqlite:///state.db: disk I/O error"
    )


def test_stopping_removes_the_heartbeat(yearly: Scheduler) -> None:
    yearly.start()
    alive = [s.id for s in yearly.store.schedulers()]
    yearly.stop()

    assert alive == [yearly.id]
    assert yearly.store.schedulers() == []


def test_the_service_fires_on_time_and_serves_health_and_metrics(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Real time: a sync firing every second, run by APScheduler, seen over HTTP."""
    project.add("scheduler:\n  metrics: {port: 0}\n")
    fired: list[datetime] = []
    ran = threading.Event()
    fire = Firer.fire

    def watched(self: Firer, sync: str, scheduled: datetime) -> str | None:
        outcome = fire(self, sync, scheduled)
        fired.append(scheduled)
        ran.set()
        return outcome

    monkeypatch.setattr(Firer, "fire", watched)
    workspace = Workspace(load_config(project.config))
    service = Scheduler(workspace)
    service.start()
    try:
        assert ran.wait(timeout=10)
        assert service.url is not None
        health = requests.get(f"{service.url}/healthz", timeout=5)
        metrics = requests.get(f"{service.url}/metrics", timeout=5)
    finally:
        service.stop()
        [firing, *_] = workspace.store.firings(SYNC, limit=100)[::-1]
        [run, *_] = workspace.store.runs(SYNC, limit=100)[::-1]
        workspace.close()

    # Later firings may have run too (each second): look at the first.
    assert fired[0].microsecond == 0  # fire times are the schedule's, not "now"
    assert (firing.fire_time, firing.outcome, firing.run_id) == (
        fired[0],
        FiringOutcome.RAN,
        run.id,
    )
    assert (run.counts.created, run.fire_time) == (2, fired[0])
    assert health.status_code == 200
    [sync] = health.json()["syncs"]
    assert sync["last_run"]["fire_time"] is not None
    assert metrics.headers["Content-Type"].startswith("text/plain")
    served = samples(metrics.text)
    assert served[("crmsync_runs_total", (("outcome", "succeeded"), ("sync", SYNC)))] >= 1
    assert served[("crmsync_state_store_up", ())] == 1
