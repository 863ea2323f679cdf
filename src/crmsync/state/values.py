"""The values the state store takes and returns; plain frozen dataclasses, no database types."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from crmsync.sdk.records import Cursor


class LinkStatus(StrEnum):
    """Where a source record stands with its target record."""

    LINKED = "linked"
    ARCHIVED = "archived"  # the target record was archived after the source deleted it


@dataclass(frozen=True, slots=True)
class Link:
    """What the store knows about one source record's counterpart in the target.

    Attributes:
        source_id: the record's id in the source.
        target_id: its id in the target (None only for an archived record the target
            never reported).
        fingerprint: a digest (at most 64 characters) of everything last written.
        field_hashes: a short digest per field last written, to send only what changed.
        status: see :class:`LinkStatus`.
    """

    source_id: str
    target_id: str | None
    fingerprint: str
    field_hashes: Mapping[str, str]
    status: LinkStatus = LinkStatus.LINKED


LinkWrite = Link
"""A link to store: it replaces the sync's link for ``source_id``, if any."""


@dataclass(frozen=True, slots=True)
class FailureWrite:
    """A record that failed in this batch.

    Attributes:
        source_id: the failed record's id.
        reason: why, in words an admin understands.
        code: a short machine-readable reason, when known.
        record: the source record as JSON-able data, so that a later run can retry it.
    """

    source_id: str
    reason: str
    code: str | None = None
    record: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Failure:
    """A record that keeps failing, as stored.

    Attributes:
        sync: the sync it belongs to.
        source_id: the record's id in the source.
        reason: the latest failure's reason.
        code: the latest failure's code.
        attempts: failures since it was first seen (or last unparked).
        first_seen: when it first failed.
        last_seen: when it last failed.
        parked: True once ``attempts`` reached the store's ``max_attempts``; parked records
            are retried only on request (``crmsync retry``).
        record: the latest copy of the source record, if one was given.
    """

    sync: str
    source_id: str
    reason: str
    code: str | None
    attempts: int
    first_seen: datetime
    last_seen: datetime
    parked: bool
    record: Mapping[str, Any] | None


class AuditAction(StrEnum):
    """What a run did to a target record.

    Failures are not audited: the target did not change, and the failures table and the
    run's counts already say what went wrong.
    """

    CREATED = "created"
    UPDATED = "updated"
    ARCHIVED = "archived"
    LINKED = "linked"  # a create found the record already there and linked to it


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One change made to a target record. ``fields`` names the fields, never their values."""

    source_id: str
    target_id: str | None
    action: AuditAction
    fields: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class BatchCommit:
    """Everything one written batch changes in the store, committed in one transaction.

    Attributes:
        links: links to insert or replace.
        failures: records that failed; their attempts go up by one.
        resolved: source ids whose failures are forgotten (they have now succeeded).
        audit: what was done to the target.
        cursor: when set, becomes the sync's cursor; set it only once every record it
            covers is in ``links`` or ``failures`` of this batch or an earlier one.
    """

    links: Sequence[LinkWrite] = ()
    failures: Sequence[FailureWrite] = ()
    resolved: Sequence[str] = ()
    audit: Sequence[AuditEntry] = ()
    cursor: Cursor | None = None


@dataclass(slots=True)
class RunCounts:
    """What a run did, record by record; the engine adds to it as batches land."""

    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    archived: int = 0
    skipped: int = 0
    failed: int = 0
    api_calls: int = 0


class RunOutcome(StrEnum):
    """How a run ended."""

    RUNNING = "running"  # not ended yet
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"  # finished, but some records failed
    FAILED = "failed"
    GUARDED = "guarded"  # stopped by a safety limit before writing
    INTERRUPTED = "interrupted"  # its process stopped without saying; found by the next run


COMPLETED = frozenset({RunOutcome.SUCCEEDED, RunOutcome.PARTIAL})
"""Outcomes of runs that got through all their records (and so moved the cursor)."""


@dataclass(frozen=True, slots=True)
class Lease:
    """The right to run a sync until ``expires_at``; ``renew`` it before then.

    Attributes:
        sync: the sync it is for.
        token: fences writes: once another process takes the lock over, writes made
            with this token are refused.
        expires_at: when the lease runs out unless renewed (as of acquiring or the last
            ``renew``; each ``commit`` also extends it by ``duration``).
        duration: how long each renewal extends it.
    """

    sync: str
    token: str
    expires_at: datetime
    duration: timedelta


@dataclass(frozen=True, slots=True)
class LockHolder:
    """Who holds a sync's lock."""

    owner: str | None
    host: str
    pid: int
    acquired_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class RunRow:
    """One run, as listed by ``crmsync runs``."""

    id: int
    sync: str
    kind: str
    outcome: RunOutcome
    started_at: datetime
    finished_at: datetime | None
    counts: RunCounts
    duration_ms: int | None
    message: str | None
    host: str
    pid: int
    fire_time: datetime | None = None  # the scheduled firing that started it, if any


