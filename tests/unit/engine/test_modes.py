"""Write modes, the delete policy, and targets without an upsert."""

from __future__ import annotations

import pytest

from crmsync.engine.job import DeletePolicy, Mode
from crmsync.sdk.connector import Capability
from crmsync.sdk.errors import NotSupportedError
from crmsync.sdk.records import WriteAction
from crmsync.state import AuditAction, LinkStatus, StateStore

from .conftest import SYNC, Runner, at
from .memory import MemorySource, MemoryTarget


def test_archive_policy_archives_the_linked_target_record(
    source: MemorySource, target: MemoryTarget, run: Runner, store: StateStore
) -> None:
    source.put("c1", at(1))
    source.put("c2", at(2))
    run(delete=DeletePolicy.ARCHIVE)
    source.put("c1", at(3), deleted=True)

    report = run(delete=DeletePolicy.ARCHIVE)

    assert report.counts.archived == 1
    assert [row["email"] for row in target.rows.values()] == ["c2@example.com"]
    assert store.links(SYNC, ["c1"])["c1"].status is LinkStatus.ARCHIVED
    assert store.audit(SYNC, source_id="c1")[0].action is AuditAction.ARCHIVED
    assert store.link_count(SYNC) == 1


def test_ignore_policy_leaves_the_target_record(
    source: MemorySource, target: MemoryTarget, run: Runner
) -> None:
    source.put("c1", at(1))
    run()
    source.put("c1", at(3), deleted=True)

    report = run()

    assert (report.counts.archived, report.counts.skipped) == (0, 1)
    assert len(target.rows) == 1


def test_a_deleted_record_that_was_never_linked_is_skipped(
    source: MemorySource, target: MemoryTarget, run: Runner
) -> None:
    source.put("c1", at(1), deleted=True)
    report = run(delete=DeletePolicy.ARCHIVE)
    assert (report.counts.skipped, target.calls) == (1, [])


def test_update_only_touches_records_the_target_already_has(
    source: MemorySource, target: MemoryTarget, run: Runner, store: StateStore
) -> None:
    target.rows["t99"] = {"email": "c1@example.com", "name": "old"}
    source.put("c1", at(1))
    source.put("c2", at(2))

    report = run(mode=Mode.UPDATE_ONLY)

    assert (report.counts.updated, report.counts.skipped) == (1, 1)
    assert target.rows == {"t99": {"email": "c1@example.com", "name": "c1", "tier": "-"}}
    assert store.links(SYNC, ["c1"])["c1"].target_id == "t99"


def test_create_only_never_modifies_an_existing_record(
    source: MemorySource, target: MemoryTarget, run: Runner
) -> None:
    target.rows["t99"] = {"email": "c1@example.com", "name": "someone else's"}
    source.put("c1", at(1))
    source.put("c2", at(2))
    run(mode=Mode.CREATE_ONLY)
    source.put("c2", at(3), name="renamed")

    report = run(mode=Mode.CREATE_ONLY)

    assert target.rows["t99"]["name"] == "someone else's"
    assert [row["name"] for row in target.rows.values()] == ["someone else's", "c2"]
    assert report.counts.skipped == 1


def test_upsert_without_an_upsert_call_creates_then_brings_existing_records_up_to_date(
    source: MemorySource, run: Runner, store: StateStore
) -> None:
    target = MemoryTarget(capabilities=Capability.CREATE | Capability.UPDATE)
    target.rows["t99"] = {"email": "c1@example.com", "name": "stale"}
    source.put("c1", at(1))

    report = run(target=target)

    assert [op.action for op in target.ops] == [WriteAction.CREATE, WriteAction.UPDATE]
    assert target.rows["t99"]["name"] == "c1"
    assert report.counts.updated == 1
    assert store.links(SYNC, ["c1"])["c1"].target_id == "t99"


def test_a_linked_record_deleted_in_the_target_is_created_again(
    source: MemorySource, target: MemoryTarget, run: Runner
) -> None:
    source.put("c1", at(1))
    run()
    target.rows.clear()
    source.put("c1", at(5), name="changed")

    report = run()

    assert [op.action for op in target.ops[-2:]] == [WriteAction.UPDATE, WriteAction.UPSERT]
    assert [row["name"] for row in target.rows.values()] == ["changed"]
    assert report.counts.created == 1


def test_a_mode_the_target_cannot_do_is_refused_before_anything_runs(
    source: MemorySource, run: Runner
) -> None:
    target = MemoryTarget(capabilities=Capability.CREATE)
    with pytest.raises(NotSupportedError, match="does not support update"):
        run(target=target, mode=Mode.UPDATE_ONLY)
    with pytest.raises(NotSupportedError, match="archive"):
        run(target=target, mode=Mode.CREATE_ONLY, delete=DeletePolicy.ARCHIVE)


def test_a_target_that_only_upserts_gets_changes_as_upserts(
    source: MemorySource, run: Runner
) -> None:
    target = MemoryTarget(capabilities=Capability.UPSERT)
    source.put("c1", at(1))
    run(target=target)
    source.put("c1", at(2), name="renamed")

    run(target=target)

    [first, second] = target.ops
    assert (second.action, dict(second.fields)) == (WriteAction.UPSERT, {"name": "renamed"})
    assert second.match == first.match
    assert [row["name"] for row in target.rows.values()] == ["renamed"]


def test_the_source_is_asked_for_deletions_only_when_the_sync_acts_on_them(
    source: MemorySource, run: Runner
) -> None:
    source.put("c1", at(1))
    run()
    run(delete=DeletePolicy.ARCHIVE)
    assert [r.deletions for r in source.requests] == [False, True]
