"""``crmsync init`` and ``crmsync demo``: the example project, copied and run."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from crmsync.cli.app import app

pytestmark = pytest.mark.e2e


def _table(text: str) -> list[dict[str, str]]:
    """The rows of the one rich table in ``text``, by column (cells must not wrap)."""

    def cells(line: str, bar: str) -> list[str]:
        return [cell.strip() for cell in line.strip(bar).split(bar)]

    lines = text.splitlines()
    [header] = [cells(line, "┃") for line in lines if line.startswith("┃")]
    return [dict(zip(header, cells(line, "│"), strict=True)) for line in lines if line[:1] == "│"]


def test_init_creates_a_project_and_refuses_to_overwrite_it(tmp_path: Path) -> None:
    folder = tmp_path / "project"
    runner = CliRunner()

    created = runner.invoke(app, ["init", str(folder)])
    (folder / "crmsync.yaml").write_text("# mine\n")
    refused = runner.invoke(app, ["init", str(folder)])
    kept = (folder / "crmsync.yaml").read_text()
    forced = runner.invoke(app, ["init", str(folder), "--force"])

    assert created.exit_code == 0
    assert created.stdout.startswith(f"created {folder / 'crmsync.yaml'} with its field maps")
    assert (folder / "mappings" / "files-contacts-to-affiliates.yaml").is_file()
    assert (folder / "examples" / "data" / "crm-contacts.csv").is_file()
    assert refused.exit_code == 2
    assert refused.stderr == (
        f"error: {folder / 'crmsync.yaml'}, {folder / 'mappings'}, {folder / 'examples'} "
        "already exist\n"
        "  hint: choose another folder, or pass --force to overwrite\n"
    )
    assert kept == "# mine\n"
    assert forced.exit_code == 0
    assert (folder / "crmsync.yaml").read_text().startswith("# crmsync example configuration.")


def test_init_reports_a_folder_it_cannot_create(tmp_path: Path) -> None:
    occupied = tmp_path / "a-file"
    occupied.write_text("")

    result = CliRunner().invoke(app, ["init", str(occupied)])

    assert result.exit_code == 2
    assert result.stderr == f"error: cannot create the project in '{occupied}': File exists\n"


def test_demo_runs_twice_and_the_second_run_creates_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "demo"

    result = CliRunner().invoke(app, ["demo", "--dir", str(folder)])

    assert result.exit_code == 0
    first, second = result.stdout.split("second run: nothing changed")
    assert "first run: everything is new" in first
    [ran] = _table(first)
    [again] = _table(second)
    assert ran["sync"] == again["sync"] == "contacts-to-affiliates"
    assert int(ran["created"]) > 100
    assert (again["created"], again["updated"], again["archived"]) == ("0", "0", "0")
    assert f"explore: crmsync -c {folder / 'crmsync.yaml'} status" in second
    assert (folder / "out" / "affiliates.csv").is_file()
