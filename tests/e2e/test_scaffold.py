"""``crmsync init``, ``sandbox`` and ``demo``: the example projects, copied, served and run."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from typer.testing import CliRunner

from crmsync.cli.app import app

from .tables import tables

pytestmark = pytest.mark.e2e

SHIPPED_MAPS = {
    "hubspot-contacts-to-rewardful-affiliates.yaml",
    "rewardful-affiliates-to-hubspot-contacts.yaml",
    "rewardful-referrals-to-hubspot-contacts.yaml",
    "rewardful-commissions-to-hubspot-deals.yaml",
}


def test_init_creates_the_hubspot_rewardful_project_and_refuses_to_overwrite_it(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "project"
    runner = CliRunner()

    created = runner.invoke(app, ["init", str(folder)])
    (folder / "crmsync.yaml").write_text("# mine\n")
    refused = runner.invoke(app, ["init", str(folder)])
    kept = (folder / "crmsync.yaml").read_text()
    forced = runner.invoke(app, ["init", str(folder), "--force"])

    assert created.exit_code == 0
    assert created.stdout.startswith(f"created {folder / 'crmsync.yaml'} with its field maps")
    assert "crmsync sandbox" in created.stdout
    assert {p.name for p in (folder / "mappings").iterdir()} == SHIPPED_MAPS
    assert refused.exit_code == 2
    assert refused.stderr == (
        f"error: {folder / 'crmsync.yaml'}, {folder / 'mappings'} already exist\n"
        "  hint: choose another folder, or pass --force to overwrite\n"
    )
    assert kept == "# mine\n"
    assert forced.exit_code == 0
    assert (folder / "crmsync.yaml").read_text().startswith("# crmsync example: a HubSpot")


def test_init_can_start_from_the_files_example(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["init", str(tmp_path), "--example", "files"])

    assert result.exit_code == 0
    assert "crmsync plan contacts-to-affiliates" in result.stdout
    assert (tmp_path / "mappings" / "contacts-to-affiliates.yaml").is_file()
    assert (tmp_path / "data" / "crm-contacts.csv").is_file()


def test_init_reports_a_folder_it_cannot_create(tmp_path: Path) -> None:
    occupied = tmp_path / "a-file"
    occupied.write_text("")

    result = CliRunner().invoke(app, ["init", str(occupied)])

    assert result.exit_code == 2
    assert result.stderr == f"error: cannot create the project in '{occupied}': File exists\n"


def test_demo_syncs_the_sandbox_twice_and_the_second_round_writes_nothing(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "demo"

    result = CliRunner().invoke(app, ["demo", "--dir", str(folder)])

    assert result.exit_code == 0, result.stderr
    first, second = result.stdout.split("second run: nothing changed")
    sandboxes, ran = tables(first)
    [again] = tables(second)
    assert [row["sandbox"] for row in sandboxes] == ["hubspot", "rewardful"]
    syncs = [
        "enrol-opted-in-contacts",
        "onboard-affiliates",
        "referred-customers",
        "referral-sales",
    ]
    assert [row["sync"] for row in ran] == [row["sync"] for row in again] == syncs
    assert all(int(row["created"]) > 0 and row["outcome"] == "succeeded" for row in ran)
    assert all((r["created"], r["updated"], r["archived"]) == ("0", "0", "0") for r in again)
    assert f"explore what happened: crmsync -c {folder / 'crmsync.yaml'} status" in second


def test_the_sandbox_serves_until_stopped_and_prints_how_to_reach_it() -> None:
    command = [sys.executable, "-m", "crmsync", "sandbox"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        try:
            exports = _exports(process)
            contacts = requests.get(
                f"{exports['HUBSPOT_BASE_URL']}/crm/v3/objects/contacts?limit=1",
                headers={"Authorization": f"Bearer {exports['HUBSPOT_TOKEN']}"},
                timeout=10,
            )
            affiliates = requests.get(
                f"{exports['REWARDFUL_BASE_URL']}/affiliates",
                auth=(exports["REWARDFUL_API_SECRET"], ""),
                timeout=10,
            )
        finally:
            process.send_signal(signal.SIGINT)
            returncode = process.wait(timeout=20)

    assert (contacts.status_code, affiliates.status_code) == (200, 200)
    assert returncode == 0


def _exports(process: subprocess.Popen[str]) -> dict[str, str]:
    """The variables the sandbox prints, read until it says it is serving."""
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line)
        if line.startswith("serving until Ctrl-C"):
            break
    return dict(re.findall(r"^export (\w+)=(\S+)$", "".join(lines), flags=re.MULTILINE))
