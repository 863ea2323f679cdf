"""The scheduler's face on the command line: `status`, `runs`, and `scheduler`'s refusals."""

from __future__ import annotations

import json
import os
import socket
from datetime import UTC, datetime, timedelta

import pytest

from crmsync.state import FiringOutcome, StateStore
from crmsync.state.locks import this_host

from .conftest import SYNC, Cli, Project

pytestmark = pytest.mark.e2e


def _schedule(project: Project, schedule: str = "every 15m") -> None:
    project.edit(
        "crmsync.yaml", "mapping: people.yaml", f"mapping: people.yaml\n    schedule: {schedule}"
    )


def test_status_shows_when_each_sync_fires_next_and_who_runs_schedules(
    cli: Cli, project: Project
) -> None:
    _schedule(project)

    table = cli("status")
    listed = json.loads(cli("status", "--json").stdout)
    with StateStore.connect(project.state_url) as store:
        store.beat("a-scheduler", ttl=timedelta(minutes=1))
        running = cli("status")

    now = datetime.now(UTC)
    fire = datetime.fromisoformat(listed[0]["next_fire"])
    assert table.exit_code == 0
    assert "next fire" in table.stdout
    assert f"{fire:%Y-%m-%d %H:%M:%S}" in table.stdout
    assert fire.minute % 15 == 0
    assert timedelta(0) <= fire - now <= timedelta(minutes=15)
    assert table.stdout.endswith(
        "no scheduler is running: syncs run on their schedule only while `crmsync scheduler` runs\n"
    )
    assert running.stdout.endswith(f"schedulers running: 1 (pid {os.getpid()} on {this_host()})\n")


def test_status_of_unscheduled_syncs_says_nothing_about_schedulers(cli: Cli) -> None:
    table = cli("status")
    listed = json.loads(cli("status", "--json").stdout)

    assert "scheduler" not in table.stdout
    assert listed[0]["next_fire"] is None


def test_runs_show_the_firing_that_started_them(cli: Cli, project: Project) -> None:
    fired = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
    cli("run", SYNC)
    with StateStore.connect(project.state_url) as store:
        store.claim_firing(SYNC, fired)
        store.finish_firing(SYNC, fired, FiringOutcome.RAN, run_id=store.runs(SYNC)[0].id)
    cli("run", SYNC)

    table = cli("runs")
    listed = json.loads(cli("runs", "--json").stdout)
    status = json.loads(cli("status", "--json").stdout)

    assert "fired" in table.stdout
    assert "06:00:00" in table.stdout  # the cell may wrap after the date
    assert [r["fire_time"] for r in listed] == [None, "2026-11-22T06:00:00Z"]
    assert status[0]["state"]["last_firing"]["outcome"] == "ran"


def test_the_scheduler_refuses_a_config_without_schedules(cli: Cli, project: Project) -> None:
    result = cli("scheduler")

    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {project.config}: no sync has a schedule: the scheduler would have nothing "
        "to do\n  hint: give a sync a schedule, such as `schedule: every 15m` or "
        "`schedule: '0 6 * * *'`\n"
    )


def test_the_scheduler_refuses_a_metrics_port_in_use(cli: Cli, project: Project) -> None:
    _schedule(project)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        project.edit(
            "crmsync.yaml", "version: 1", f"version: 1\nscheduler:\n  metrics: {{port: {port}}}"
        )

        result = cli("scheduler")

    assert result.exit_code == 2
    assert result.stderr.startswith(
        f"error: {project.config}:3: scheduler.metrics: cannot listen on 127.0.0.1:{port}: "
    )
    with StateStore.connect(project.state_url) as store:
        assert store.schedulers() == []
