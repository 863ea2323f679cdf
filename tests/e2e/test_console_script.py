"""The installed ``crmsync`` console script, in real processes (about a second each)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from crmsync import __version__

pytestmark = pytest.mark.e2e

CRMSYNC = Path(sys.executable).with_name("crmsync")
SYNC = "contacts-to-affiliates"


def _environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "CRMSYNC_CONFIG"}


def crmsync(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CRMSYNC), *args],
        cwd=cwd,
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_help_and_version(tmp_path: Path) -> None:
    running = [
        subprocess.Popen(
            [str(CRMSYNC), flag],
            cwd=tmp_path,
            env=_environment(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for flag in ("--help", "--version")
    ]
    (help_out, help_err), (version_out, version_err) = (p.communicate(timeout=60) for p in running)

    assert [p.returncode for p in running] == [0, 0]
    assert (help_err, version_err) == ("", "")
    assert "Usage: crmsync [OPTIONS] COMMAND [ARGS]..." in help_out
    assert "Exit codes:" in help_out
    assert version_out == f"crmsync {__version__}\n"


def test_init_check_plan_run_run_status(tmp_path: Path) -> None:
    init = crmsync("init", "--example", "files", cwd=tmp_path)
    check = crmsync("check", cwd=tmp_path)
    plan = crmsync("plan", SYNC, cwd=tmp_path)
    first = crmsync("run", SYNC, "--json", cwd=tmp_path)
    second = crmsync("run", SYNC, "--json", cwd=tmp_path)
    status = crmsync("status", "--json", cwd=tmp_path)

    assert (init.returncode, check.returncode, plan.returncode) == (0, 0, 3)
    assert "Traceback" not in init.stderr + check.stderr + plan.stderr
    assert "changes to write" in plan.stdout
    # The example data holds one contact with a broken email, by design: exit code 4.
    assert (first.returncode, second.returncode) == (4, 4)
    created = json.loads(first.stdout)["counts"]["created"]
    again = json.loads(second.stdout)["counts"]
    assert created > 100
    assert (again["created"], again["updated"], again["archived"]) == (0, 0, 0)
    assert (tmp_path / "out" / "affiliates.csv").is_file()
    [state] = json.loads(status.stdout)
    assert status.returncode == 0
    assert (state["sync"], state["state"]["links"], state["state"]["failures"]) == (
        SYNC,
        created,
        1,
    )
