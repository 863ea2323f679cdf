"""What a run or a dry run tells its caller."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from crmsync.engine.job import RunKind
from crmsync.sdk.errors import CrmsyncError
from crmsync.state import RunCounts, RunOutcome


@dataclass(frozen=True)
class RunReport:
    """The result of ``run_sync``.

    ``error`` is the error that stopped a failed run (its text is ``message``), so that
    callers can tell credentials from outages; JSON output shows it as its message.
    """

    sync: str
    run_id: int
    kind: RunKind
    outcome: RunOutcome
    counts: RunCounts
    api_calls: dict[str, int]
    started_at: datetime
    duration_s: float
    message: str | None = None
    error: CrmsyncError | None = field(default=None, compare=False)

    @property
    def total_api_calls(self) -> int:
        return sum(self.api_calls.values())


@dataclass(frozen=True)
class Sample:
    """One planned write (or, with ``reason``, a record that would fail), for dry runs."""

    source_id: str
    target_id: str | None
    fields: dict[str, Any]
    reason: str | None = None


@dataclass(frozen=True)
class PlanReport:
    """The result of ``plan_sync``: what a run would do, computed without writing."""

    sync: str
    kind: RunKind
    read: int
    to_create: int
    to_update: int
    to_archive: int
    unchanged: int
    skipped: int
    failing: int
    write_calls: int
    api_calls: dict[str, int]
    samples: dict[str, list[Sample]] = field(default_factory=dict)
    guard_violations: list[str] = field(default_factory=list)

    @property
    def has_changes(self) -> bool:
        return bool(self.to_create or self.to_update or self.to_archive)
