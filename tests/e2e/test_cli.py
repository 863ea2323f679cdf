"""The command line as a whole: help, errors without tracebacks, logs, signals, schemas."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from crmsync import __version__
from crmsync.cli import main
from crmsync.cli.app import app
from crmsync.sdk.records import WriteOp, WriteResult
from crmsync.workspace import Workspace
from crmsync_connectors.files.connector import FileObject

from .conftest import SYNC, Cli, Project

pytestmark = pytest.mark.e2e

NO_CONFIG = (
    "error: config file 'crmsync.yaml' does not exist\n"
    "  hint: create one with `crmsync init`, or pass --config PATH\n"
)


def _commands(group: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every command of the click tree under ``group``, with its words."""
    for name, command in group.commands.items():
        words = (*path, name)
        yield words, command
        if hasattr(command, "commands"):
            yield from _commands(command, words)


COMMANDS = dict(_commands(get_command(app)))


# --- help -----------------------------------------------------------------------------


def test_every_command_documents_itself_and_each_of_its_options() -> None:
    for words, command in COMMANDS.items():
        assert command.help, f"crmsync {' '.join(words)} has no help text"
        for param in command.params:
            assert param.help, f"crmsync {' '.join(words)}: {param.name} has no help text"


@pytest.mark.parametrize("words", list(COMMANDS), ids=" ".join)
def test_help_shows_the_summary_and_every_option(words: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*words, "--help"])

    assert result.exit_code == 0
    summary = COMMANDS[words].help.split("\n")[0].replace("`", "")
    assert summary[:60] in " ".join(result.stdout.split())
    for param in COMMANDS[words].params:
        for name in param.opts if param.param_type_name == "option" else []:
            assert name in result.stdout, f"{name} is missing from crmsync {words} --help"


def test_the_top_level_help_lists_exit_codes_and_commands() -> None:
    result = CliRunner().invoke(app, ["--help"])
    text = " ".join(result.stdout.split())

    assert result.exit_code == 0
    assert "Exit codes: 0 ok, 1 internal error (a bug), 2 bad config or usage" in text
    assert "6 stopped by a guard" in text
    for name in ("run", "backfill", "retry", "plan", "check", "describe", "status", "demo"):
        assert f"│ {name} " in result.stdout


def test_version() -> None:
    result = CliRunner().invoke(app, ["--version"])

    assert (result.exit_code, result.stdout) == (0, f"crmsync {__version__}\n")


# --- usage errors never show a traceback ----------------------------------------------

NEEDS_CONFIG = [
    ["run", SYNC],
    ["backfill", SYNC, "--since", "2026-01-01"],
    ["retry", SYNC],
    ["plan", SYNC],
    ["check"],
    ["describe", "crm", "contacts"],
    ["status"],
    ["runs"],
    ["failures"],
    ["audit", SYNC],
    ["state", "reset", SYNC, "--yes"],
]


