"""Turning results into tables (people) or JSON (scripts)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from pydantic_core import to_jsonable_python
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from crmsync.engine.reports import PlanReport, RunReport
from crmsync.sdk.errors import CrmsyncError
from crmsync.sdk.redact import REDACTOR
from crmsync.state import RunOutcome

_STYLE = {
    RunOutcome.SUCCEEDED: "green",
    RunOutcome.PARTIAL: "yellow",
    RunOutcome.GUARDED: "yellow",
    RunOutcome.INTERRUPTED: "yellow",
    RunOutcome.FAILED: "red",
}


def print_json(console: Console, value: Any) -> None:
    """``value`` (dataclasses, enums, datetimes, errors included) as indented JSON."""
    console.print_json(json.dumps(to_jsonable_python(value, fallback=_error_text)))


def _error_text(value: Any) -> str:
    """An error (a run report's ``error``) as its message, secrets masked."""
    if isinstance(value, CrmsyncError):
        return REDACTOR.redact(str(value))
    raise TypeError(f"{type(value).__name__} has no JSON form")


def table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Table:
    """A plain table; numbers right-aligned, None shown as a dash, text never read as markup."""
    grid = Table(title=title, title_justify="left", header_style="bold")
    materialised = [list(r) for r in rows]
    for index, name in enumerate(columns):
        numeric = bool(materialised) and all(
            isinstance(r[index], int | float) for r in materialised if r[index] is not None
        )
        grid.add_column(name, justify="right" if numeric else "left", overflow="fold")
    for row in materialised:
        grid.add_row(*(Text(_cell(v)) for v in row))
    return grid


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


def runs_table(reports: Sequence[RunReport], *, named: bool = False) -> Table:
    """The counts of one or more runs; ``named`` leads each row with its sync and outcome."""
    counts = ["read", "created", "updated", "unchanged", "archived", "skipped", "failed"]
    lead = ["sync", "outcome"] if named else []
    return table(
        None,
        [*lead, *counts, "API calls"],
        [
            [
                *([r.sync, r.outcome] if named else []),
                *(getattr(r.counts, name) for name in counts),
                r.total_api_calls,
            ]
            for r in reports
        ],
    )


def run_report(console: Console, report: RunReport) -> None:
    style = _STYLE[report.outcome]
    console.print(
        f"[bold]{report.sync}[/]: [{style}]{report.outcome}[/] "
        f"({report.kind}, run {report.run_id}, {report.duration_s:.1f}s)"
    )
    c = report.counts
    console.print(runs_table([report]))
    if report.message:
        console.print(f"[{style}]{escape(report.message)}[/]")
    if c.failed:
        console.print(
            f"{c.failed:,} record(s) failed; later runs retry them until they are parked: "
            f"crmsync failures {report.sync}"
        )


def plan_report(console: Console, report: PlanReport) -> None:
    verdict = "changes to write" if report.has_changes else "nothing to write"
    console.print(f"[bold]{report.sync}[/]: {verdict} ({report.kind}, dry run)")
    console.print(
        table(
            None,
            [
                "read",
                "create",
                "update",
                "archive",
                "unchanged",
                "skipped",
                "would fail",
                "write calls",
            ],
            [
                [
                    report.read,
                    report.to_create,
                    report.to_update,
                    report.to_archive,
                    report.unchanged,
                    report.skipped,
                    report.failing,
                    report.write_calls,
                ]
            ],
        )
    )
    for kind, samples in report.samples.items():
        for sample in samples:
            target = f" -> {sample.target_id}" if sample.target_id else ""
            console.print(f"  [cyan]{kind}[/] {escape(sample.source_id + target)}")
            details = [f"{name}: {_shown(value)}" for name, value in sample.fields.items()]
            details += [f"reason: {sample.reason}"] if sample.reason else []
            for line in details:
                console.print(f"      {line}", markup=False, highlight=False)
    for problem in report.guard_violations:
        console.print(f"[yellow]a run would stop: {escape(problem)}[/]")


def _shown(value: Any) -> str:
    """A sample value as a person reads it: ``'Ada'``, ``20.5``, ``2025-09-02``, ``none``."""
    if isinstance(value, str):
        return repr(value)
    if value is None or isinstance(value, bool):
        return "none" if value is None else str(value).lower()
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return json.dumps(to_jsonable_python(value), ensure_ascii=False)
