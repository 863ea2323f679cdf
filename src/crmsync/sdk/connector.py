"""The two classes a connector author subclasses: :class:`Connector` and :class:`ObjectType`.

A connector is one platform (HubSpot, a CSV folder). It is built from a validated
pydantic settings model and exposes object types (contacts, affiliates, ...). An object
type is a short declaration (name, key, cursor field, capabilities, batch size) plus
``describe``, ``read`` and ``write``. See docs/writing-a-connector.md.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import timedelta
from enum import Flag, auto
from typing import ClassVar, Generic, Self, TypeVar

from pydantic import BaseModel

from crmsync.sdk.context import ConnectorContext
from crmsync.sdk.errors import ConfigError, NotSupportedError
from crmsync.sdk.records import Page, ReadRequest, WriteOp, WriteResult
from crmsync.sdk.schema import ObjectSchema, closest_name


class Capability(Flag):
    """What an object type can do. The engine checks a sync's needs against these."""

    READ = auto()
    INCREMENTAL = auto()  # read honours ReadRequest.since/until on a modified-time cursor
    DELETES = auto()  # read reports deleted records (Record.deleted)
    CREATE = auto()
    UPSERT = auto()  # create-or-update by a unique match field in one idempotent call
    UPDATE = auto()
    ARCHIVE = auto()  # soft delete (archive, disable) for the archive delete policy

    def describe(self) -> list[str]:
        """Lower-case names of the flags set, for tables and JSON."""
        return [c.name.lower() for c in Capability if c in self and c.name]


class ObjectType(ABC):
    """One kind of record on a platform: contacts, deals, affiliates, rows of a file.

    Subclasses set the attributes below (as class attributes, or per instance when the
    object is configured at run time) and implement ``describe`` and the methods their
    capabilities promise.

    Attributes:
        name: plural, lower case (``contacts``).
        key: the field holding the record id.
        cursor_field: the modified-time field that orders incremental reads, if any.
        capabilities: what the engine may ask of it.
        max_batch_size: the most write ops one ``write`` call accepts (the API's batch cap).
        default_lookback: how far before the stored cursor to re-read by default, to catch
            records that became visible late (search indexes are eventually consistent).
    """

    name: str
    key: str = "id"
    cursor_field: str | None = None
    capabilities: Capability = Capability.READ
    max_batch_size: int = 100
    default_lookback: timedelta = timedelta(0)

    @abstractmethod
    def describe(self) -> ObjectSchema:
        """The object's fields, as the platform reports them (custom fields included)."""

    def read(self, request: ReadRequest) -> Iterator[Page]:
        """Yield pages of records inside ``request``'s window, in cursor order where possible.

        Incremental object types return every record with ``(updated_at, id)`` after
        ``request.since`` exactly once, including records that share the boundary timestamp.
        """
        raise NotSupportedError(f"{self.name} cannot be read")

    def write(self, ops: Sequence[WriteOp]) -> list[WriteResult]:
        """Apply at most ``max_batch_size`` ops; return one result per op, in any order.

        A record the platform rejects becomes a FAILED result with the platform's reason;
        only failures that doom the whole call (auth, outage) raise.
        """
        raise NotSupportedError(f"{self.name} cannot be written")

    def finish(self) -> None:
        """Publish buffered output; called once at the end of every run of a sync.

        It is called even when the run wrote nothing, so output acknowledged by an earlier
        run that was killed before it could publish is published now.
        """

    def write_calls(self, ops: Sequence[WriteOp]) -> int:
        """API calls that writing ``ops`` would cost, for dry-run estimates.

        The default assumes one call per batch of each action; override where the
        platform needs per-record calls or extra lookups.
        """
        per_action = Counter(op.action for op in ops)
        return sum(math.ceil(n / self.max_batch_size) for n in per_action.values())

    def require(self, needed: Capability, *, purpose: str) -> None:
        """Raise NotSupportedError when this object type lacks ``needed``."""
        missing = needed & ~self.capabilities
        if missing:
            raise NotSupportedError(
                f"{self.name} does not support {', '.join(missing.describe())}, "
                f"which {purpose} needs",
                hint=f"{self.name} supports {', '.join(self.capabilities.describe())}",
            )


SettingsT = TypeVar("SettingsT", bound=BaseModel)


class Connector(ABC, Generic[SettingsT]):
    """One platform. Subclass with ``name``, ``settings_model`` and ``object_types``.

    Connectors import only ``crmsync.sdk``; every HTTP call goes through
    ``context.http(...)`` so that rate limits, retries, secret redaction and request
    counting apply everywhere.
    """

    name: ClassVar[str]
    title: ClassVar[str]
    settings_model: ClassVar[type[BaseModel]]

    def __init__(self, settings: SettingsT, context: ConnectorContext) -> None:
        self.settings = settings
        self.context = context

    @abstractmethod
    def object_types(self) -> Sequence[ObjectType]:
        """Every object type this connection offers."""

    def object_type(self, name: str) -> ObjectType:
        """The object type called ``name``; a ConfigError suggests the closest one."""
        by_name = {o.name: o for o in self.object_types()}
        if name in by_name:
            return by_name[name]
        near = closest_name(name, by_name)
        raise ConfigError(
            f"{self.name} has no object type {name!r}",
            hint=(f"did you mean {near!r}? " if near else "")
            + f"available: {', '.join(sorted(by_name)) or 'none'}",
        )

    def check(self) -> None:
        """Verify that the settings work (credentials, reachability); raise if not."""

    def close(self) -> None:
        """Release sessions and files."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
