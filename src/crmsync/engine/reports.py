"""What a run or a dry run tells its caller."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from crmsync.engine.job import RunKind
from crmsync.state import RunOutcome


@dataclass(frozen=True)
class Counts:
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    archived: int = 0
    skipped: int = 0
    failed: int = 0


@dataclass(frozen=True)
class RunReport:
    """The result of ``run_sync``."""

    sync: str
    run_id: int
    kind: RunKind
    outcome: RunOutcome
    counts: Counts
    api_calls: dict[str, int]
    started_at: datetime
    duration_s: float
    message: str | None = None

    @property
    def total_api_calls(self) -> int:
        return sum(self.api_calls.values())


@dataclass(frozen=True)
class Sample:
    """One planned write, shown by a dry run."""

    source_id: str
    target_id: str | None
    fields: dict[str, Any]


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
