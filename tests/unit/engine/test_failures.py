"""Failures: one bad record never stops its batch-mates, and is retried, parked, resolved."""

from __future__ import annotations

from crmsync.engine.job import RunKind, RunOptions
from crmsync.sdk.errors import RecordRejectedError
from crmsync.sdk.records import Rejected
from crmsync.state import RunOutcome, StateStore

from .conftest import SYNC, Runner, at
from .memory import MemorySource, MemoryTarget


def _failures(store: StateStore) -> dict[str, tuple[int, bool, str]]:
    return {f.source_id: (f.attempts, f.parked, f.reason) for f in store.failures(SYNC)}


def test_a_record_the_target_rejects_fails_alone(
    source: MemorySource, target: MemoryTarget, run: Runner, store: StateStore
) -> None:
    for i in range(3):
        source.put(f"c{i}", at(i))
    target.rejects["c1@example.com"] = "Property values were not valid: phone"

    report = run()

    assert report.outcome is RunOutcome.PARTIAL
    assert (report.counts.created, report.counts.failed) == (2, 1)
    assert sorted(row["email"] for row in target.rows.values()) == [
        "c0@example.com",
        "c2@example.com",
    ]
    assert _failures(store) == {"c1": (1, False, "Property values were not valid: phone")}
    [failure] = store.failures(SYNC)
    assert failure.record is not None
    assert failure.record["fields"]["email"] == "c1@example.com"


def test_a_record_that_cannot_be_mapped_fails_alone(
    source: MemorySource, target: MemoryTarget, run: Runner, store: StateStore
) -> None:
    source.put("good", at(1))
    source.put("bad", at(2), email="not an email")

    report = run()

    assert (report.counts.created, report.counts.failed) == (1, 1)
    [(_, _, reason)] = _failures(store).values()
    assert "not an email address" in reason
    assert [op.ref for op in target.ops] == ["good"]


def test_failures_are_retried_on_the_next_run_and_cleared_when_they_succeed(
    source: MemorySource, target: MemoryTarget, run: Runner, store: StateStore
) -> None:
    source.put("c1", at(1))
    target.rejects["c1@example.com"] = "busy"
    run()
    run()  # the source did not change: the failure alone is retried
    assert _failures(store) == {"c1": (2, False, "busy")}

    del target.rejects["c1@example.com"]
    report = run()

    assert report.counts.created == 1
    assert store.failures(SYNC) == []
    assert target.by_email("c1@example.com") is not None


def test_a_record_that_keeps_failing_is_parked_and_retried_only_on_request(
    source: MemorySource, target: MemoryTarget, run: Runner, store: StateStore
) -> None:
    source.put("c1", at(1))
    target.rejects["c1@example.com"] = "busy"
    for _ in range(3):
        run(max_attempts=3)
    assert _failures(store) == {"c1": (3, True, "busy")}
    calls = len(target.calls)

    run(max_attempts=3)
    assert len(target.calls) == calls  # parked: not retried by ordinary runs

    report = run(RunOptions(RunKind.RETRY), max_attempts=3)
    assert (report.counts.read, report.counts.failed) == (1, 1)
    assert _failures(store) == {"c1": (1, False, "busy")}  # a fresh set of attempts

    del target.rejects["c1@example.com"]
    report = run(RunOptions(RunKind.RETRY))
    assert (report.counts.read, report.counts.created) == (1, 1)
    assert store.failures(SYNC) == []


def test_a_fresh_version_of_a_failed_record_replaces_the_retry(
    source: MemorySource, target: MemoryTarget, run: Runner, store: StateStore
) -> None:
    source.put("c1", at(1), email="broken")
    run()
    source.put("c1", at(5))  # fixed at the source

    report = run()

    assert (report.counts.read, report.counts.created) == (1, 1)  # read once, not twice
    assert store.failures(SYNC) == []


def test_a_failure_that_no_longer_applies_is_cleared(
    source: MemorySource, run: Runner, store: StateStore
) -> None:
    source.put("c1", at(1), email="broken")
    run()
    source.put("c1", at(5), email="broken", opted_in=False)  # now filtered out

    run()

    assert store.failures(SYNC) == []


def test_unreadable_source_rows_are_recorded_and_not_retried_from_storage(
    source: MemorySource, target: MemoryTarget, run: Runner, store: StateStore
) -> None:
    source.put("c1", at(1))
    source.unreadable = [Rejected("line 7", "updated_at: expected a date, found 'soon'")]

    report = run()
    source.unreadable = []
    again = run()

    assert (report.counts.created, report.counts.failed) == (1, 1)
    assert _failures(store) == {"line 7": (1, False, "updated_at: expected a date, found 'soon'")}
    assert again.counts.read == 0  # an unreadable row can only come back by being read again


def test_a_connector_that_rejects_a_whole_call_fails_only_its_records(
    source: MemorySource, target: MemoryTarget, run: Runner, store: StateStore
) -> None:
    for i in range(4):
        source.put(f"c{i}", at(i))
    target.fail_call = lambda n: RecordRejectedError("Email can't be blank") if n == 1 else None

    report = run()

    assert (report.outcome, report.counts.created, report.counts.failed) == (
        RunOutcome.PARTIAL,
        2,
        2,
    )
    assert _failures(store) == {
        "c0": (1, False, "Email can't be blank"),
        "c1": (1, False, "Email can't be blank"),
    }
