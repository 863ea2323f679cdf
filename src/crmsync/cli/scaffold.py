"""``crmsync init`` and ``crmsync demo``: the example project, copied and run."""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from crmsync.cli import render
from crmsync.cli.app import _call, _tell, app, out
from crmsync.cli.exitcodes import ExitCode
from crmsync.engine.reports import RunReport
from crmsync.sdk.errors import ConfigError
from crmsync.state import RunOutcome
from crmsync.workspace import Workspace

BUNDLED = Path(__file__).resolve().parent.parent / "bundled"
"""The example project: symlinks to the repository's top level, real files in a wheel."""


def copy_example(dest: Path, *, overwrite: bool) -> Path:
    """Copy the example config, field maps and data into ``dest``; return the config path."""
    config = dest / "crmsync.yaml"
    planned = [config, dest / "mappings", dest / "examples"]
    existing = [str(p) for p in planned if p.exists()]
    if existing and not overwrite:
        verb = "exists" if len(existing) == 1 else "exist"
        raise ConfigError(
            f"{', '.join(existing)} already {verb}",
            hint="choose another folder, or pass --force to overwrite",
        )
    try:
        dest.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(BUNDLED / "config.example.yaml", config)
        for folder in ("mappings", "examples"):
            shutil.copytree(BUNDLED / folder, dest / folder, dirs_exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create the project in {str(dest)!r}: {exc.strerror}") from None
    return config


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Where to create the project.")] = Path("."),
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing files.")] = False,
) -> None:
    """Create a starter crmsync.yaml, field maps and sample data that run as they are."""
    config = _call(lambda: copy_example(directory, overwrite=force))
    _say(f"created {config} with its field maps (mappings/) and sample data (examples/)")
    _say(f"next: cd {directory} && crmsync check && crmsync plan contacts-to-affiliates")


@app.command()
def demo(
    directory: Annotated[
        Path | None,
        typer.Option("--dir", help="Where to put the demo project. Default: a new temp folder."),
    ] = None,
) -> None:
    """Run the example syncs twice: the second run shows that nothing is written twice."""
    dest = directory or Path(tempfile.mkdtemp(prefix="crmsync-demo-"))
    config = _call(lambda: copy_example(dest, overwrite=True))
    out.print(f"[bold]crmsync demo[/] in {escape(str(dest))}")
    workspace = _call(lambda: Workspace.open(config))
    failed = 0
    try:
        for title in ("first run: everything is new", "second run: nothing changed"):
            reports = [
                _call(lambda name=sync.name: workspace.run(name))  # type: ignore[misc]
                for sync in workspace.loaded.config.syncs
            ]
            out.print(f"\n[bold]{title}[/]")
            out.print(render.runs_table(reports, named=True))
            _stop_on_failure(reports)
            failed = sum(r.counts.failed for r in reports)
    finally:
        workspace.close()
    if failed:
        _say(
            f"\n{failed} record(s) failed and wait in the failures table with their reason "
            f"while their batch-mates landed: crmsync -c {config} failures"
        )
    _say(f"\nexplore: crmsync -c {config} status | runs | plan <sync> | describe <conn> <obj>")
    _say(f"state: {workspace.loaded.state_url}")


def _say(text: str) -> None:
    """Plain text on stdout: paths may hold brackets, which rich would read as markup."""
    out.print(text, markup=False, highlight=False)


def _stop_on_failure(reports: list[RunReport]) -> None:
    broken = [r for r in reports if r.outcome is RunOutcome.FAILED]
    for report in broken:
        _tell(logging.ERROR, f"{report.sync}: {report.message}")
    if broken:
        raise typer.Exit(int(ExitCode.FAILED))
