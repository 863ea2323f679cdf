"""Runs that break, are stopped, or collide: nothing is lost or written twice.

The process-level proof (kill -9 at many points) is tests/e2e/test_kill.py; these tests
cover the same rules in process, where each failure point can be placed exactly.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import replace
from datetime import timedelta

import pytest

from crmsync.engine.job import Guards, Limit, SyncJob
from crmsync.engine.runner import run_sync
from crmsync.sdk.errors import AuthError, SyncLockedError, TransientApiError
from crmsync.sdk.records import WriteOp, WriteResult
from crmsync.sdk.usage import RequestCounter
from crmsync.state import LockHolder, RunOutcome, StateStore
from crmsync.testing.clock import FakeClock

from .conftest import SYNC, Runner, at
from .memory import MemorySource, MemoryTarget

GUARDED = Guards(creates=Limit(count=1000))  # a guard that never trips, to plan in advance


def _seed(source: MemorySource, n: int) -> None:
    for i in range(n):
        source.put(f"c{i:02d}", at(i))


def _assert_each_record_once(source: MemorySource, target: MemoryTarget) -> None:
    emails = Counter(row["email"] for row in target.rows.values())
    assert emails == Counter(f"{record_id}@example.com" for record_id in source.records)


@pytest.mark.parametrize("guards", [Guards(), GUARDED], ids=["streamed", "spooled"])
@pytest.mark.parametrize("failing_call", [1, 2, 4, 6])
def test_an_outage_mid_run_loses_nothing_and_the_next_run_completes(
    source: MemorySource,
    target: MemoryTarget,
    run: Runner,
    store: StateStore,
    guards: Guards,
    failing_call: int,
) -> None:
    _seed(source, 11)  # six write calls of two
    target.fail_call = lambda n: (
        TransientApiError("503 from the target") if n == failing_call else None
    )

    broken = run(guards=guards)

    assert broken.outcome is RunOutcome.FAILED
    assert broken.message == "503 from the target"
    assert store.link_count(SYNC) == 2 * (failing_call - 1)
    cursor = store.cursor(SYNC)
    assert cursor is None or cursor.updated_at <= at(2 * (failing_call - 1))

    target.fail_call = lambda n: None
    healed = run(guards=guards)

    assert healed.outcome is RunOutcome.SUCCEEDED
    _assert_each_record_once(source, target)
    assert store.link_count(SYNC) == 11


def test_a_crash_between_a_write_and_its_commit_is_completed_without_duplicates(
    source: MemorySource, target: MemoryTarget, run: Runner, store: StateStore
) -> None:
    _seed(source, 6)

    class Crash(BaseException):
        """Stands for the process dying: it escapes every except clause."""

    original = target._apply
    target.fail_call = lambda n: None
    writes = 0

    def apply_then_die(op: WriteOp) -> WriteResult:
        nonlocal writes
        result = original(op)
        writes += 1
        if writes == 3:  # the second batch reached the target, its commit never happens
            raise Crash
        return result

    target._apply = apply_then_die  # type: ignore[method-assign]
    with pytest.raises(Crash):
        run()
    target._apply = original  # type: ignore[method-assign]
    assert store.link_count(SYNC) == 2

    run()

    _assert_each_record_once(source, target)
    assert store.link_count(SYNC) == 6


def test_a_stop_request_ends_the_run_after_the_batch_in_flight(
    source: MemorySource, target: MemoryTarget, job: SyncJob, store: StateStore, clock: FakeClock
) -> None:
    _seed(source, 8)
    stop = threading.Event()
    target.fail_call = lambda n: stop.set() if n == 2 else None  # a signal arrives mid-run

    report = run_sync(job, store, counter=RequestCounter(), clock=clock, stop=stop)

    assert report.outcome is RunOutcome.INTERRUPTED
    assert (len(target.calls), store.link_count(SYNC)) == (2, 4)
    assert run_sync(job, store, counter=RequestCounter(), clock=clock).counts.created == 4
    _assert_each_record_once(source, target)


def test_a_run_holds_its_lock_under_the_name_of_who_started_it(
    source: MemorySource, target: MemoryTarget, job: SyncJob, store: StateStore, clock: FakeClock
) -> None:
    source.put("c1", at(1))
    held: list[LockHolder | None] = []

    def note_the_holder(call: int) -> None:
        held.append(store.status()[0].lock)

    target.fail_call = note_the_holder

    run_sync(job, store, counter=RequestCounter(), clock=clock, owner="crmsync scheduler")

    assert [holder.owner for holder in held if holder is not None] == ["crmsync scheduler"]


def test_a_second_run_of_the_same_sync_is_refused(
    source: MemorySource, target: MemoryTarget, run: Runner, store: StateStore
) -> None:
    _seed(source, 2)
    store.acquire(SYNC, lease=timedelta(minutes=5), owner="scheduler-1")

    with pytest.raises(SyncLockedError, match="already running"):
        run()
    assert target.calls == []


def test_a_record_returned_twice_in_one_run_is_written_once(
    source: MemorySource, target: MemoryTarget, job: SyncJob, store: StateStore, clock: FakeClock
) -> None:
    _seed(source, 5)
    original = source.read

    def read_with_a_repeat(request):  # type: ignore[no-untyped-def]
        pages = list(original(request))
        yield from pages
        yield replace(pages[0], records=pages[0].records[:1])  # c00 again, after the rest

    source.read = read_with_a_repeat  # type: ignore[method-assign]
    for guards in (Guards(), GUARDED):
        target.rows.clear()
        target.calls.clear()
        store.reset(SYNC)
        run_sync(replace(job, guards=guards), store, counter=RequestCounter(), clock=clock)
        assert Counter(op.ref for op in target.ops)["c00"] == 1
        _assert_each_record_once(source, target)


def test_runs_that_no_guard_can_stop_write_while_they_read(
    source: MemorySource, target: MemoryTarget, run: Runner
) -> None:
    _seed(source, 90)  # 30 pages of 3; a window is 10 batches of 2
    written_when: dict[int, int] = {}

    def note(number: int) -> None:
        written_when[number] = len(target.ops)

    source.on_page = note

    run()

    assert written_when[30] >= 60  # by the last page, most records were already written
    assert written_when[1] == 0


def test_the_error_that_stopped_a_run_is_reported(
    source: MemorySource, target: MemoryTarget, run: Runner
) -> None:
    source.put("c1", at(1))
    target.fail_call = lambda n: AuthError("the token was revoked")

    report = run()

    assert report.outcome is RunOutcome.FAILED
    assert isinstance(report.error, AuthError)


def test_a_second_signal_stops_at_once_and_the_run_is_recorded_as_interrupted(
    source: MemorySource, target: MemoryTarget, run: Runner, store: StateStore
) -> None:
    source.put("c1", at(1))
    target.fail_call = lambda n: KeyboardInterrupt()

    with pytest.raises(KeyboardInterrupt):
        run()

    [row] = store.runs(SYNC)
    assert (row.outcome, row.message) == (RunOutcome.INTERRUPTED, "stopped at once (second signal)")
    assert store.status()[0].lock is None
