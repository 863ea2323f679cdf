"""Read-only commands over the state store, and ``state reset``."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated

import typer

from crmsync.cli import render
from crmsync.cli.app import JsonFlag, SyncArg, _call, _tell, _workspace, app, out, state_app
from crmsync.cli.exitcodes import ExitCode
from crmsync.schedules import parse_schedule
from crmsync.state import LockHolder, RunRow, SchedulerProcess, SyncStatus


@app.command()
def status(as_json: JsonFlag = False) -> None:
    """Where every sync stands: next firing, last run, cursor, links, failures, lock."""
    from crmsync.scheduler.triggers import next_fire

    with _workspace(connections=False) as workspace:
        # Opening the store can fail: the lambda puts that inside _call, so it is reported.
        statuses = _call(lambda: workspace.store.status())  # noqa: PLW0108
        schedulers = _call(lambda: workspace.store.schedulers())  # noqa: PLW0108
        known = {s.sync: s for s in statuses}
        syncs = workspace.loaded.config.syncs
        now = workspace.clock.now()
        fires = {
            s.name: next_fire(parse_schedule(s.schedule), now) if s.schedule else None
            for s in syncs
        }
    if as_json:
        render.print_json(
            out,
            [
                {
                    "sync": s.name,
                    "schedule": s.schedule,
                    "next_fire": fires[s.name],
                    "state": known.get(s.name),
                }
                for s in syncs
            ],
        )
        return
    out.print(
        render.table(
            None,
            [
                "sync",
                "schedule",
                "next fire",
                "last run",
                "outcome",
                "cursor",
                "linked",
                "failing",
                "parked",
                "running",
            ],
            [_status_row(s.name, s.schedule, fires[s.name], known.get(s.name)) for s in syncs],
        )
    )
    if any(s.schedule for s in syncs):
        out.print(_schedulers_line(schedulers))


def _status_row(
    name: str, schedule: str | None, fire: datetime | None, state: SyncStatus | None
) -> list[object]:
    if state is None:
        return [name, schedule, fire, None, "never run", None, 0, 0, 0, None]
    last = state.last_run
    lock = state.lock
    return [
        name,
        schedule,
        fire,
        last.started_at if last else None,
        last.outcome if last else None,
        state.cursor.updated_at if state.cursor else None,
        state.links,
        state.failures,
        state.parked,
        None if lock is None else _holder(lock),
    ]


def _holder(lock: LockHolder) -> str:
    where = f"pid {lock.pid} on {lock.host}"
    return f"{lock.owner}, {where}" if lock.owner else where


def _schedulers_line(schedulers: list[SchedulerProcess]) -> str:
    """Who runs the schedules, for the line under the status table."""
    if not schedulers:
        return (
            "no scheduler is running: syncs run on their schedule only while "
            "`crmsync scheduler` runs"
        )
    who = ", ".join(f"pid {s.pid} on {s.host}" for s in schedulers)
    return f"schedulers running: {len(schedulers)} ({who})"


@app.command()
def runs(
    sync: Annotated[str | None, typer.Argument(help="Only this sync's runs.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="How many, newest first.")] = 20,
    as_json: JsonFlag = False,
) -> None:
    """Recent runs: counts, API calls, outcome, and the scheduled firing that started each."""
    with _workspace(connections=False) as workspace:
        if sync is not None:
            _call(lambda: workspace.loaded.sync(sync))
        found: list[RunRow] = _call(lambda: workspace.store.runs(sync, limit=limit))
    if as_json:
        render.print_json(out, found)
        return
    out.print(
        render.table(
            None,
            [
                "run",
                "sync",
                "kind",
                "outcome",
                "started",
                "fired",
                "seconds",
                "read",
                "created",
                "updated",
                "unchanged",
                "archived",
                "failed",
                "API calls",
                "message",
            ],
            [
                [
                    r.id,
                    r.sync,
                    r.kind,
                    r.outcome,
                    r.started_at,
                    r.fire_time,
                    None if r.duration_ms is None else round(r.duration_ms / 1000, 1),
                    r.counts.read,
                    r.counts.created,
                    r.counts.updated,
                    r.counts.unchanged,
                    r.counts.archived,
                    r.counts.failed,
                    r.counts.api_calls,
                    r.message,
                ]
                for r in found
            ],
        )
    )


@app.command()
def failures(
    sync: Annotated[str | None, typer.Argument(help="Only this sync's failures.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Records that failed, why, and how often; parked ones wait for `crmsync retry`."""
    with _workspace(connections=False) as workspace:
        if sync is not None:
            _call(lambda: workspace.loaded.sync(sync))
        found = _call(lambda: workspace.store.failures(sync))
    if as_json:
        render.print_json(out, found)
        return
    if not found:
        out.print("no failures")
        return
    out.print(
        render.table(
            None,
            ["sync", "record", "attempts", "parked", "first seen", "last seen", "code", "reason"],
            [
                [
                    f.sync,
                    f.source_id,
                    f.attempts,
                    f.parked,
                    f.first_seen,
                    f.last_seen,
                    f.code,
                    f.reason,
                ]
                for f in found
            ],
        )
    )


@app.command()
def audit(
    sync: SyncArg,
    record: Annotated[
        str | None, typer.Option("--record", help="Only this source record's history.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="How many entries, newest first.")] = 50,
    as_json: JsonFlag = False,
) -> None:
    """What crmsync changed in the target, when, in which run, and which fields."""
    with _workspace(connections=False) as workspace:
        _call(lambda: workspace.loaded.sync(sync))
        entries = _call(lambda: workspace.store.audit(sync, source_id=record, limit=limit))
    if as_json:
        render.print_json(out, entries)
        return
    out.print(
        render.table(
            None,
            ["at", "run", "source record", "target record", "action", "fields"],
            [
                [e.at, e.run_id, e.source_id, e.target_id, e.action, ", ".join(e.fields)]
                for e in entries
            ],
        )
    )


@state_app.command("reset")
def reset(
    sync: SyncArg,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Forget a sync's cursor, links and failures (runs and audit stay).

    The next run reads everything again. In upsert mode records are matched again by
    their match key; in create-only mode they would be created again.
    """
    with _workspace(connections=False) as workspace:
        config = _call(lambda: workspace.loaded.sync(sync))
        if config.mode == "create-only":
            _tell(
                logging.WARNING,
                "this sync is create-only: after a reset its next run creates every record again",
            )
        if not (yes or _confirmed(f"forget the cursor, links and failures of {sync!r}?")):
            _tell(logging.ERROR, f"nothing was reset; answer y, or pass --yes, to reset {sync}")
            raise typer.Exit(int(ExitCode.USAGE))
        _call(lambda: workspace.store.reset(sync))
    out.print(f"reset {sync}: the next run starts from scratch")


def _confirmed(question: str) -> bool:
    """The user's answer; no when stdin ends or Ctrl-C is pressed at the prompt."""
    try:
        return typer.confirm(question)
    except typer.Abort:
        return False
