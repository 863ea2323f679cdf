"""Applying a plan: write batches, then record what the target acknowledged.

Each batch is written, then its links, failures and audit rows are committed in one
transaction. The cursor moves only in a commit that follows the writes of every record
it covers, so a crash at any point leaves state that a re-run completes without loss
and, thanks to links and idempotent writes, without duplicates.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from crmsync.engine.job import Mode, SyncJob
from crmsync.engine.planner import Interrupted, Plan, PlannedPage, Planner, record_to_json
from crmsync.engine.progress import Progress
from crmsync.engine.spool import Planned
from crmsync.sdk.connector import Capability
from crmsync.sdk.errors import RecordRejectedError
from crmsync.sdk.records import Cursor, Outcome, WriteAction, WriteOp, WriteResult
from crmsync.state import (
    AuditAction,
    AuditEntry,
    BatchCommit,
    FailureWrite,
    Lease,
    LinkStatus,
    LinkWrite,
    RunCounts,
    StateStore,
)

WINDOW_BATCHES = 10  # batches planned before writing, grouped by action

CursorPolicy = Callable[[Cursor | None], Cursor | None]


@dataclass
class _Commit:
    """A BatchCommit under construction."""

    links: list[LinkWrite]
    failures: list[FailureWrite]
    resolved: list[str]
    audit: list[AuditEntry]

    @classmethod
    def empty(cls) -> _Commit:
        return cls([], [], [], [])

    def build(self, cursor: Cursor | None = None) -> BatchCommit:
        return BatchCommit(self.links, self.failures, self.resolved, self.audit, cursor)


class Applier:
    """Writes a plan's items to the target and records the outcome in the state store."""

    def __init__(
        self,
        job: SyncJob,
        store: StateStore,
        lease: Lease,
        run_id: int,
        *,
        failure_ids: frozenset[str],
        progress: Progress,
        stop: threading.Event,
    ) -> None:
        self.job = job
        self.store = store
        self.lease = lease
        self.run_id = run_id
        self.progress = progress
        self.stop = stop
        self.tally = RunCounts()  # what the writes did; planning counts the rest
        self._failure_ids = failure_ids

    def apply_spooled(self, plan: Plan, cursor_for: CursorPolicy) -> None:
        """Write a plan made in advance, window by window, in plan order."""
        size = self.job.effective_batch_size * WINDOW_BATCHES
        for window, next_page in plan.spool.windows(size):
            self._apply_window(window, cursor_for(_reached(plan.checkpoints, next_page)))
        last = plan.checkpoints[-1][1] if plan.checkpoints else None
        self._conclude(plan.planner, cursor_for(last))

    def apply_streamed(
        self, planner: Planner, pages: Iterable[PlannedPage], cursor_for: CursorPolicy
    ) -> None:
        """Write planned pages as they come, a window at a time.

        Items gather until a window is full so that writes go out in full batches. A
        record planned twice before its window is written keeps its first position and
        its newest version; once written, a later copy is planned against its new link.
        """
        size = self.job.effective_batch_size * WINDOW_BATCHES
        window: dict[str, Planned] = {}
        reached: Cursor | None = None
        for page in pages:
            for item in page.items:
                window[item.source_id] = item
            reached = page.checkpoint or reached
            if len(window) >= size:
                self._apply_window(list(window.values()), cursor_for(reached))
                window.clear()
        self._apply_window(list(window.values()), None)
        self._conclude(planner, cursor_for(reached))

    def _conclude(self, planner: Planner, cursor: Cursor | None) -> None:
        """The run's last commit: failures that no longer apply, and the final cursor."""
        final = _Commit.empty()
        final.resolved.extend(planner.moot)
        self._commit(final, cursor)

    def _apply_window(self, window: Sequence[Planned], cursor: Cursor | None) -> None:
        writes: defaultdict[WriteAction, list[Planned]] = defaultdict(list)
        quiet = _Commit.empty()
        for item in window:
            if item.action is not None:
                writes[item.action].append(item)
            else:
                self._record_quiet(item, quiet)
        for items in writes.values():
            for batch in _chunks(items, self.job.effective_batch_size):
                if self.stop.is_set():
                    raise Interrupted
                self._commit(self._write(batch))
                self.progress.advance(len(batch))
        self._commit(quiet, cursor)

    def _commit(self, commit: _Commit, cursor: Cursor | None = None) -> None:
        if commit.links or commit.failures or commit.resolved or commit.audit or cursor:
            self.store.commit(
                self.lease, self.run_id, commit.build(cursor), max_attempts=self.job.max_attempts
            )

    def _record_quiet(self, item: Planned, commit: _Commit) -> None:
        if item.failure is not None:
            reason, code = item.failure
            self._fail(item, reason, code, commit)
            return
        commit.links.append(self._link(item, item.target_id))
        self._resolve(item, commit)
        self.tally.unchanged += 1

    def _write(self, batch: Sequence[Planned]) -> _Commit:
        results = self._call(batch, [_op(item) for item in batch])
        follow = [(i, _follow_up(self.job, i, results[i.source_id])) for i in batch]
        follow_ups = [(item, op) for item, op in follow if op is not None]
        if follow_ups:
            results.update(self._call([i for i, _ in follow_ups], [op for _, op in follow_ups]))
        commit = _Commit.empty()
        for item in batch:
            self._record(item, results[item.source_id], commit)
        return commit

    def _call(self, items: Sequence[Planned], ops: list[WriteOp]) -> dict[str, WriteResult]:
        try:
            results = {r.ref: r for r in self.job.target.write(ops)}
        except RecordRejectedError as exc:  # a connector that writes one record per call
            results = {op.ref: WriteResult.failed(op.ref, exc.message, code=exc.code) for op in ops}
        for item in items:
            if item.source_id not in results:
                results[item.source_id] = WriteResult.failed(
                    item.source_id, "the target returned no result for this record"
                )
        return results

    def _record(self, item: Planned, result: WriteResult, commit: _Commit) -> None:
        outcome = result.outcome
        if outcome is Outcome.FAILED:
            self._fail(item, result.reason or "rejected by the target", result.code, commit)
            return
        if outcome is Outcome.NOT_FOUND and item.action is WriteAction.UPDATE:
            self.tally.skipped += 1  # update-only: the target has no such record
            self._resolve(item, commit)
            return
        target_id = result.target_id or item.target_id
        if outcome in (Outcome.ARCHIVED, Outcome.NOT_FOUND):  # NOT_FOUND: already gone
            commit.links.append(LinkWrite(item.source_id, target_id, "", {}, LinkStatus.ARCHIVED))
            if outcome is Outcome.ARCHIVED:
                commit.audit.append(AuditEntry(item.source_id, target_id, AuditAction.ARCHIVED, ()))
                self.tally.archived += 1
            else:
                self.tally.skipped += 1
            self._resolve(item, commit)
            return
        if target_id is None:
            self._fail(item, "the target did not return the record's id", None, commit)
            return
        commit.links.append(self._link(item, target_id))
        action = _AUDIT.get(outcome) or (None if item.linked else AuditAction.LINKED)
        if action is not None:
            names = tuple(item.field_hashes) if outcome is Outcome.CREATED else item.changed
            commit.audit.append(AuditEntry(item.source_id, target_id, action, names))
        _count(self.tally, outcome)
        self._resolve(item, commit)

    def _link(self, item: Planned, target_id: str | None) -> LinkWrite:
        return LinkWrite(
            item.source_id, target_id, item.fingerprint, item.field_hashes, LinkStatus.LINKED
        )

    def _fail(self, item: Planned, reason: str, code: str | None, commit: _Commit) -> None:
        commit.failures.append(
            FailureWrite(item.source_id, reason, code, record_to_json(item.record))
        )
        self.tally.failed += 1

    def _resolve(self, item: Planned, commit: _Commit) -> None:
        if item.source_id in self._failure_ids:
            commit.resolved.append(item.source_id)


