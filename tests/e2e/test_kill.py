"""Crash safety, for real: kill -9 a run at many points, run again, compare with a clean run.

Each scenario copies the example project, kills `crmsync run` with SIGKILL at one step
(see killer.py), then runs the sync again to completion. The target file must then hold
exactly what an uninterrupted run produces: every record once, none lost, none doubled,
and the state store must agree with it.
"""

from __future__ import annotations

import csv
import os
import random
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from crmsync.cli.scaffold import Example, copy_example
from crmsync.workspace import Workspace

from .conftest import run_in_process

pytestmark = pytest.mark.e2e

SYNC = "contacts-to-affiliates"
KILLER = Path(__file__).with_name("killer.py")
KILL_POINTS_PER_SCENARIO = 11


def _project(folder: Path) -> Path:
    """The files example with small batches, so a run has many steps to die in."""
    config = copy_example(folder, overwrite=False, example=Example.FILES)
    text = config.read_text()
    config.write_text(text.replace("    mode: upsert", "    batch_size: 10\n    mode: upsert"))
    return config


def _change_source(folder: Path) -> None:
    """Edits for the incremental scenario: renames, deletions and new contacts."""
    path = folder / "data" / "crm-contacts.csv"
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    stamp = "2026-11-15T08:00:00.000Z"
    for row in rows[:60:3]:
        row.update(first_name=row["first_name"] + "-renamed", updated_at=stamp)
    for row in rows[100:130:6]:
        row.update(deleted_at=stamp, updated_at=stamp)
    for n in range(10):
        rows.append(
            rows[n] | {"id": f"9000{n}", "email": f"new{n}@example.com", "updated_at": stamp}
        )
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _killed_run(config: Path, kill_at: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(KILLER), "--config", str(config), "run", SYNC],
        env=os.environ | {"CRMSYNC_KILL_AT": str(kill_at)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _target(folder: Path) -> list[tuple[tuple[str, str], ...]]:
    with (folder / "out" / "affiliates.csv").open(newline="") as handle:
        return sorted(tuple(sorted(row.items())) for row in csv.DictReader(handle))


def _scenario(folder: Path, *, incremental: bool) -> Path:
    config = _project(folder)
    if incremental:
        run_in_process(config, SYNC)
        _change_source(folder)
    return config


@pytest.mark.parametrize("incremental", [False, True], ids=["first-sync", "incremental"])
def test_a_run_killed_at_any_step_is_completed_by_the_next_run(
    tmp_path: Path, incremental: bool
) -> None:
    reference = _scenario(tmp_path / "reference", incremental=incremental)
    counted = _killed_run(reference, 0)
    assert counted.returncode == 4, counted.stderr  # one record fails on purpose
    steps = int(re.findall(r"steps: (\d+)", counted.stderr)[-1])
    expected = _target(tmp_path / "reference")
    assert len({dict(row)["email"] for row in expected}) == len(expected)

    rng = random.Random(steps)
    points = sorted({1, steps, *rng.sample(range(2, steps), KILL_POINTS_PER_SCENARIO - 2)})
    assert len(points) == KILL_POINTS_PER_SCENARIO
    for point in points:
        folder = tmp_path / f"killed-at-{point}"
        config = _scenario(folder, incremental=incremental)
        killed = _killed_run(config, point)
        assert killed.returncode == -signal.SIGKILL, (point, killed.stderr)

        run_in_process(config, SYNC)

        assert _target(folder) == expected, f"killed at step {point} of {steps}"
        _assert_state_agrees(config, len(expected))


def _assert_state_agrees(config: Path, rows: int) -> None:
    workspace = Workspace.open(config)
    try:
        store = workspace.store
        [status] = store.status()
        assert status.links == rows
        assert [f.source_id for f in store.failures(SYNC)] == ["100042"]  # the bad email
        assert status.lock is None
        assert all(run.outcome != "running" for run in store.runs(SYNC))
    finally:
        workspace.close()
