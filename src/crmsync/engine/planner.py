"""Planning: read what changed, map it, and compare it with what was written before.

Planning reads the source and the state store and writes nothing, so a dry run is a
plan that is never applied. A run that a guard may stop plans everything into a spool
first; other runs apply each window of planned items as soon as it fills.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from crmsync.engine.fingerprint import Digest, changed_fields
from crmsync.engine.job import DeletePolicy, Mode, RunKind, RunOptions, SyncJob
from crmsync.engine.progress import Progress
from crmsync.engine.spool import Planned, Spool
from crmsync.mapping import MappedRecord
from crmsync.sdk.connector import Capability
from crmsync.sdk.errors import RecordRejectedError
from crmsync.sdk.records import Cursor, Page, ReadRequest, Record, WriteAction
from crmsync.state import Link, LinkStatus, StateStore

UNREADABLE = "unreadable"
MAPPING = "mapping"
_RETRY_CHUNK = 500


class Interrupted(Exception):
    """A stop was requested; the run ends after the work in flight is recorded."""


@dataclass(frozen=True)
class PlannedPage:
    """The items planned from one source page (or one chunk of retried failures).

    ``checkpoint`` is the source page's: once every item of this page and of earlier
    pages is recorded, the cursor may move to it.
    """

    number: int
    items: list[Planned]
    checkpoint: Cursor | None = None


@dataclass
class Plan:
    """A whole run planned in advance, for guards and dry runs.

    Attributes:
        checkpoints: (page number, checkpoint) for every source page that carried one.
    """

    planner: Planner
    spool: Spool
    checkpoints: list[tuple[int, Cursor]] = field(default_factory=list)


def read_request(job: SyncJob, stored: Cursor | None, options: RunOptions) -> ReadRequest | None:
    """What to ask the source for; None when the run reads nothing (a retry)."""
    if options.kind is RunKind.RETRY:
        return None
    request = ReadRequest(
        fields=job.mapper.source_fields, deletions=job.delete is DeletePolicy.ARCHIVE
    )
    if options.kind is RunKind.BACKFILL:
        since = None if options.since is None else Cursor(options.since)
        return replace(request, since=since, until=options.until)
    if options.kind is RunKind.RUN and job.incremental and stored is not None:
        return replace(request, since=stored.rewind(job.effective_lookback))
    return request


class Planner:
    """Decides, record by record, what the target needs.

    Attributes:
        read, unchanged, skipped: counts of records so far.
        moot: source ids whose failure rows no longer apply (the record is now unchanged
            or filtered out), to clear without writing.
        failure_ids: source ids that had a failure row when the run began.
    """

    def __init__(self, job: SyncJob, store: StateStore, options: RunOptions) -> None:
        self.job = job
        self.store = store
        self.options = options
        self.stored = store.cursor(job.name)
        self.request = read_request(job, self.stored, options)
        self.failures = {f.source_id: f for f in store.failures(job.name)}
        self.failure_ids = frozenset(self.failures)
        self.seen_failing: set[str] = set()
        self.read = 0
        self.unchanged = 0
        self.skipped = 0
        self.moot: list[str] = []
        can = job.target.capabilities
        self._create = WriteAction.UPSERT if Capability.UPSERT in can else WriteAction.CREATE
        # A target that upserts but cannot update by id gets changes as upserts by match.
        self._update = WriteAction.UPDATE if Capability.UPDATE in can else WriteAction.UPSERT

    def pages(
        self,
        *,
        progress: Progress,
        stop: threading.Event,
        heartbeat: Callable[[], None] = lambda: None,
    ) -> Iterator[PlannedPage]:
        """Plan the source's pages, then the earlier failures the source did not return."""
        number = 0
        request = self.request
        if request is not None:
            progress.start("reading", None)
            for number, page in enumerate(self.job.source.read(request), start=1):
                if stop.is_set():
                    raise Interrupted
                yield PlannedPage(number, self._plan_page(page, request), page.checkpoint)
                progress.advance(len(page.records) + len(page.rejected))
                heartbeat()
        retry = [
            failure
            for failure in self.failures.values()
            if failure.source_id not in self.seen_failing
            and failure.record is not None
            and failure.code != UNREADABLE
            and (self.options.kind is RunKind.RETRY or not failure.parked)
        ]
        for start in range(0, len(retry), _RETRY_CHUNK):
            chunk = [record_from_json(f.record or {}) for f in retry[start : start + _RETRY_CHUNK]]
            self.read += len(chunk)
            number += 1
            yield PlannedPage(number, self.plan_records(chunk))

    def _plan_page(self, page: Page, request: ReadRequest) -> list[Planned]:
        windowed = request.since is not None or request.until is not None
        records = [r for r in page.records if request.wants(r)] if windowed else page.records
        items = self.plan_records(records)
        items.extend(
            Planned(r.id, Record(r.id, r.raw), failure=(r.reason, UNREADABLE))
            for r in page.rejected
        )
        self.read += len(records) + len(page.rejected)
        return items

    def plan_records(self, records: Sequence[Record]) -> list[Planned]:
        links = self.store.links(self.job.name, [r.id for r in records])
        planned = []
        for record in records:
            if record.id in self.failures:
                self.seen_failing.add(record.id)
            item = self._plan(record, links.get(record.id))
            if item is not None:
                planned.append(item)
            elif record.id in self.failures:
                self.moot.append(record.id)
        return planned

    def _plan(self, record: Record, link: Link | None) -> Planned | None:
        if record.deleted:
            return self._plan_deletion(record, link)
        mapper = self.job.mapper
        if not mapper.accepts(record.fields):
            self.skipped += 1
            return None
        try:
            mapped = mapper.map(record.fields)
        except RecordRejectedError as exc:
            return Planned(record.id, record, failure=(exc.message, exc.code or MAPPING))
        digest = Digest(mapped.fields)
        if link is not None and link.status is LinkStatus.LINKED and link.target_id:
            return self._plan_linked(record, link, mapped, digest)
        return Planned(
            record.id,
            record,
            action=self._unlinked_action(),
            fields=dict(mapped.fields),
            match=mapped.match,
            fingerprint=digest.fingerprint,
            field_hashes=digest.field_hashes,
            changed=tuple(mapped.fields),
        )

    def _plan_linked(
        self, record: Record, link: Link, mapped: MappedRecord, digest: Digest
    ) -> Planned | None:
        if link.fingerprint == digest.fingerprint:
            self.unchanged += 1
            return None
        if self.job.mode is Mode.CREATE_ONLY:
            self.skipped += 1
            return None
        hashes = digest.field_hashes
        changed = changed_fields(hashes, link.field_hashes)
        return Planned(
            record.id,
            record,
            action=self._update if changed else None,
            fields={name: mapped.fields[name] for name in changed},
            target_id=link.target_id,
            match=mapped.match,
            fingerprint=digest.fingerprint,
            field_hashes=hashes,
            changed=changed,
            linked=True,
        )

    def _unlinked_action(self) -> WriteAction:
        if self.job.mode is Mode.UPDATE_ONLY:
            return WriteAction.UPDATE
        if self.job.mode is Mode.CREATE_ONLY:
            return WriteAction.CREATE
        return self._create

    def _plan_deletion(self, record: Record, link: Link | None) -> Planned | None:
        archivable = link is not None and link.status is LinkStatus.LINKED and link.target_id
        if self.job.delete is DeletePolicy.ARCHIVE and archivable:
            assert link is not None
            return Planned(
                record.id, record, action=WriteAction.ARCHIVE, target_id=link.target_id, linked=True
            )
        self.skipped += 1
        return None


def spool_plan(
    planner: Planner,
    *,
    progress: Progress,
    stop: threading.Event,
    heartbeat: Callable[[], None] = lambda: None,
) -> Plan:
    """Plan the whole run into a spool before anything is written."""
    plan = Plan(planner, Spool())
    try:
        for page in planner.pages(progress=progress, stop=stop, heartbeat=heartbeat):
            plan.spool.add(page.number, page.items)
            if page.checkpoint is not None:
                plan.checkpoints.append((page.number, page.checkpoint))
    except BaseException:
        plan.spool.close()
        raise
    return plan


def record_to_json(record: Record) -> dict[str, Any]:
    """A source record as JSON-able data for the failures table (to retry it later)."""
    return {
        "id": record.id,
        "updated_at": None if record.updated_at is None else record.updated_at.isoformat(),
        "deleted": record.deleted,
        "fields": _jsonable(record.fields),
    }


def record_from_json(data: Mapping[str, Any]) -> Record:
    updated_at = data.get("updated_at")
    return Record(
        id=str(data["id"]),
        fields=data.get("fields") or {},
        updated_at=None if updated_at is None else datetime.fromisoformat(updated_at),
        deleted=bool(data.get("deleted", False)),
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
