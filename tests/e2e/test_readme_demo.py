"""The README's first command, run as a new user runs it (minus the install CI proves)."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from .tables import tables

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def _readme_demo_command() -> list[str]:
    """The command after the last '&&' of the quick start's first line, e.g. crmsync demo."""
    lines = (ROOT / "README.md").read_text().split("## Quick start", 1)[1].splitlines()
    first = next(line for line in lines if "crmsync demo" in line)
    words = shlex.split(first.split("&&")[-1])
    assert Path(words[0]).name == "crmsync", first
    return [str(Path(sys.executable).with_name("crmsync")), *words[1:]]


def test_the_readme_demo_command_syncs_the_sandbox_twice(tmp_path: Path) -> None:
    result = subprocess.run(
        _readme_demo_command(),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    first, second = result.stdout.split("second run: nothing changed")
    [_, ran] = tables(first)
    [again] = tables(second)
    assert len(ran) == len(again) == 4  # the syncs of config.example.yaml
    assert all(row["outcome"] == "succeeded" and int(row["created"]) > 0 for row in ran)
    assert all((row["created"], row["updated"], row["failed"]) == ("0", "0", "0") for row in again)