@pytest.mark.parametrize("args", NEEDS_CONFIG, ids=" ".join)
def test_without_a_config_file_every_command_says_how_to_get_one(
    args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CRMSYNC_CONFIG", raising=False)

    result = CliRunner().invoke(app, args)

    assert (result.exit_code, result.stdout, result.stderr) == (2, "", NO_CONFIG)


def test_crmsync_config_names_the_config_file(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRMSYNC_CONFIG", str(project.config))

    assert CliRunner().invoke(app, ["status", "--json"]).exit_code == 0


def test_bad_options_are_usage_errors(cli: Cli) -> None:
    level = cli("--log-level", "loud", "status")
    unknown = cli("nosuch")

    assert (level.exit_code, unknown.exit_code) == (2, 2)
    assert "Invalid value for '--log-level'" in level.stderr
    assert "No such command 'nosuch'." in unknown.stderr


def test_text_that_looks_like_markup_is_shown_as_written(cli: Cli, project: Project) -> None:
    project.add_contact("4", "[/oops]", "Dee", "2026-01-04T00:00:00Z")
    cli("run", SYNC)
    failures = cli("failures")
    project.edit("crmsync.yaml", "version: 1", "version: 1\n'[bold]': x")
    config = cli("check")

    assert failures.exit_code == 0
    assert "'[/oops]'" in failures.stdout
    assert config.stderr.startswith(f"error: {project.config}:2: ['[bold]']: unknown key\n")


def test_an_unexpected_error_is_one_redacted_line_and_exit_1(
    project: Project, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(path: Path, **options: object) -> Workspace:
        raise RuntimeError("disk on fire, api_key=sk_live_0123456789")

    monkeypatch.setattr(Workspace, "open", broken)
    monkeypatch.setattr("sys.argv", ["crmsync", "-c", str(project.config), "status"])

    with pytest.raises(SystemExit) as exited:
        main()

    assert exited.value.code == 1
    assert capsys.readouterr().err == (
        "error: unexpected RuntimeError: disk on fire, api_key=***\n"
        "  this is a bug: please report it with the output of the same command run with "
        "--log-level debug\n"
    )


# --- logs -----------------------------------------------------------------------------


def _json_lines(text: str) -> list[dict[str, Any]]:
    """Each line of ``text`` as a JSON object; fails if one is not."""
    entries = [json.loads(line) for line in text.splitlines()]
    assert all(isinstance(e, dict) and e.keys() >= {"time", "level", "message"} for e in entries)
    return entries


def test_with_json_logs_every_stderr_line_is_a_json_object(cli: Cli, project: Project) -> None:
    json_logs = ("--log-format", "json", "--log-level", "debug")
    ran = cli(*json_logs, "run", SYNC)
    project.edit(
        "crmsync.yaml", "mapping: people.yaml", "mapping: people.yaml\n    mode: create-only"
    )
    warned = cli(*json_logs, "state", "reset", SYNC, "--yes")
    failed = cli(*json_logs, "run", "nobody")

    entries = [_json_lines(r.stderr) for r in (ran, warned, failed)]

    assert ran.exit_code == 0
    assert any(e["message"].startswith(f"sync {SYNC} run: succeeded") for e in entries[0])
    assert [e["level"] for e in entries[1]] == ["warning"]
    assert entries[2][-1]["level"] == "error"
    assert entries[2][-1]["message"].startswith(f"{project.config}: no sync named 'nobody'\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["rnu"], "No such command 'rnu'. Did you mean 'run'? (see crmsync --help)"),
        (["run"], "Missing argument 'sync'. (see crmsync run --help)"),
        (
            ["state", "reset", "x", "--bogus"],
            "No such option: --bogus (see crmsync state reset --help)",
        ),
        ([], "Missing command. (see crmsync --help)"),
    ],
)
def test_with_json_logs_usage_errors_are_json_lines_too(
    args: list[str],
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr("sys.argv", ["crmsync", "--log-format=json", *args])
    with pytest.raises(SystemExit) as exited:
        main()

    assert exited.value.code == 2
    assert [(e["level"], e["message"]) for e in _json_lines(capsys.readouterr().err)] == [
        ("error", message)
    ]


def test_with_json_logs_commands_run_and_exit_as_usual(
    project: Project, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["crmsync", "-c", str(project.config), "--log-format", "json", "plan", SYNC, "--json"]
    monkeypatch.setattr("sys.argv", argv)
    with pytest.raises(SystemExit) as exited:
        main()

    captured = capsys.readouterr()
    assert exited.value.code == 3  # changes to write
    assert json.loads(captured.out)["sync"] == SYNC
    _json_lines(captured.err)


# --- config schema, connectors --------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "keys"),
    [([], {"version", "state", "connections", "syncs"}), (["--mapping"], {"match", "fields"})],
)
def test_config_schema_prints_json_schema(args: list[str], keys: set[str]) -> None:
    result = CliRunner().invoke(app, ["config", "schema", *args])
    schema = json.loads(result.stdout)

    assert result.exit_code == 0
    assert schema["type"] == "object"
    assert set(schema["properties"]) >= keys


def test_the_config_schema_spells_guards_as_users_write_them() -> None:
    schema = json.loads(CliRunner().invoke(app, ["config", "schema"]).stdout)
    limit = schema["$defs"]["Guards"]["properties"]["max_creates"]["anyOf"][0]

    assert limit["examples"] == [500, "10%"]
    assert [arm.get("type") for arm in limit["anyOf"]] == ["integer", "string"]


def test_a_connector_that_cannot_load_is_listed_as_such(monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib.metadata import EntryPoint

    from crmsync.sdk import registry

    broken = EntryPoint("broken", "crmsync_missing_package:Connector", registry.GROUP)
    entries = {**registry.available(), "broken": broken}
    monkeypatch.setattr(registry, "available", lambda: entries)

    listed = json.loads(CliRunner().invoke(app, ["connectors", "--json"]).stdout)

    by_name = {row["name"]: row["title"] for row in listed}
    assert by_name["files"] == "CSV and JSON Lines files"
    assert by_name["broken"].startswith("cannot load: connector 'broken' failed to load")


def test_connectors_lists_the_files_connector() -> None:
    table = CliRunner().invoke(app, ["connectors"])
    listed = json.loads(CliRunner().invoke(app, ["connectors", "--json"]).stdout)

    assert table.exit_code == 0
    assert "CSV and JSON Lines files" in table.stdout
    assert {
        "name": "files",
        "title": "CSV and JSON Lines files",
        "package": "crmsync",
        "module": "crmsync_connectors.files:FilesConnector",
    } in listed


# --- signals --------------------------------------------------------------------------


def _signal_on_write(
    monkeypatch: pytest.MonkeyPatch, signals: Sequence[signal.Signals]
) -> list[int]:
    """Send ``signals`` to this process from inside the first write; return the batch sizes."""
    write = FileObject.write
    batches: list[int] = []

    def signalling_write(self: FileObject, ops: Sequence[WriteOp]) -> list[WriteResult]:
        batches.append(len(ops))
        if len(batches) == 1:
            for sent in signals:
                os.kill(os.getpid(), sent)
        return write(self, ops)

    monkeypatch.setattr(FileObject, "write", signalling_write)
    return batches


@pytest.mark.parametrize("sent", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_finishes_the_batch_in_flight_then_stops(
    cli: Cli, project: Project, monkeypatch: pytest.MonkeyPatch, sent: signal.Signals
) -> None:
    project.edit("crmsync.yaml", "mapping: people.yaml", "mapping: people.yaml\n    batch_size: 1")
    batches = _signal_on_write(monkeypatch, [sent])
    previous = signal.getsignal(sent)

    stopped = cli("run", SYNC, "--json")
    monkeypatch.undo()
    resumed = cli("run", SYNC, "--json")

    assert stopped.exit_code == 130
    assert json.loads(stopped.stdout)["outcome"] == "interrupted"
    assert stopped.stderr == (
        "warning: stopping after the batch in flight (signal again to stop now)\n"
    )
    assert batches == [1]
    assert json.loads(resumed.stdout)["counts"]["created"] == 2
    assert len(project.people()) == 3
    assert signal.getsignal(sent) is previous


def test_a_second_signal_stops_at_once(
    cli: Cli, project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.edit("crmsync.yaml", "mapping: people.yaml", "mapping: people.yaml\n    batch_size: 1")
    _signal_on_write(monkeypatch, [signal.SIGINT, signal.SIGINT])
    previous = signal.getsignal(signal.SIGINT)

    stopped = cli("run", SYNC)
    monkeypatch.undo()

    assert stopped.exit_code == 130
    assert project.people() == []
    assert signal.getsignal(signal.SIGINT) is previous
    assert cli("run", SYNC).exit_code == 0
    assert len(project.people()) == 3
