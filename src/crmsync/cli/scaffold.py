"""``crmsync init``, ``sandbox`` and ``demo``: the example projects, copied, served and run."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from crmsync import sandbox as sandboxes
from crmsync.cli import render
from crmsync.cli.app import _call, _fail, _graceful_stop, _tell, app, out
from crmsync.cli.exitcodes import ExitCode
from crmsync.engine.reports import RunReport
from crmsync.sdk.errors import ConfigError
from crmsync.state import RunOutcome
from crmsync.workspace import Workspace

BUNDLED = Path(__file__).resolve().parent.parent / "bundled"
"""The example projects: symlinks to the repository's top level, real files in a wheel."""


class Example(StrEnum):
    """The example projects ``crmsync init`` can start from."""

    HUBSPOT_REWARDFUL = "hubspot-rewardful"  # config.example.yaml: the demo's project
    FILES = "files"  # a CSV export -> an import file; needs no account


# What each example copies: (bundled source, name in the new project).
_CONTENTS = {
    Example.HUBSPOT_REWARDFUL: (("config.example.yaml", "crmsync.yaml"), ("mappings", "mappings")),
    Example.FILES: (
        ("examples/files/crmsync.yaml", "crmsync.yaml"),
        ("examples/files/mappings", "mappings"),
        ("examples/files/data", "data"),
    ),
}
_FIRST_SYNC = {
    Example.HUBSPOT_REWARDFUL: "onboard-affiliates",
    Example.FILES: "contacts-to-affiliates",
}


def copy_example(
    dest: Path, *, overwrite: bool, example: Example = Example.HUBSPOT_REWARDFUL
) -> Path:
    """Copy an example project's config, field maps and data into ``dest``.

    Returns:
        The new project's crmsync.yaml.
    """
    contents = _CONTENTS[example]
    existing = [str(dest / name) for _, name in contents if (dest / name).exists()]
    if existing and not overwrite:
        verb = "exists" if len(existing) == 1 else "exist"
        raise ConfigError(
            f"{', '.join(existing)} already {verb}",
            hint="choose another folder, or pass --force to overwrite",
        )
    try:
        dest.mkdir(parents=True, exist_ok=True)
        for source, name in contents:
            if (BUNDLED / source).is_dir():
                shutil.copytree(BUNDLED / source, dest / name, dirs_exist_ok=True)
            else:
                shutil.copyfile(BUNDLED / source, dest / name)
    except OSError as exc:
        raise ConfigError(f"cannot create the project in {str(dest)!r}: {exc.strerror}") from None
    return dest / "crmsync.yaml"


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Where to create the project.")] = Path("."),
    example: Annotated[
        Example,
        typer.Option(
            help="hubspot-rewardful: HubSpot and Rewardful syncs (your accounts, or "
            "`crmsync sandbox`); files: a CSV export into an import file, no account needed."
        ),
    ] = Example.HUBSPOT_REWARDFUL,
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing files.")] = False,
) -> None:
    """Create a starter crmsync.yaml with its field maps (and, for files, sample data)."""
    config = _call(lambda: copy_example(directory, overwrite=force, example=example))
    _say(f"created {config} with its field maps (mappings/)")
    if example is Example.HUBSPOT_REWARDFUL:
        _say(
            "next: export HUBSPOT_TOKEN and REWARDFUL_API_SECRET for your accounts, or run "
            "`crmsync sandbox` in another terminal and export what it prints; then"
        )
    _say(f"  cd {directory} && crmsync check && crmsync plan {_FIRST_SYNC[example]}")


@app.command()
def sandbox() -> None:
    """Serve every connector's emulator, with example data, on 127.0.0.1 until stopped.

    Prints each emulator's URL and the environment variables config.example.yaml reads
    to reach it. The data is made afresh each time the sandbox starts.
    """
    with _graceful_stop("stopping the sandbox") as stop, _sandboxes() as served:
        out.print(render.table(None, ["sandbox", "url"], [[s.name, s.url] for s in served]))
        _say("\nto point config.example.yaml at the sandbox, run:")
        for served_one in served:
            for name, value in served_one.environment.items():
                _say(f"export {name}={value}")
        _say("\nserving until Ctrl-C")
        while not stop.wait(1.0):  # short waits: signal handlers run between them
            pass


@app.command()
def demo(
    directory: Annotated[
        Path | None,
        typer.Option("--dir", help="Where to put the demo project. Default: a new temp folder."),
    ] = None,
) -> None:
    """Sync the sandbox's HubSpot and Rewardful twice: the second run writes nothing.

    Starts the sandbox, copies config.example.yaml and its field maps into a scratch
    folder, runs every sync in it twice with its state in SQLite, and stops the sandbox.
    """
    dest = directory or Path(tempfile.mkdtemp(prefix="crmsync-demo-"))
    with _sandboxes() as served, _environment(served):
        config = _call(lambda: copy_example(dest, overwrite=True))
        out.print(f"[bold]crmsync demo[/] in {escape(str(dest))}, against the sandbox:")
        out.print(render.table(None, ["sandbox", "url"], [[s.name, s.url] for s in served]))
        workspace = _call(lambda: Workspace.open(config))
        try:
            failed = _run_twice(workspace)
        finally:
            workspace.close()
    if failed:
        _say(
            f"\n{failed} record(s) failed and wait in the failures table with their reason "
            f"while their batch-mates landed: crmsync -c {config} failures"
        )
    _say(f"\nexplore what happened: crmsync -c {config} status | runs | audit <sync>")
    _say(f"state: {workspace.loaded.state_url}")


def _run_twice(workspace: Workspace) -> int:
    """Run every sync, then all again; the failures of the second round."""
    failed = 0
    for title in ("first run: everything is new", "second run: nothing changed"):
        reports = [
            _call(lambda name=sync.name: workspace.run(name))  # type: ignore[misc]
            for sync in workspace.loaded.config.syncs
        ]
        out.print(f"\n[bold]{title}[/]")
        out.print(render.runs_table(reports, named=True))
        _stop_on_failure(reports)
        failed = sum(r.counts.failed for r in reports)
    return failed


@contextmanager
def _sandboxes() -> Iterator[list[sandboxes.Served]]:
    """Every installed sandbox, served; a sandbox that cannot start is reported."""
    try:
        with sandboxes.running() as served:
            if not served:
                raise ConfigError("no installed connector offers a sandbox")
            yield served
    except ConfigError as exc:
        raise _fail(exc) from None


@contextmanager
def _environment(served: list[sandboxes.Served]) -> Iterator[None]:
    """The sandbox's variables in this process's environment, for config substitution."""
    variables = {name: value for s in served for name, value in s.environment.items()}
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _say(text: str) -> None:
    """Plain text on stdout: paths may hold brackets, which rich would read as markup."""
    out.print(text, markup=False, highlight=False)


def _stop_on_failure(reports: list[RunReport]) -> None:
    broken = [r for r in reports if r.outcome is RunOutcome.FAILED]
    for report in broken:
        _tell(logging.ERROR, f"{report.sync}: {report.message}")
    if broken:
        raise typer.Exit(int(ExitCode.FAILED))
