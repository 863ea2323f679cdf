"""The emulated HubSpot portal: its records and the rules its endpoints follow.

:class:`Portal` holds contacts, companies and deals, their properties and the
associations between them, and implements the semantics of the CRM endpoints from the
contract (§1.2-§1.5, §1.10): listing by id with ``after``, lookups by a unique
property, searches, batch reads and writes with 207 partial failures, the 409 of a
batch/create that meets an existing unique value, the 400s for a duplicate in a batch,
a non-unique ``idProperty`` and more than 100 inputs, archiving, and default
associations. HTTP concerns (routes, auth, limits) are the WSGI app's
(:mod:`.app`), which holds :attr:`Portal.lock` while it calls the endpoint methods. The
Python API that tests and demos use to seed data, move modification times and look at
what the portal holds takes the lock itself.
"""

from __future__ import annotations

import bisect
import itertools
import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from crmsync.sdk import SYSTEM_CLOCK, Clock
from crmsync_connectors.hubspot.emulator import bodies, search
from crmsync_connectors.hubspot.emulator.bodies import item_error, to_ms
from crmsync_connectors.hubspot.emulator.catalog import (
    PropertyDef,
    ValueProblem,
    default_objects,
    normalise,
)
from crmsync_connectors.hubspot.emulator.store import RECORD_ID, Obj, ObjectStore

MAX_INPUTS = 100
ASSOCIATION_TYPES = {
    ("contacts", "companies"): 279,
    ("companies", "contacts"): 280,
    ("deals", "contacts"): 3,
    ("contacts", "deals"): 4,
    ("deals", "companies"): 341,
    ("companies", "deals"): 342,
}
"""HubSpot's default (unlabelled) association type ids."""

Answer = tuple[list[dict[str, Any]], list[dict[str, Any]]]
"""A batch's results and errors."""


class Refusal(Exception):
    """The whole request is refused; ``response`` is HubSpot's answer."""

    def __init__(self, response: Any) -> None:
        super().__init__(response.status)
        self.response = response


def _refuse(message: str, category: str = "VALIDATION_ERROR", status: int = 400) -> Refusal:
    return Refusal(bodies.error(status, message, category))


