"""The README's quick start is what CI runs, word for word."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _commands(text: str) -> list[str]:
    lines = text.splitlines()
    start = lines.index("## Quick start")
    blocks, inside = [], False
    for line in lines[start:]:
        if line.startswith("```"):
            inside = not inside
        elif inside:
            blocks.append(line)
        if line.startswith("## ") and line != "## Quick start":
            break
    return blocks


def test_the_quick_start_has_exactly_two_commands() -> None:
    commands = _commands((ROOT / "README.md").read_text())
    assert len(commands) == 2
    assert commands[0].endswith("crmsync demo")


def test_ci_runs_the_readme_test_command() -> None:
    [_, test_command] = _commands((ROOT / "README.md").read_text())
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert ci[-1] == test_command
