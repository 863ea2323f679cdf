"""What one sync is, in the engine's terms: objects, field map, mode, policies, limits."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from crmsync.mapping import Mapper
from crmsync.sdk.connector import Capability, ObjectType


class Mode(StrEnum):
    """How the target is written."""

    UPSERT = "upsert"  # create what is missing, update what changed
    UPDATE_ONLY = "update-only"  # only touch records the target already has
    CREATE_ONLY = "create-only"  # only add records; never modify existing ones


class DeletePolicy(StrEnum):
    """What a deletion reported by the source does to the linked target record."""

    IGNORE = "ignore"
    ARCHIVE = "archive"


class RunKind(StrEnum):
    RUN = "run"  # incremental, from the stored cursor
    FULL_REFRESH = "full-refresh"  # read everything; still writes only what differs
    BACKFILL = "backfill"  # a time window; leaves the cursor alone
    RETRY = "retry"  # only the records in the failures table, parked ones included


@dataclass(frozen=True)
class Limit:
    """A guard limit: a number of records, or a share of the sync's linked records."""

    count: int | None = None
    percent: float | None = None

    def allowed(self, linked: int) -> int | None:
        """The most records allowed; None when a share of nothing cannot be judged."""
        if self.count is not None:
            return self.count
        if self.percent is None or linked == 0:
            return None
        return math.floor(linked * self.percent / 100)

    def __str__(self) -> str:
        return f"{self.count}" if self.count is not None else f"{self.percent:g}% of linked"


@dataclass(frozen=True)
class Guards:
    """Mass-change limits per run (None: no limit)."""

    creates: Limit | None = None
    updates: Limit | None = None
    archives: Limit | None = None


@dataclass(frozen=True)
class RunOptions:
    """How to run: kind, backfill window, and whether to override the guards."""

    kind: RunKind = RunKind.RUN
    since: datetime | None = None
    until: datetime | None = None
    force: bool = False


@dataclass(frozen=True)
class SyncJob:
    """Everything the engine needs to run one sync.

    Attributes:
        name: the sync's name; its state (cursor, links, failures) is kept under it.
        lookback: how far before the cursor to re-read; None takes the source's default.
        batch_size: ops per write call; None takes the target's maximum.
        max_attempts: a record failing this many runs in a row is parked.
    """

    name: str
    source: ObjectType
    target: ObjectType
    mapper: Mapper
    mode: Mode = Mode.UPSERT
    delete: DeletePolicy = DeletePolicy.IGNORE
    lookback: timedelta | None = None
    batch_size: int | None = None
    max_attempts: int = 5
    guards: Guards = field(default_factory=Guards)

    @property
    def effective_lookback(self) -> timedelta:
        return self.source.default_lookback if self.lookback is None else self.lookback

    @property
    def effective_batch_size(self) -> int:
        size = self.target.max_batch_size
        return size if self.batch_size is None else max(1, min(self.batch_size, size))

    @property
    def incremental(self) -> bool:
        return Capability.INCREMENTAL in self.source.capabilities

    def validate(self) -> None:
        """Raise NotSupportedError when the objects cannot do what this sync asks."""
        self.source.require(Capability.READ, purpose=f"sync {self.name!r} (source)")
        purpose = f"sync {self.name!r} in {self.mode} mode"
        if self.mode is Mode.UPDATE_ONLY:
            self.target.require(Capability.UPDATE, purpose=purpose)
        elif self.mode is Mode.CREATE_ONLY:
            self.target.require(Capability.CREATE, purpose=purpose)
        elif Capability.UPSERT not in self.target.capabilities:
            self.target.require(Capability.CREATE | Capability.UPDATE, purpose=purpose)
        if self.delete is DeletePolicy.ARCHIVE:
            purpose = f"sync {self.name!r} with delete: archive"
            self.target.require(Capability.ARCHIVE, purpose=purpose)
            self.source.require(Capability.DELETES, purpose=purpose)