class Portal:
    """Records, properties and associations of one portal.

    Args:
        clock: where modification times and the search index's lag come from.
        search_lag: seconds before a change becomes visible to search (0: at once).
        first_id: the first record id handed out.
        whole_batch_errors: refuse a whole batch when one input's property values are
            invalid (a 400), instead of answering 207 for that input. Some portals are
            reported to do this; the contract documents the 207.
    """

    def __init__(
        self,
        clock: Clock = SYSTEM_CLOCK,
        *,
        search_lag: float = 0.0,
        first_id: int = 1,
        whole_batch_errors: bool = False,
    ) -> None:
        self.clock = clock
        self.lock = threading.RLock()
        self.search_lag = search_lag
        self.whole_batch_errors = whole_batch_errors
        self.stores = {name: ObjectStore(d) for name, d in default_objects().items()}
        self._ids = itertools.count(first_id)
        self._links: dict[tuple[str, str], dict[int, set[int]]] = {}

    # -- the Python API ----------------------------------------------------------------

    def add_property(
        self,
        object_type: str,
        name: str,
        *,
        type: str = "string",
        field_type: str = "text",
        unique: bool = False,
        options: Sequence[str] = (),
        label: str = "",
    ) -> None:
        """Create a custom property, e.g. ``add_property("deals", "external_id", unique=True)``."""
        with self.lock:
            definition = self.stores[object_type].definition
            definition.properties[name] = PropertyDef(
                name,
                type,
                field_type,
                label=label or name,
                options=tuple(options),
                unique=unique,
                hubspot_defined=False,
                group="crmsync",
            )

    def seed(
        self,
        object_type: str,
        rows: Iterable[Mapping[str, Any]],
        *,
        modified: datetime | Sequence[datetime] | None = None,
    ) -> list[str]:
        """Add records directly (no API call, no limits); return their ids in order.

        Args:
            object_type: ``contacts``, ``companies`` or ``deals``.
            rows: property name -> value; values are checked as the API checks them.
            modified: the records' modification (and creation) time: one for all, one
                per row, or None for now.
        """
        with self.lock:
            store = self.stores[object_type]
            rows = list(rows)
            stamps = self._stamps(modified, len(rows))
            objs: list[Obj] = []
            for row, at_ms in zip(rows, stamps, strict=True):
                properties = {n: normalise(store.definition, n, v) for n, v in row.items()}
                record_id = next(self._ids)
                obj = Obj(record_id, {RECORD_ID: str(record_id)}, at_ms, at_ms)
                obj.properties.update({n: v for n, v in properties.items() if v != ""})
                obj.properties["createdate"] = bodies.property_time(at_ms)
                for name in store.definition.modified:
                    obj.properties[name] = bodies.property_time(at_ms)
                objs.append(obj)
            store.load(objs)
            return [str(o.id) for o in objs]

    def touch(self, object_type: str, ids: Iterable[str], at: datetime | None = None) -> None:
        """Move records' modification time to ``at`` (now by default), as an edit would."""
        with self.lock:
            store = self.stores[object_type]
            at_ms = self._now_ms() if at is None else to_ms(at)
            for record_id in ids:
                obj = store.active(record_id)
                if obj is None:
                    raise KeyError(f"no active {object_type} record {record_id}")
                store.stamp(obj, at_ms, self.clock.monotonic())

    def change(
        self,
        object_type: str,
        record_id: str,
        properties: Mapping[str, Any],
        at: datetime | None = None,
    ) -> None:
        """Edit a record's properties as a user would in HubSpot's UI."""
        with self.lock:
            store = self.stores[object_type]
            obj = store.active(record_id)
            if obj is None:
                raise KeyError(f"no active {object_type} record {record_id}")
            values = {n: normalise(store.definition, n, v) for n, v in properties.items()}
            at_ms = self._now_ms() if at is None else to_ms(at)
            store.update(obj, values, at_ms, self.clock.monotonic())

    def archive(self, object_type: str, ids: Iterable[str], at: datetime | None = None) -> None:
        """Archive records as a user deleting them in HubSpot would."""
        with self.lock:
            store = self.stores[object_type]
            at_ms = self._now_ms() if at is None else to_ms(at)
            for record_id in ids:
                obj = store.active(record_id)
                if obj is not None:
                    store.archive(obj, at_ms)

    def records(self, object_type: str, *, archived: bool = False) -> list[dict[str, str]]:
        """Every active (or archived) record's properties, ``hs_object_id`` included."""
        with self.lock:
            store = self.stores[object_type]
            return [
                dict(o.properties)
                for o in sorted(store.records.values(), key=lambda o: o.id)
                if o.archived == archived
            ]

    def record(self, object_type: str, record_id: str) -> dict[str, str] | None:
        with self.lock:
            obj = self.stores[object_type].active(record_id)
            return None if obj is None else dict(obj.properties)

    def link(self, from_type: str, record_id: str, to_type: str, to_id: str) -> None:
        """Associate two records (in both directions), as a user would in HubSpot."""
        with self.lock:
            self._add_link(from_type, int(record_id), to_type, int(to_id))

    def associations(self, from_type: str, record_id: str, to_type: str) -> list[str]:
        """The ids of ``to_type`` records associated with one record."""
        with self.lock:
            linked = self._links.get((from_type, to_type), {}).get(int(record_id), set())
            return [str(i) for i in sorted(linked)]

    # -- endpoints -----------------------------------------------------------------------

    def list_page(
        self,
        object_type: str,
        names: list[str] | None,
        after: str | None,
        limit: int,
        *,
        archived: bool,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """``GET /crm/v3/objects/{type}``: records in id order from ``after`` on."""
        store = self.stores[object_type]
        ids = list(store.records)  # ids only grow, so insertion order is id order
        start = bisect.bisect_left(ids, int(after)) if after and after.isdigit() else 0
        chosen: list[Obj] = []
        for record_id in ids[start:]:
            obj = store.records[record_id]
            if obj.archived == archived:
                chosen.append(obj)
                if len(chosen) > limit:
                    break
        following = str(chosen[limit].id) if len(chosen) > limit else None
        return [store.to_json(o, names) for o in chosen[:limit]], following

    def get(
        self,
        object_type: str,
        record_id: str,
        id_property: str | None,
        names: list[str] | None,
        *,
        archived: bool,
    ) -> dict[str, Any] | None:
        store = self.stores[object_type]
        obj = self._locate(store, record_id, id_property, "read")
        if obj is None or obj.archived != archived:
            return None
        return store.to_json(obj, names)

    def search(self, object_type: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """``POST .../search``; raises Refusal for what HubSpot answers with a 400."""
        store = self.stores[object_type]
        try:
            query = search.parse(store, body)
        except search.SearchError as problem:
            raise _refuse(str(problem)) from None
        found, total = search.run(store, query, self._hidden())
        names = body.get("properties") or None
        answer: dict[str, Any] = {
            "total": total,
            "results": [store.to_json(o, names) for o in found],
        }
        following = query.after + len(found)
        if found and following < total:
            answer["paging"] = {"next": {"after": str(following)}}
        return answer

    def properties(self, object_type: str) -> list[dict[str, Any]]:
        definition = self.stores[object_type].definition
        return [p.to_json() for p in definition.properties.values()]

    def batch_read(self, object_type: str, body: Mapping[str, Any], *, archived: bool) -> Answer:
        store = self.stores[object_type]
        inputs = self._inputs(body)
        id_property = body.get("idProperty")
        names = list(body.get("properties") or []) or None
        results, missing = [], []
        for entry in inputs:
            obj = self._locate(store, str(entry["id"]), id_property, "read")
            if obj is None or obj.archived != archived:
                missing.append(str(entry["id"]))
            else:
                results.append(store.to_json(obj, names))
        errors = []
        if missing:
            singular = store.definition.singular.upper()
            message = (
                f"Could not get some {singular} objects, they may be deleted or not exist. "
                "Check that ids are valid."
            )
            errors.append(item_error("OBJECT_NOT_FOUND", message, ids=missing, status=404))
        return results, errors

    def batch_create(self, object_type: str, body: Mapping[str, Any]) -> Answer:
        store = self.stores[object_type]
        inputs = self._inputs(body)
        checked = [self._checked(store, entry.get("properties") or {}) for entry in inputs]
        self._refuse_whole(checked)
        seen: dict[tuple[str, str], int] = {}
        for n, (values, _) in enumerate(checked):
            for name in store.unique_names() & values.keys():
                if values[name] and seen.setdefault((name, values[name]), n) != n:
                    raise _refuse(f"Duplicate {name} found in batch input: {values[name]}")
            existing = store.conflict(values, None)
            if existing is not None:
                message = f"{store.definition.singular} already exists. Existing ID: {existing.id}"
                raise _refuse(message, "CONFLICT", 409)
        results, errors = [], []
        for entry, (values, problems) in zip(inputs, checked, strict=True):
            trace = entry.get("objectWriteTraceId")
            if problems:
                errors.append(self._invalid(problems, trace=trace))
                continue
            obj = store.create(next(self._ids), values, self._now_ms(), self.clock.monotonic())
            for association in entry.get("associations") or []:
                self._link(object_type, obj.id, association)
            results.append(self._written(store, obj, values, trace))
        return results, errors

    def batch_update(self, object_type: str, body: Mapping[str, Any]) -> Answer:
        store = self.stores[object_type]
        inputs = self._inputs(body)
        self._refuse_duplicates(store, inputs, "update")
        checked = [self._checked(store, entry.get("properties") or {}) for entry in inputs]
        self._refuse_whole(checked)
        results, errors = [], []
        for entry, (values, problems) in zip(inputs, checked, strict=True):
            trace, given = entry.get("objectWriteTraceId"), str(entry["id"])
            obj = self._locate(store, given, entry.get("idProperty"), "update")
            if obj is None or obj.archived:
                message = f"Object not found. objectId {given} does not exist."
                errors.append(
                    item_error("OBJECT_NOT_FOUND", message, ids=[given], trace=trace, status=404)
                )
            elif problems:
                errors.append(self._invalid(problems, ids=[given], trace=trace))
            elif (other := store.conflict(values, obj.id)) is not None:
                errors.append(self._conflict(store, other, given, trace))
            else:
                store.update(obj, values, self._now_ms(), self.clock.monotonic())
                results.append(self._written(store, obj, values, trace))
        return results, errors

    def batch_upsert(self, object_type: str, body: Mapping[str, Any]) -> Answer:
        store = self.stores[object_type]
        inputs = self._inputs(body)
        self._refuse_duplicates(store, inputs, "upsert")
        checked = []
        for entry in inputs:
            values = dict(entry.get("properties") or {})
            if entry.get("idProperty"):
                values.setdefault(entry["idProperty"], entry["id"])
            checked.append(self._checked(store, values))
        self._refuse_whole(checked)
        results, errors = [], []
        for entry, (values, problems) in zip(inputs, checked, strict=True):
            trace, given = entry.get("objectWriteTraceId"), str(entry["id"])
            if problems:
                errors.append(self._invalid(problems, ids=[given], trace=trace))
                continue
            obj = self._locate(store, given, entry.get("idProperty"), "upsert")
            other = store.conflict(values, None if obj is None else obj.id)
            if other is not None:
                errors.append(self._conflict(store, other, given, trace))
            elif obj is None and not entry.get("idProperty"):
                message = f"Object not found. objectId {given} does not exist."
                errors.append(
                    item_error("OBJECT_NOT_FOUND", message, ids=[given], trace=trace, status=404)
                )
            else:
                new = obj is None
                now_ms, now = self._now_ms(), self.clock.monotonic()
                if obj is None:
                    obj = store.create(next(self._ids), values, now_ms, now)
                else:
                    store.update(obj, values, now_ms, now)
                results.append(self._written(store, obj, values, trace) | {"new": new})
        return results, errors

    def batch_archive(self, object_type: str, body: Mapping[str, Any]) -> None:
        store = self.stores[object_type]
        at_ms = self._now_ms()
        for entry in self._inputs(body):
            obj = store.active(str(entry["id"]))
            if obj is not None:
                store.archive(obj, at_ms)

    def associate_default(self, from_type: str, to_type: str, body: Mapping[str, Any]) -> Answer:
        """v4 ``batch/associate/default``: each pair gets the unlabelled association."""
        if (from_type, to_type) not in ASSOCIATION_TYPES:
            raise _refuse(f"Unsupported association from {from_type} to {to_type}")
        inputs = self._inputs(body)
        results, errors = [], []
        for entry in inputs:
            source, target = str(entry["from"]["id"]), str(entry["to"]["id"])
            absent = [
                i
                for i, t in ((source, from_type), (target, to_type))
                if self.stores[t].active(i) is None
            ]
            if absent:
                message = f"No {from_type if absent[0] == source else to_type} with id {absent[0]}"
                errors.append(item_error("OBJECT_NOT_FOUND", message, ids=absent, status=404))
                continue
            self._add_link(from_type, int(source), to_type, int(target))
            spec = {
                "associationCategory": "HUBSPOT_DEFINED",
                "associationTypeId": ASSOCIATION_TYPES[(from_type, to_type)],
            }
            results.append({"from": {"id": source}, "to": {"id": target}, "associationSpec": spec})
        return results, errors

    def linked(self, from_type: str, record_id: str, to_type: str) -> list[dict[str, Any]] | None:
        """v4 ``GET .../associations/{toType}`` of one record; None when it does not exist."""
        if self.stores[from_type].active(record_id) is None:
            return None
        type_id = ASSOCIATION_TYPES.get((from_type, to_type))
        return [
            {
                "toObjectId": int(i),
                "associationTypes": [
                    {"category": "HUBSPOT_DEFINED", "typeId": type_id, "label": None}
                ],
            }
            for i in self.associations(from_type, record_id, to_type)
        ]

    # -- helpers -------------------------------------------------------------------------

    def _now_ms(self) -> int:
        return to_ms(self.clock.now())

    def _stamps(self, modified: datetime | Sequence[datetime] | None, count: int) -> list[int]:
        if modified is None:
            return [self._now_ms()] * count
        if isinstance(modified, datetime):
            return [to_ms(modified)] * count
        return [to_ms(m) for m in modified]

    def _hidden(self) -> Any:
        """What search cannot see yet: records changed within the last ``search_lag`` s."""
        if self.search_lag <= 0:
            return None
        horizon = self.clock.monotonic() - self.search_lag
        return lambda obj: obj.changed_at > horizon

    def _inputs(self, body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        inputs = list(body.get("inputs") or [])
        if len(inputs) > MAX_INPUTS:
            raise _refuse(f"Batch input limit exceeded: {len(inputs)} inputs, at most {MAX_INPUTS}")
        return inputs

    def _locate(
        self, store: ObjectStore, given: str, id_property: str | None, operation: str
    ) -> Obj | None:
        """The record ``given`` names: by id, or by the unique ``id_property``'s value."""
        if not id_property:
            return store.records.get(int(given)) if given.isdigit() else None
        if id_property == RECORD_ID:
            raise _refuse(f"{RECORD_ID} cannot be used as idProperty; send the record id as id")
        if id_property not in store.definition.properties:
            raise _refuse(f'Property "{id_property}" does not exist')
        if id_property not in store.unique_names():
            raise _refuse(f"Unable to perform {operation} by non-unique property {id_property}")
        return store.find(id_property, given)

    def _refuse_duplicates(
        self, store: ObjectStore, inputs: Sequence[Mapping[str, Any]], operation: str
    ) -> None:
        """Refuse a batch that names a record twice (not retryable) or names records by a
        property that cannot identify them, before anything is written."""
        seen: set[tuple[str, str]] = set()
        for entry in inputs:
            name = entry.get("idProperty") or RECORD_ID
            if name != RECORD_ID:
                self._locate(store, "", name, operation)
            value = str(entry["id"])
            named = (name, value.strip().lower() if name == "email" else value)
            if named in seen:
                raise _refuse(f"Duplicate IDs found in batch input: [{value}]")
            seen.add(named)

    def _checked(
        self, store: ObjectStore, properties: Mapping[str, Any]
    ) -> tuple[dict[str, str], list[dict[str, Any]]]:
        values: dict[str, str] = {}
        problems: list[dict[str, Any]] = []
        for name, value in properties.items():
            try:
                values[name] = normalise(store.definition, name, value)
            except ValueProblem as problem:
                problems.append(problem.problem)
        return values, problems

    def _refuse_whole(self, checked: Sequence[tuple[dict[str, str], list[dict[str, Any]]]]) -> None:
        if self.whole_batch_errors:
            for _, problems in checked:
                if problems:
                    raise _refuse(bodies.invalid_values(problems))

    def _invalid(
        self, problems: list[dict[str, Any]], *, ids: Sequence[str] = (), trace: str | None
    ) -> dict[str, Any]:
        return item_error("VALIDATION_ERROR", bodies.invalid_values(problems), ids=ids, trace=trace)

    def _conflict(
        self, store: ObjectStore, other: Obj, given: str, trace: str | None
    ) -> dict[str, Any]:
        message = f"{store.definition.singular} already exists. Existing ID: {other.id}"
        return item_error("CONFLICT", message, ids=[given], trace=trace, status=409)

    def _written(
        self, store: ObjectStore, obj: Obj, values: Mapping[str, str], trace: str | None
    ) -> dict[str, Any]:
        answer = store.to_json(obj, list(values))
        if trace is not None:
            answer["objectWriteTraceId"] = trace
        return answer

    def _link(self, from_type: str, record_id: int, association: Mapping[str, Any]) -> None:
        target = str(association["to"]["id"])
        for (source, to_type), _ in ASSOCIATION_TYPES.items():
            if source == from_type and self.stores[to_type].active(target) is not None:
                self._add_link(from_type, record_id, to_type, int(target))
                return

    def _add_link(self, from_type: str, source: int, to_type: str, target: int) -> None:
        self._links.setdefault((from_type, to_type), {}).setdefault(source, set()).add(target)
        self._links.setdefault((to_type, from_type), {}).setdefault(target, set()).add(source)
