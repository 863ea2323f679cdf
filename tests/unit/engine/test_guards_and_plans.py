"""Mass-change guards stop a run before its first write; dry runs never write."""

from __future__ import annotations

from collections.abc import Callable

from crmsync.engine.job import DeletePolicy, Guards, Limit, RunOptions
from crmsync.engine.reports import PlanReport
from crmsync.state import RunOutcome, StateStore

from .conftest import SYNC, Runner, at
from .memory import MemorySource, MemoryTarget

Plan = Callable[..., PlanReport]


def _seed(source: MemorySource, n: int) -> None:
    for i in range(n):
        source.put(f"c{i:02d}", at(i))


def test_a_guard_stops_the_run_before_it_writes(
    source: MemorySource, target: MemoryTarget, run: Runner, store: StateStore
) -> None:
    _seed(source, 5)

    report = run(guards=Guards(creates=Limit(count=3)))

    assert report.outcome is RunOutcome.GUARDED
    assert report.message == (
        "stopped before writing: would create 5 records, more than max_creates: 3. "
        "Run with --force to proceed."
    )
    assert (target.calls, store.link_count(SYNC), store.cursor(SYNC)) == ([], 0, None)
    assert store.runs(SYNC)[0].outcome is RunOutcome.GUARDED


def test_force_proceeds_past_a_guard(
    source: MemorySource, target: MemoryTarget, run: Runner
) -> None:
    _seed(source, 5)
    report = run(RunOptions(force=True), guards=Guards(creates=Limit(count=3)))
    assert (report.outcome, len(target.rows)) == (RunOutcome.SUCCEEDED, 5)


def test_a_share_of_linked_records_guards_mass_archiving(
    source: MemorySource, target: MemoryTarget, run: Runner
) -> None:
    _seed(source, 10)
    guards = Guards(archives=Limit(percent=20))
    run(delete=DeletePolicy.ARCHIVE, guards=guards)  # nothing linked yet: shares cannot apply
    for i in range(3):
        source.put(f"c{i:02d}", at(20 + i), deleted=True)

    report = run(delete=DeletePolicy.ARCHIVE, guards=guards)

    assert report.outcome is RunOutcome.GUARDED
    assert "would archive 3 records (30% of 10 linked), more than max_archives: 20% (2)" in str(
        report.message
    )
    assert len(target.rows) == 10


def test_a_run_within_its_guards_writes_everything(
    source: MemorySource, target: MemoryTarget, run: Runner, store: StateStore
) -> None:
    _seed(source, 5)
    report = run(guards=Guards(creates=Limit(count=5)))  # planned first, then written
    assert (report.outcome, len(target.rows), store.link_count(SYNC)) == (
        RunOutcome.SUCCEEDED,
        5,
        5,
    )


def test_a_dry_run_reports_the_plan_and_writes_nothing(
    source: MemorySource, target: MemoryTarget, plan: Plan, run: Runner, store: StateStore
) -> None:
    _seed(source, 4)
    run()
    source.put("c01", at(50), name="renamed")
    source.put("c09", at(51))
    source.put("bad", at(52), email="nope")

    report = plan(guards=Guards(creates=Limit(count=0)))

    assert (report.to_create, report.to_update, report.unchanged, report.failing) == (1, 1, 0, 1)
    assert report.has_changes
    assert report.write_calls == 2  # one upsert batch, one update batch
    assert report.samples["update"][0].fields == {"name": "renamed"}
    assert report.guard_violations == ["would create 1 record, more than max_creates: 0"]
    assert len(target.rows) == 4
    assert [r.id for r in store.runs(SYNC)] == [1]  # the dry run left no run behind
    assert store.failures(SYNC) == []


def test_a_dry_run_with_nothing_to_do_has_no_changes(
    source: MemorySource, plan: Plan, run: Runner
) -> None:
    _seed(source, 3)
    run()
    assert not plan().has_changes
