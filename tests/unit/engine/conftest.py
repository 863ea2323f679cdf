"""Engine test fixtures: an in-memory source and target, a compiled map, a runner."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Protocol

import pytest

from crmsync import yamlfile
from crmsync.engine.job import RunOptions, SyncJob
from crmsync.engine.reports import PlanReport, RunReport
from crmsync.engine.runner import plan_sync, run_sync
from crmsync.mapping import compile_map, parse_field_map
from crmsync.sdk.usage import RequestCounter
from crmsync.state import StateStore
from crmsync.testing.clock import FakeClock

from .memory import MemorySource, MemoryTarget

MAP = """\
version: 1
match: {source: email, target: email, transforms: [strip, lower]}
filter: {field: opted_in, not_equals: false}
fields:
  email: {source: email, transforms: [email], required: true}
  name: name
  tier: {source: tier, map: {gold: G, silver: S}, default: "-"}
"""

SYNC = "contacts-to-affiliates"


def at(minutes: float) -> datetime:
    """A time ``minutes`` after the fake clock's start (2026-01-01 00:00 UTC)."""
    return FakeClock().now() + timedelta(minutes=minutes)


def mapper(text: str = MAP) -> Any:
    return compile_map(parse_field_map(yamlfile.loads(text, "test-map.yaml")))


class Runner(Protocol):
    def __call__(self, options: RunOptions | None = None, **job: Any) -> RunReport: ...


@pytest.fixture
def source() -> MemorySource:
    return MemorySource()


@pytest.fixture
def target() -> MemoryTarget:
    return MemoryTarget()


@pytest.fixture
def job(source: MemorySource, target: MemoryTarget) -> SyncJob:
    return SyncJob(name=SYNC, source=source, target=target, mapper=mapper())


@pytest.fixture
def clock() -> FakeClock:
    """The fake clock, moved one day ahead so that source times lie in the past."""
    clock = FakeClock()
    clock.advance(86400)
    return clock


@pytest.fixture
def run(job: SyncJob, store: StateStore, clock: FakeClock) -> Runner:
    """Run the sync; keyword arguments replace fields of the job for that run."""

    def run_once(options: RunOptions | None = None, **changes: Any) -> RunReport:
        return run_sync(
            replace(job, **changes), store, options, counter=RequestCounter(), clock=clock
        )

    return run_once


@pytest.fixture
def plan(job: SyncJob, store: StateStore) -> Callable[..., PlanReport]:
    def plan_once(options: RunOptions | None = None, **changes: Any) -> PlanReport:
        return plan_sync(replace(job, **changes), store, options, counter=RequestCounter())

    return plan_once
