"""Associations that a field map asks for through pseudo-fields.

A target field named ``associations.<object>.<property>`` associates the written record
with the ``<object>`` record whose ``<property>`` holds the field's value, or whose record
id it is when the property is ``id``::

    fields:
      dealname: {template: "Commission {id}"}
      associations.contacts.email: affiliate.email   # the deal's contact, by email

The value may be a list, to associate several records. Pseudo-fields are resolved
before the write, in one ``batch/read`` per object and property for every batch (values
seen before come from a cache): a record whose associated record does not exist fails
before anything is written, so a later run writes it once that record exists. After the
write, one v4 ``batch/associate/default`` call per associated object type links the
batch. Associations are added, never removed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from crmsync_connectors.hubspot.api import HubSpotApi
from crmsync_connectors.hubspot.errors import unique_property
from crmsync_connectors.hubspot.kinds import RECORD_ID, Kind

PREFIX = "associations."
Key = tuple[str, str, str]
"""A lookup's object type, property and value (folded as HubSpot compares it)."""
BATCH = 100  # v4 batch inputs; HubSpot's documented cap is disputed (100 or 1,000)
_CACHE_SIZE = 10_000


@dataclass(frozen=True, slots=True, order=True)
class AssociationField:
    """A parsed pseudo-field: the object type to associate with, and how to find it."""

    to_type: str
    by: str

    @property
    def name(self) -> str:
        return f"{PREFIX}{self.to_type}.{self.by}"

    @classmethod
    def parse(cls, name: str) -> AssociationField | None:
        """The pseudo-field ``name`` denotes, or None when it is an ordinary property."""
        if not name.startswith(PREFIX):
            return None
        to_type, _, by = name.removeprefix(PREFIX).partition(".")
        return cls(to_type, by)


@dataclass(frozen=True, slots=True)
class Target:
    """One record to associate with."""

    to_type: str
    id: str


def values(value: object) -> list[str]:
    """A pseudo-field's value as the lookup values it names (none for an empty value)."""
    items = value if isinstance(value, list | tuple | set | frozenset) else [value]
    texts = [str(item).strip() for item in items if item is not None]
    return [text for text in texts if text]


def problem(kind: Kind, field: AssociationField) -> str | None:
    """Why ``kind`` cannot use ``field``, or None when it can."""
    if field.to_type not in kind.associates:
        allowed = ", ".join(f"{PREFIX}{t}.<property>" for t in kind.associates) or "none"
        return f"{kind.name} cannot be associated through {field.name!r} (supported: {allowed})"
    if not field.by:
        return f"{field.name!r} names no property; write e.g. {PREFIX}{field.to_type}.id"
    return None


class Resolver:
    """Turns pseudo-field values into record ids, with the fewest calls.

    Looked-up ids are cached for the connection's lifetime (a commission's affiliate is
    usually the same contact many times over); misses are never cached, so a record
    created later is found.
    """

    def __init__(self, api: HubSpotApi) -> None:
        self._api = api
        self._cache: dict[Key, str] = {}
        self._lock = threading.Lock()

    def resolve(self, wanted: Iterable[tuple[AssociationField, str]]) -> dict[Key, str]:
        """Each ``(field, value)``'s record id, keyed by :func:`key`; missing ones absent."""
        by_field: dict[AssociationField, dict[Key, str]] = {}
        found: dict[Key, str] = {}
        with self._lock:
            for field, value in wanted:
                cached = self._cache.get(key(field, value))
                if cached is not None:
                    found[key(field, value)] = cached
                else:
                    by_field.setdefault(field, {})[key(field, value)] = value
        for field, pending in sorted(by_field.items()):
            found.update(self._look_up(field, sorted(pending.values())))
        with self._lock:
            if len(self._cache) + len(found) > _CACHE_SIZE:
                self._cache.clear()
            self._cache.update(found)
        return found

    def _look_up(self, field: AssociationField, pending: Sequence[str]) -> dict[Key, str]:
        by_id = field.by in ("id", RECORD_ID)  # HubSpot refuses idProperty=hs_object_id
        found: dict[Key, str] = {}
        for start in range(0, len(pending), BATCH):
            chunk = pending[start : start + BATCH]
            with unique_property(f"{field.to_type} (in {field.name})"):
                answer = self._api.read(
                    field.to_type,
                    chunk,
                    id_property=None if by_id else field.by,
                    properties=[] if by_id else [field.by],
                )
            for result in answer.results:
                value = result.id if by_id else result.properties.get(field.by)
                if value is not None:
                    found[key(field, value)] = result.id
        return found

    def link(self, from_type: str, pairs: Sequence[tuple[str, Target]]) -> dict[str, str]:
        """Associate each ``(record id, target)``; return record id -> why it failed."""
        failed: dict[str, str] = {}
        by_type: dict[str, list[tuple[str, str]]] = {}
        for record_id, target in pairs:
            by_type.setdefault(target.to_type, []).append((record_id, target.id))
        for to_type, links in sorted(by_type.items()):
            unique = sorted(set(links))
            for start in range(0, len(unique), BATCH):
                chunk = unique[start : start + BATCH]
                answer = self._api.associate(from_type, to_type, chunk)
                for error in answer.errors:
                    named = set(error.ids) & {source for source, _ in chunk}
                    for source in named or {source for source, _ in chunk}:
                        failed[source] = f"associating it with {to_type} failed: {error.message}"
        return failed


def key(field: AssociationField, value: str) -> Key:
    """The cache key of a lookup; emails are matched without regard to case, as HubSpot does."""
    folded = value.casefold() if field.by == "email" else value
    return (field.to_type, field.by, folded)
