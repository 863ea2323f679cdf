"""The emulated portal's records of one object type, with the indexes searches need.

Records live in a dict by id. Active records are also kept in a list sorted by
``(modified ms, id)`` so that a search on the modified date is a bisection, and unique
properties (a contact's email, custom properties with unique values) are indexed so
that upserts and conflicts are found at once. Callers hold the emulator's lock.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from crmsync_connectors.hubspot.emulator.bodies import property_time, stamp_text
from crmsync_connectors.hubspot.emulator.catalog import ObjectDef

RECORD_ID = "hs_object_id"


@dataclass
class Obj:
    """One record.

    Attributes:
        properties: property name -> text, system properties included.
        changed_at: the emulator's monotonic time of the last change, for search lag.
    """

    id: int
    properties: dict[str, str]
    created_ms: int
    modified_ms: int
    archived_ms: int | None = None
    changed_at: float = -math.inf

    @property
    def archived(self) -> bool:
        return self.archived_ms is not None


class ObjectStore:
    """The records of one object type."""

    def __init__(self, definition: ObjectDef) -> None:
        self.definition = definition
        self.records: dict[int, Obj] = {}
        self.order: list[tuple[int, int]] = []  # (modified ms, id) of active records
        self._unique: dict[str, dict[str, int]] = {}

    # -- lookups -------------------------------------------------------------------------

    def unique_names(self) -> set[str]:
        """Properties that identify a record: unique ones, and a contact's email."""
        names = {p.name for p in self.definition.properties.values() if p.unique}
        return names | {"email"} if self.definition.name == "contacts" else names

    def active(self, record_id: str | int) -> Obj | None:
        found = self._any(record_id)
        return None if found is None or found.archived else found

    def archived(self, record_id: str | int) -> Obj | None:
        found = self._any(record_id)
        return found if found is not None and found.archived else None

    def find(self, name: str, value: str) -> Obj | None:
        """The active record whose unique property ``name`` holds ``value``."""
        folded = value.strip().lower() if name == "email" else value
        record_id = self._unique.get(name, {}).get(folded)
        return None if record_id is None else self.records[record_id]

    def conflict(self, properties: Mapping[str, str], record_id: int | None) -> Obj | None:
        """Another active record already holding one of these unique values."""
        for name in self.unique_names() & properties.keys():
            value = properties[name]
            other = self.find(name, value) if value else None
            if other is not None and other.id != record_id:
                return other
        return None

    def _any(self, record_id: str | int) -> Obj | None:
        try:
            return self.records.get(int(record_id))
        except ValueError:
            return None

    # -- changes -------------------------------------------------------------------------

    def create(self, record_id: int, properties: Mapping[str, str], at_ms: int, now: float) -> Obj:
        obj = Obj(record_id, {RECORD_ID: str(record_id)}, at_ms, at_ms)
        obj.properties["createdate"] = property_time(at_ms)
        obj.properties.update({n: v for n, v in properties.items() if v != ""})
        self.records[record_id] = obj
        self.stamp(obj, at_ms, now)
        return obj

    def update(self, obj: Obj, properties: Mapping[str, str], at_ms: int, now: float) -> None:
        """Set ``properties`` (an empty value clears one) and stamp the modified date,
        unless every value is already what it holds: writing a value again is no change."""
        changed = {n: v for n, v in properties.items() if obj.properties.get(n, "") != v}
        if not changed:
            return
        self._unindex(obj)
        for name, value in changed.items():
            if value == "":
                obj.properties.pop(name, None)
            else:
                obj.properties[name] = value
        self.stamp(obj, at_ms, now)

    def stamp(self, obj: Obj, at_ms: int, now: float) -> None:
        """Move ``obj``'s modified date to ``at_ms`` (a change, or a test's touch)."""
        self._unindex(obj)
        obj.modified_ms = at_ms
        obj.changed_at = now
        for name in self.definition.modified:
            obj.properties[name] = property_time(at_ms)
        self._index(obj)

    def archive(self, obj: Obj, at_ms: int) -> None:
        self._unindex(obj)
        obj.archived_ms = at_ms

    def load(self, objs: Iterable[Obj]) -> None:
        """Add many records at once (seeding), sorting the index once."""
        for obj in objs:
            self.records[obj.id] = obj
            for name in self.unique_names() & obj.properties.keys():
                self._unique.setdefault(name, {})[obj.properties[name]] = obj.id
        self.order = sorted((o.modified_ms, o.id) for o in self.records.values() if not o.archived)

    def _index(self, obj: Obj) -> None:
        bisect.insort(self.order, (obj.modified_ms, obj.id))
        for name in self.unique_names() & obj.properties.keys():
            self._unique.setdefault(name, {})[obj.properties[name]] = obj.id

    def _unindex(self, obj: Obj) -> None:
        where = bisect.bisect_left(self.order, (obj.modified_ms, obj.id))
        if where < len(self.order) and self.order[where] == (obj.modified_ms, obj.id):
            del self.order[where]
        for name in self.unique_names() & obj.properties.keys():
            held = self._unique.get(name, {})
            if held.get(obj.properties[name]) == obj.id:
                del held[obj.properties[name]]

    # -- answers -------------------------------------------------------------------------

    def to_json(self, obj: Obj, names: Iterable[str] | None) -> dict[str, Any]:
        """``SimplePublicObject``: the requested properties (null when unset), plus the id
        and the creation and modification dates, which HubSpot always returns."""
        definition = self.definition
        wanted = definition.defaults if names is None else names
        always = (RECORD_ID, "createdate", *definition.modified[:1])
        properties = {
            name: obj.properties.get(name)
            for name in (*wanted, *always)
            if name in definition.properties
        }
        body: dict[str, Any] = {
            "id": str(obj.id),
            "properties": properties,
            "createdAt": stamp_text(obj.created_ms),
            "updatedAt": stamp_text(obj.modified_ms),
            "archived": obj.archived,
        }
        if obj.archived_ms is not None:
            body["archivedAt"] = stamp_text(obj.archived_ms)
        return body