@dataclass(frozen=True, slots=True)
class AuditRow:
    """One stored audit entry."""

    id: int
    run_id: int
    sync: str
    at: datetime
    source_id: str
    target_id: str | None
    action: AuditAction
    fields: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SyncStatus:
    """Where one sync stands, for ``crmsync status``.

    Attributes:
        sync: its name.
        cursor: where the next incremental run starts reading.
        links: how many source records are linked to a target record.
        failures: failing records still retried by each run.
        parked: failing records set aside until retried by request.
        last_run: the newest run, if any.
        last_completed: when the newest run that got through all its records finished.
        lock: the lock's holder, if held (possibly by an expired lease).
        last_firing: the newest scheduled firing, if a scheduler ever fired the sync.
    """

    sync: str
    cursor: Cursor | None
    links: int
    failures: int
    parked: int
    last_run: RunRow | None
    last_completed: datetime | None
    lock: LockHolder | None = None
    last_firing: Firing | None = None


class FiringOutcome(StrEnum):
    """What became of one scheduled firing of a sync (the run, if any, has its own outcome)."""

    CLAIMED = "claimed"  # a scheduler took it and is running it
    RAN = "ran"  # it started run ``run_id``
    LOCKED = "locked"  # skipped: the sync's previous run still held its lock
    ERROR = "error"  # no run report: the run could not start, or crashed; see ``message``
    INTERRUPTED = "interrupted"  # its scheduler stopped before recording the end; found later


@dataclass(frozen=True, slots=True)
class Firing:
    """One firing of a sync's schedule, claimed by exactly one scheduler process.

    Attributes:
        sync: the sync fired.
        fire_time: the scheduled time: with the sync, the firing's identity.
        outcome: see :class:`FiringOutcome`.
        host: the machine of the scheduler that claimed it.
        pid: that scheduler's process id.
        claimed_at: when it was claimed.
        finished_at: when its outcome was recorded; None while ``claimed``.
        run_id: the run it started, if any.
        message: why it could not run (``locked``, ``error``).
        contenders: how many schedulers tried to claim it, the winner included.
    """

    sync: str
    fire_time: datetime
    outcome: FiringOutcome
    host: str
    pid: int
    claimed_at: datetime
    finished_at: datetime | None
    run_id: int | None
    message: str | None
    contenders: int


@dataclass(frozen=True, slots=True)
class SchedulerProcess:
    """A running ``crmsync scheduler`` process, as its heartbeats show it.

    Attributes:
        id: a random id the process chose when it started.
        host: its machine.
        pid: its process id.
        started_at: when it first reported.
        heartbeat_at: when it last reported.
        expires_at: when it counts as gone unless it reports again.
    """

    id: str
    host: str
    pid: int
    started_at: datetime
    heartbeat_at: datetime
    expires_at: datetime
