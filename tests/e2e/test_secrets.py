"""A secret given as ${ENV} never reaches the command line's output, its logs or its state.

The toy connector (tests/unit/sdk/toy) is registered for these tests only. Its emulator
echoes a rejected token in its 401 body, as some vendors do, so the token does travel
back towards the user: the tests prove it is masked on every way out.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from crmsync.cli.app import app
from crmsync.sdk import registry
from crmsync.testing.emulator import serve_wsgi

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "toy_live_9f8e7d6c5b4a3210"
CONTACTS = [
    {"id": str(n), "email": f"c{n}@example.com", "updatedAt": f"2026-01-0{n}T00:00:00+00:00"}
    for n in range(1, 4)
]
CONFIG = """\
version: 1
connections:
  toy:
    connector: toy
    settings:
      token: ${{TOY_TOKEN}}
      base_url: {url}
      page_size: 2
  book:
    connector: files
    settings:
      objects:
        people: {{path: people.csv, key: email}}
syncs:
  - name: toys
    source: {{connection: toy, object: contacts}}
    target: {{connection: book, object: people}}
    mapping: toys.yaml
"""
MAPPING = """\
version: 1
match: {source: email, target: email}
fields:
  email: email
"""


@pytest.fixture
def toy_connector(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the registry list the toy connector next to the installed ones."""
    monkeypatch.syspath_prepend(str(ROOT))
    from tests.unit.sdk.toy.connector import ToyConnector

    value = f"{ToyConnector.__module__}:{ToyConnector.__name__}"
    entries = {**registry.available(), "toy": EntryPoint("toy", value, registry.GROUP)}
    monkeypatch.setattr(registry, "available", lambda: entries)


@pytest.fixture
def config(tmp_path: Path, toy_connector: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A project reading from a toy emulator that accepts only ``accepted``'s token."""
    from tests.unit.sdk.toy.emulator import ToyEmulator

    monkeypatch.setenv("TOY_TOKEN", TOKEN)
    emulator = ToyEmulator("the-only-valid-token", CONTACTS)
    with serve_wsgi(emulator) as server:
        path = tmp_path / "crmsync.yaml"
        path.write_text(CONFIG.format(url=server.url))
        (tmp_path / "toys.yaml").write_text(MAPPING)
        yield path


def _everything(config: Path, *args: str) -> list[Result]:
    """``args`` run in both log formats at debug level."""
    runner = CliRunner()
    return [
        runner.invoke(
            app,
            ["-c", str(config), "--log-level", "debug", "--log-format", fmt, *args],
            catch_exceptions=False,
        )
        for fmt in ("text", "json")
    ]


def test_the_toy_connector_is_listed_while_registered(toy_connector: None) -> None:
    assert "toy" in CliRunner().invoke(app, ["connectors"]).stdout


def test_a_rejected_token_is_masked_in_output_logs_and_state(config: Path) -> None:
    results = [
        *_everything(config, "check"),
        *_everything(config, "check", "--json"),
        *_everything(config, "describe", "toy", "contacts"),
        *_everything(config, "describe", "toy", "contacts", "--json"),
        *_everything(config, "plan", "toys"),
        *_everything(config, "run", "toys"),
        *_everything(config, "run", "toys", "--json"),
        *_everything(config, "runs", "--json"),
    ]
    echoed = "token '***' is not valid"

    for result in results:
        assert TOKEN not in result.stdout + result.stderr
    (
        check,
        _,
        check_json,
        _,
        describe,
        _,
        _,
        _,
        plan,
        plan_json_logs,
        run,
        _,
        run_json,
        _,
        runs,
        _,
    ) = results
    assert (check.exit_code, describe.exit_code, plan.exit_code) == (2, 0, 7)
    assert "***" in check.stdout
    assert echoed in check_json.stdout
    assert f'error: GET /v1/contacts returned 401: {{"message": "{echoed}"}}\n' in plan.stderr
    assert echoed in json.loads(plan_json_logs.stderr.splitlines()[-1])["message"]
    assert (run.exit_code, run_json.exit_code) == (7, 7)
    assert echoed in run.stdout
    assert echoed in json.loads(run_json.stdout)["error"]
    assert echoed in runs.stdout  # the run's message, as the state store keeps it