_AUDIT = {Outcome.CREATED: AuditAction.CREATED, Outcome.UPDATED: AuditAction.UPDATED}


def _count(tally: RunCounts, outcome: Outcome) -> None:
    if outcome is Outcome.CREATED:
        tally.created += 1
    elif outcome is Outcome.UPDATED:
        tally.updated += 1
    else:
        tally.unchanged += 1


def _op(item: Planned) -> WriteOp:
    assert item.action is not None
    return WriteOp(item.action, item.source_id, item.fields, item.target_id, item.match)


def _follow_up(job: SyncJob, item: Planned, result: WriteResult) -> WriteOp | None:
    """A second write that completes an upsert the first could not finish.

    A CREATE that found the record already there must still bring it up to date, and an
    UPDATE of a linked record that was deleted in the target re-creates it.
    """
    if job.mode is not Mode.UPSERT:
        return None
    if item.action is WriteAction.CREATE and result.outcome is Outcome.UNCHANGED:
        return WriteOp(WriteAction.UPDATE, item.source_id, item.fields, result.target_id)
    if item.action is WriteAction.UPDATE and result.outcome is Outcome.NOT_FOUND:
        action = (
            WriteAction.UPSERT
            if Capability.UPSERT in job.target.capabilities
            else WriteAction.CREATE
        )
        # An UPDATE carries only the changed fields; a re-created record needs them all.
        fields = job.mapper.map(item.record.fields).fields
        return WriteOp(action, item.source_id, fields, None, item.match)
    return None


def _reached(checkpoints: Sequence[tuple[int, Cursor]], next_page: int | None) -> Cursor | None:
    """The newest checkpoint whose page is entirely written, given the next page to write."""
    reached = None
    for page, checkpoint in checkpoints:
        if next_page is not None and page >= next_page:
            break
        reached = checkpoint
    return reached


def _chunks(items: Sequence[Planned], size: int) -> Iterable[Sequence[Planned]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
