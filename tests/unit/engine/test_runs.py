"""Runs: idempotence, incremental reads, changed fields only, the cursor's rules."""

from __future__ import annotations

from datetime import timedelta

from crmsync.engine.job import RunKind, RunOptions
from crmsync.sdk.records import Cursor, WriteAction
from crmsync.state import AuditAction, RunOutcome, StateStore
from crmsync.testing.clock import FakeClock

from .conftest import SYNC, Runner, at
from .memory import MemorySource, MemoryTarget


def _seed(source: MemorySource, n: int) -> None:
    for i in range(n):
        source.put(f"c{i:02d}", at(i), tier="gold")


def test_first_run_creates_every_record(
    source: MemorySource, target: MemoryTarget, run: Runner, store: StateStore
) -> None:
    _seed(source, 5)

    report = run()

    assert report.outcome is RunOutcome.SUCCEEDED
    assert (report.counts.read, report.counts.created) == (5, 5)
    assert sorted(row["email"] for row in target.rows.values()) == [
        f"c{i:02d}@example.com" for i in range(5)
    ]
    assert [len(call) for call in target.calls] == [2, 2, 1]  # batches of max_batch_size
    assert store.link_count(SYNC) == 5
    assert target.finished == 1


def test_a_second_run_writes_nothing(
    source: MemorySource, target: MemoryTarget, run: Runner
) -> None:
    _seed(source, 5)
    run()
    calls = len(target.calls)

    incremental = run()
    full = run(RunOptions(RunKind.FULL_REFRESH))

    assert len(target.calls) == calls
    assert (incremental.counts.read, incremental.counts.created) == (0, 0)
    assert (full.counts.read, full.counts.unchanged, full.counts.updated) == (5, 5, 0)


def test_only_changed_records_and_changed_fields_are_written(
    source: MemorySource, target: MemoryTarget, run: Runner, store: StateStore
) -> None:
    _seed(source, 4)
    run()
    source.put("c02", at(100), tier="silver")
    calls = len(target.calls)

    report = run()

    [op] = target.ops[-1:]
    assert len(target.calls) == calls + 1
    assert (op.action, op.ref, dict(op.fields)) == (WriteAction.UPDATE, "c02", {"tier": "S"})
    assert report.counts.updated == 1
    [entry, *_] = store.audit(SYNC, source_id="c02")
    assert (entry.action, entry.fields) == (AuditAction.UPDATED, ("tier",))


def test_the_cursor_moves_to_the_last_record_read(
    source: MemorySource, run: Runner, store: StateStore
) -> None:
    _seed(source, 5)

    run()

    assert store.cursor(SYNC) == Cursor(at(4), "c04")


def test_the_cursor_never_passes_the_runs_start(
    source: MemorySource, run: Runner, store: StateStore, clock: FakeClock
) -> None:
    started = clock.now()
    source.put("late", started + timedelta(minutes=5))  # changed while the run was reading

    run()

    assert store.cursor(SYNC) == Cursor(started)
    assert run().counts.read == 1  # read again next time, without being written again


def test_incremental_runs_read_from_the_cursor_minus_the_lookback(
    source: MemorySource, target: MemoryTarget, run: Runner
) -> None:
    _seed(source, 5)
    run()
    source.put("c05", at(10))

    report = run(lookback=timedelta(seconds=90))

    assert source.requests[-1].since == Cursor(at(4) - timedelta(seconds=90))
    assert report.counts.read == 3  # c03, c04 again (unchanged) and the new c05
    assert (report.counts.created, report.counts.unchanged) == (1, 2)
    assert target.ops[-1].ref == "c05"


def test_records_sharing_a_timestamp_across_pages_are_each_read_once(
    source: MemorySource, target: MemoryTarget, run: Runner
) -> None:
    for i in range(7):
        source.put(f"s{i}", at(1))  # seven records, one timestamp, three pages

    run()
    source.put("s7", at(1))  # arrives late with the same timestamp, after the cursor's id
    report = run()

    assert report.counts.created == 1
    assert len(target.rows) == 8
    assert sorted(op.ref for op in target.ops) == [f"s{i}" for i in range(8)]


def test_the_read_asks_only_for_the_fields_the_map_uses(source: MemorySource, run: Runner) -> None:
    _seed(source, 1)
    run()
    assert source.requests[0].fields == frozenset({"email", "name", "tier", "opted_in"})


def test_full_refresh_rewrites_only_what_differs(
    source: MemorySource, target: MemoryTarget, run: Runner
) -> None:
    _seed(source, 3)
    run()
    target.rows.clear()  # the target lost everything behind crmsync's back

    report = run(RunOptions(RunKind.FULL_REFRESH))

    assert (report.counts.read, report.counts.unchanged) == (3, 3)
    assert target.rows == {}  # fingerprints say nothing changed: use `state reset` to resend


def test_a_backfill_reads_its_window_and_leaves_the_cursor_alone(
    source: MemorySource, target: MemoryTarget, run: Runner, store: StateStore
) -> None:
    _seed(source, 6)
    run()
    cursor = store.cursor(SYNC)
    for i in (1, 2, 4):
        source.put(f"c{i:02d}", at(i), tier="silver")  # same times: the cursor cannot see them
    calls = len(target.calls)

    report = run(RunOptions(RunKind.BACKFILL, since=at(1), until=at(3)))

    assert report.counts.read == 3  # c01, c02, c03: the window includes both ends
    assert report.counts.updated == 2
    assert sorted(op.ref for call in target.calls[calls:] for op in call) == ["c01", "c02"]
    assert store.cursor(SYNC) == cursor  # c04's change waits for a run or a wider backfill


def test_records_without_a_modified_time_are_read_on_every_run(
    source: MemorySource, target: MemoryTarget, run: Runner
) -> None:
    source.put("undated", None)
    source.put("dated", at(1))
    run()
    source.put("undated", None, name="changed")  # its change cannot be placed in time

    report = run()

    assert (report.counts.read, report.counts.updated) == (1, 1)
    assert [row["name"] for row in target.rows.values()] == ["changed", "dated"]
