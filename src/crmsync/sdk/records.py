"""The values that flow between connectors and the engine: records, pages, cursors, writes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import total_ordering
from typing import Any

_EMPTY: Mapping[str, Any] = {}


def utc(value: datetime) -> datetime:
    """Return ``value`` as an aware UTC datetime; naive values are taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _id_order(value: str) -> tuple[int, int, str]:
    """How ids compare: numbers as numbers (``"9999" < "10000"``, as HubSpot and most
    databases order them), other ids as text after them, and the empty id first."""
    if not value:
        return (0, 0, "")
    if value.isascii() and value.isdigit():
        return (1, int(value), value)
    return (2, 0, value)


@total_ordering
@dataclass(frozen=True, slots=True)
class Cursor:
    """A position in a source's change stream, ordered by ``(updated_at, id)``.

    Modified times are not unique, so the id breaks ties: a checkpoint in the middle of
    a thousand records that share one timestamp still resumes at the right record. Ids
    that are numbers compare as numbers. The empty id sorts before every real id, so
    ``Cursor(t)`` means "everything at ``t``".
    """

    updated_at: datetime
    id: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "updated_at", utc(self.updated_at))

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Cursor):
            return NotImplemented
        return (self.updated_at, _id_order(self.id)) < (other.updated_at, _id_order(other.id))

    def rewind(self, lookback: timedelta) -> Cursor:
        """The cursor to read from when re-reading ``lookback`` worth of late arrivals."""
        if not lookback:
            return self
        return Cursor(self.updated_at - lookback)

    def capped(self, limit: datetime) -> Cursor:
        """This cursor, or ``Cursor(limit)`` if it lies past ``limit`` (the run's start)."""
        return self if self.updated_at <= utc(limit) else Cursor(limit)

    def to_json(self) -> dict[str, str]:
        return {"updated_at": self.updated_at.isoformat(), "id": self.id}

    @classmethod
    def from_json(cls, data: Mapping[str, str]) -> Cursor:
        return cls(datetime.fromisoformat(data["updated_at"]), data.get("id", ""))


@dataclass(frozen=True, slots=True)
class Record:
    """One source record.

    Attributes:
        id: the record's identifier in its system, as a string.
        fields: its values, flat or nested, as the vendor returns them.
        updated_at: its last-modified time (aware), or None where the source has none.
        deleted: True when the source reports the record as deleted or archived.
    """

    id: str
    fields: Mapping[str, Any]
    updated_at: datetime | None = None
    deleted: bool = False

    @property
    def cursor(self) -> Cursor | None:
        return None if self.updated_at is None else Cursor(self.updated_at, self.id)


@dataclass(frozen=True, slots=True)
class Rejected:
    """A source record that could not be read: an unparseable line, a bad timestamp.

    It goes to the failures table with ``reason`` instead of stopping the read.

    Attributes:
        id: the record id when it could be read, else its position (``line 17``).
        reason: what is wrong, naming the field and what was expected.
        raw: the record as read, for the operator to inspect.
    """

    id: str
    reason: str
    raw: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True, slots=True)
class Page:
    """A batch of records from ``read``.

    ``checkpoint``, when set, promises that every record at or before it (in cursor order)
    has been yielded in this page or an earlier one, so a later read may resume from it.
    Sources that cannot read in cursor order leave it None until their last page.
    """

    records: Sequence[Record]
    checkpoint: Cursor | None = None
    rejected: Sequence[Rejected] = ()


@dataclass(frozen=True, slots=True)
class ReadRequest:
    """What the engine asks ``read`` for.

    Attributes:
        since: exclusive lower bound in ``(updated_at, id)`` order; None reads everything.
        until: inclusive upper bound on ``updated_at``; None means no upper bound.
        fields: top-level source fields the field map uses; None means all. Connectors that
            must name the properties they fetch (HubSpot) use it; others may ignore it.
        deletions: whether the sync acts on deleted records (its delete policy archives).
            Connectors whose deletions cost extra calls (an archived listing) read them
            only when asked; others may always report them.
    """

    since: Cursor | None = None
    until: datetime | None = None
    fields: frozenset[str] | None = None
    deletions: bool = False

    def wants(self, record: Record) -> bool:
        """Whether ``record`` falls inside this request's window (for client-side filtering).

        A record without a modified time cannot be placed in any window, so it is wanted:
        dropping it could lose a change, while reading it again costs no write.
        """
        cursor = record.cursor
        if cursor is None:
            return True
        if self.since is not None and cursor <= self.since:
            return False
        return self.until is None or cursor.updated_at <= utc(self.until)


class WriteAction(StrEnum):
    """What a write op asks the target to do."""

    CREATE = "create"  # a new record; an existing one with the same match key is left alone
    UPSERT = "upsert"  # create, or update the record whose match field equals the value
    UPDATE = "update"  # update the record with ``target_id`` (or, failing that, ``match``)
    ARCHIVE = "archive"  # the target's soft delete (archive, disable) of ``target_id``


@dataclass(frozen=True, slots=True)
class Match:
    """Identifies a target record by a unique field's value, e.g. ``email``."""

    field: str
    value: str


@dataclass(frozen=True, slots=True)
class WriteOp:
    """One write for a target's batch.

    ``ref`` is the caller's correlation key (the engine uses the source record id); the
    target echoes it in the matching :class:`WriteResult`. For updates ``fields`` holds
    only what changed; for creates and upserts it holds every mapped field.
    """

    action: WriteAction
    ref: str
    fields: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    target_id: str | None = None
    match: Match | None = None


class Outcome(StrEnum):
    """What happened to one write op."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"  # the target already held these values (or, for CREATE, the record)
    ARCHIVED = "archived"
    NOT_FOUND = "not_found"  # UPDATE/ARCHIVE of a record the target does not have
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class WriteResult:
    """The target's answer for one op; ``reason`` says why when ``outcome`` is FAILED."""

    ref: str
    outcome: Outcome
    target_id: str | None = None
    reason: str | None = None
    code: str | None = None

    @classmethod
    def failed(cls, ref: str, reason: str, *, code: str | None = None) -> WriteResult:
        return cls(ref, Outcome.FAILED, reason=reason, code=code)
