"""An in-memory platform for engine tests: every read and write is visible and steerable."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from itertools import count
from typing import Any

from crmsync.sdk.connector import Capability, ObjectType
from crmsync.sdk.records import (
    Outcome,
    Page,
    ReadRequest,
    Record,
    Rejected,
    WriteAction,
    WriteOp,
    WriteResult,
)
from crmsync.sdk.schema import ObjectSchema

EVERYTHING = Capability.CREATE | Capability.UPSERT | Capability.UPDATE | Capability.ARCHIVE


class MemorySource(ObjectType):
    """Source records held in memory, read in (updated_at, id) order with page checkpoints."""

    name = "contacts"
    key = "id"
    cursor_field = "updated_at"
    capabilities = Capability.READ | Capability.INCREMENTAL | Capability.DELETES

    def __init__(self, page_size: int = 3) -> None:
        self.records: dict[str, Record] = {}
        self.unreadable: list[Rejected] = []
        self.page_size = page_size
        self.requests: list[ReadRequest] = []
        self.on_page: Callable[[int], None] = lambda number: None

    def put(
        self, record_id: str, at: datetime | None, *, deleted: bool = False, **fields: Any
    ) -> None:
        """Create or change a record; ``fields`` default to a contact named after the id."""
        values = {"id": record_id, "email": f"{record_id}@example.com", "name": record_id}
        self.records[record_id] = Record(record_id, values | fields, at, deleted)

    def describe(self) -> ObjectSchema:
        return ObjectSchema(open=True)

    def read(self, request: ReadRequest) -> Iterator[Page]:
        self.requests.append(request)
        # Undated records come first; they cannot be placed, so every read returns them.
        ordered = sorted(
            self.records.values(), key=lambda r: (r.updated_at is not None, r.updated_at, r.id)
        )
        wanted = [r for r in ordered if request.wants(r)]
        for number, start in enumerate(range(0, len(wanted), self.page_size), start=1):
            self.on_page(number)
            records = wanted[start : start + self.page_size]
            rejected = self.unreadable if start == 0 else []
            yield Page(records, records[-1].cursor or request.since, rejected)
        if not wanted:
            yield Page([], request.since, self.unreadable)


class MemoryTarget(ObjectType):
    """A target keyed by email that records every call; CREATE never duplicates an email."""

    name = "affiliates"
    key = "id"

    def __init__(self, *, capabilities: Capability = EVERYTHING, max_batch_size: int = 2) -> None:
        self.capabilities = capabilities
        self.max_batch_size = max_batch_size
        self.rows: dict[str, dict[str, Any]] = {}
        self.calls: list[list[WriteOp]] = []
        self.rejects: dict[str, str] = {}  # email -> the reason the platform gives
        self.fail_call: Callable[[int], BaseException | None] = lambda number: None
        self.finished = 0
        self._ids = count(1)

    def describe(self) -> ObjectSchema:
        return ObjectSchema(open=True)

    def write(self, ops: Sequence[WriteOp]) -> list[WriteResult]:
        assert len(ops) <= self.max_batch_size, "the engine sent more than max_batch_size ops"
        self.calls.append(list(ops))
        failure = self.fail_call(len(self.calls))
        if failure is not None:
            raise failure
        return [self._apply(op) for op in ops]

    def finish(self) -> None:
        self.finished += 1

    @property
    def ops(self) -> list[WriteOp]:
        """Every op ever sent, in order."""
        return [op for call in self.calls for op in call]

    def by_email(self, email: str) -> str | None:
        return next((i for i, row in self.rows.items() if row.get("email") == email), None)

    def _apply(self, op: WriteOp) -> WriteResult:
        email = op.match.value if op.match else op.fields.get("email")
        if email in self.rejects:
            return WriteResult.failed(op.ref, self.rejects[email], code="VALIDATION_ERROR")
        if op.action is WriteAction.ARCHIVE:
            return self._archive(op)
        existing = op.target_id if op.target_id is not None else self.by_email(str(email))
        if existing is None or existing not in self.rows:
            if op.action is WriteAction.UPDATE:
                return WriteResult(op.ref, Outcome.NOT_FOUND)
            new_id = f"t{next(self._ids)}"
            self.rows[new_id] = dict(op.fields)
            return WriteResult(op.ref, Outcome.CREATED, new_id)
        if op.action is WriteAction.CREATE:
            return WriteResult(op.ref, Outcome.UNCHANGED, existing)
        merged = self.rows[existing] | dict(op.fields)
        outcome = Outcome.UNCHANGED if merged == self.rows[existing] else Outcome.UPDATED
        self.rows[existing] = merged
        return WriteResult(op.ref, outcome, existing)

    def _archive(self, op: WriteOp) -> WriteResult:
        if op.target_id not in self.rows:
            return WriteResult(op.ref, Outcome.NOT_FOUND)
        del self.rows[op.target_id]
        return WriteResult(op.ref, Outcome.ARCHIVED, op.target_id)
