"""Batch writes: one call per action for up to 100 ops, and one result for every op.

- Ops that name the same record (two source contacts with one email) are merged into
  one input before sending, because HubSpot rejects a batch that names a record twice;
  each op still gets the merged input's result.
- Every input carries an ``objectWriteTraceId``, which HubSpot echoes on its result or
  error, so a 207 multi-status answer maps back to its ops. A failed input fails only
  its own ops, with HubSpot's message.
- A batch that HubSpot refuses whole because of one input's property values is split in
  halves until the invalid input stands alone, so its batch-mates still land.
- ``CREATE`` never duplicates: HubSpot refuses a whole batch/create with a 409 when a
  unique value (a contact's email) already exists, naming only the first record. The
  existing records are then looked up by their match values (one ``batch/read``),
  reported ``UNCHANGED`` with their ids, and the rest is sent again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from crmsync.sdk import Outcome, WriteAction, WriteOp, WriteResult
from crmsync_connectors.hubspot.api import BatchAnswer, HubSpotApi, Input, ItemError, ItemResult
from crmsync_connectors.hubspot.associations import (
    AssociationField,
    Resolver,
    Target,
    key,
    problem,
    values,
)
from crmsync_connectors.hubspot.errors import HubSpotApiError, unique_property
from crmsync_connectors.hubspot.kinds import RECORD_ID, Kind
from crmsync_connectors.hubspot.values import property_text

_EXISTING_ID = re.compile(r"Existing ID:\s*(\d+)")
_INVALID_VALUES = "Property values were not valid: "
_SUCCEEDED = frozenset({Outcome.CREATED, Outcome.UPDATED, Outcome.UNCHANGED})

Results = dict[str, WriteResult]


@dataclass
class _Item:
    """One op, its properties as HubSpot text, and the records to associate it with."""

    op: WriteOp
    properties: dict[str, str]
    targets: list[Target] = field(default_factory=list)
    record_id: str | None = None  # the record an update names, once known


@dataclass
class _Entry:
    """The items one batch input stands for (several when ops name the same record)."""

    items: list[_Item]

    @property
    def op(self) -> WriteOp:
        return self.items[0].op

    @property
    def refs(self) -> list[str]:
        return [item.op.ref for item in self.items]

    @property
    def properties(self) -> dict[str, str]:
        merged: dict[str, str] = {}
        for item in self.items:  # later ops win, as they would one call after another
            merged.update(item.properties)
        return merged

    @property
    def record_id(self) -> str | None:
        return self.items[0].record_id


@dataclass(frozen=True)
class _Keys:
    """How answer items name their entry when HubSpot echoes no trace id."""

    entry: Callable[[_Entry], str | None]
    result: Callable[[ItemResult], str | None]
    error_id: Callable[[str], str | None]


_BY_RECORD_ID = _Keys(lambda e: e.record_id, lambda r: r.id, lambda v: v)


def _by_value(name: str) -> _Keys:
    """Keys for inputs that name their record by the unique property ``name``."""
    return _Keys(
        lambda e: (
            _fold(name, e.op.match.value) if e.op.match and e.op.match.field == name else None
        ),
        lambda r: _fold(name, r.properties.get(name)),
        lambda v: _fold(name, v),
    )


class Writer:
    """Writes one object type's batches.

    Args:
        api: the vendor calls.
        kind: the object type.
        resolver: finds the records that association pseudo-fields name.
    """

    def __init__(self, api: HubSpotApi, kind: Kind, resolver: Resolver) -> None:
        self._api = api
        self._kind = kind
        self._resolver = resolver

    def write(self, ops: Sequence[WriteOp]) -> list[WriteResult]:
        """One result per op; see the module docstring for how."""
        results: Results = {}
        items = self._prepare(ops, results)
        handlers: dict[WriteAction, Callable[[list[_Item]], Results]] = {
            WriteAction.UPSERT: self._upsert,
            WriteAction.UPDATE: self._update,
            WriteAction.CREATE: self._create,
            WriteAction.ARCHIVE: self._archive,
        }
        for action, handler in handlers.items():
            chosen = [item for item in items if item.op.action is action]
            if chosen:
                results.update(handler(chosen))
        self._associate(items, results)
        return [results[op.ref] for op in ops]

    # -- preparing ---------------------------------------------------------------------

    def _prepare(self, ops: Sequence[WriteOp], results: Results) -> list[_Item]:
        """Split pseudo-fields from properties and resolve them; an op that cannot be
        written fails here, before any write call."""
        split: list[tuple[WriteOp, dict[str, str], dict[AssociationField, list[str]]]] = []
        for op in ops:
            try:
                split.append((op, *self._split(op)))
            except ValueError as trouble:
                results[op.ref] = WriteResult.failed(op.ref, str(trouble), code="INVALID_FIELD")
        wanted = [(f, v) for _, _, asked in split for f, items in asked.items() for v in items]
        found = self._resolver.resolve(wanted) if wanted else {}
        prepared: list[_Item] = []
        for op, properties, asked in split:
            targets = [
                (association, value, found.get(key(association, value)))
                for association, items in asked.items()
                for value in items
            ]
            missing = [f"{a.to_type} with {a.by} {v!r}" for a, v, got in targets if got is None]
            if missing:
                reason = f"no {', '.join(missing)} exists in HubSpot to associate with"
                results[op.ref] = WriteResult.failed(op.ref, reason, code="ASSOCIATION_NOT_FOUND")
            else:
                linked = [Target(a.to_type, got) for a, _, got in targets if got is not None]
                prepared.append(_Item(op, properties, linked))
        return prepared

    def _split(self, op: WriteOp) -> tuple[dict[str, str], dict[AssociationField, list[str]]]:
        """The op's properties as text, and its association pseudo-fields' values.

        Raises:
            ValueError: a pseudo-field this object type cannot use.
        """
        properties: dict[str, str] = {}
        asked: dict[AssociationField, list[str]] = {}
        for name, value in op.fields.items():
            association = AssociationField.parse(name)
            if association is None:
                properties[name] = property_text(value)
                continue
            trouble = problem(self._kind, association)
            if trouble:
                raise ValueError(trouble)
            asked[association] = values(value)
        return properties, asked

    # -- actions -----------------------------------------------------------------------

    def _upsert(self, items: list[_Item]) -> Results:
        results: Results = {}
        valid: list[_Item] = []
        for item in items:
            match = item.op.match
            if match is None or not match.value:
                results |= _failed_items([item], "an upsert needs a match value")
            elif match.field == RECORD_ID:
                reason = (
                    f"cannot upsert by {RECORD_ID}: HubSpot chooses record ids; match on a "
                    "unique property such as email or an external id"
                )
                results |= _failed_items([item], reason)
            else:
                valid.append(item)

        def attempt(batch: list[_Entry]) -> Results:
            inputs = [
                Input(str(n), e.properties, id=e.op.match.value, id_property=e.op.match.field)
                for n, e in enumerate(batch)
                if e.op.match is not None
            ]
            with unique_property(self._kind.name):
                answer = self._api.upsert(self._kind.name, inputs)
            name = batch[0].op.match.field if batch[0].op.match else ""
            return _attribute(
                answer,
                batch,
                _by_value(name),
                lambda r: Outcome.CREATED if r.new else Outcome.UPDATED,
            )

        return results | _isolating(_merge(valid, _match_key), attempt)

    def _update(self, items: list[_Item]) -> Results:
        results: Results = {}
        self._locate([i for i in items if i.op.target_id is None and i.op.match is not None])
        for item in items:
            item.record_id = item.op.target_id or item.record_id
            if item.record_id is None and item.op.match is None:
                results |= _failed_items([item], "an update needs the record's id or a match value")
            elif item.record_id is None:
                results[item.op.ref] = WriteResult(item.op.ref, Outcome.NOT_FOUND)

        def attempt(batch: list[_Entry]) -> Results:
            inputs = [Input(str(n), e.properties, id=e.record_id) for n, e in enumerate(batch)]
            answer = self._api.update(self._kind.name, inputs)
            return _attribute(answer, batch, _BY_RECORD_ID, lambda r: Outcome.UPDATED)

        located = [i for i in items if i.record_id is not None]
        return results | _isolating(_merge(located, lambda i: i.record_id), attempt)

    def _create(self, items: list[_Item]) -> Results:
        entries = _merge(items, lambda i: _match_key(i) if i.op.match else None)
        return _isolating(entries, self._create_finding_conflicts)

    def _create_finding_conflicts(self, batch: list[_Entry]) -> Results:
        """Create ``batch``; records whose unique value exists become UNCHANGED."""
        results: Results = {}
        pending = batch
        while pending:
            try:
                return results | self._create_once(pending)
            except HubSpotApiError as error:
                if error.body.category != "CONFLICT":
                    raise
                conflict = error.body.message
            existing = self._existing(pending, conflict)
            if not existing and len(pending) == 1:
                return results | _failed(pending, conflict, "CONFLICT")
            if not existing:  # the conflict is on a unique value other than the match
                middle = len(pending) // 2
                first, second = pending[:middle], pending[middle:]
                return (
                    results
                    | self._create_finding_conflicts(first)
                    | (self._create_finding_conflicts(second))
                )
            for entry, record_id in existing:
                results |= {r: WriteResult(r, Outcome.UNCHANGED, record_id) for r in entry.refs}
            pending = [e for e in pending if all(e is not found for found, _ in existing)]
        return results

    def _create_once(self, batch: list[_Entry]) -> Results:
        inputs = [Input(str(n), e.properties) for n, e in enumerate(batch)]
        answer = self._api.create(self._kind.name, inputs)
        name = batch[0].op.match.field if batch[0].op.match else ""
        return _attribute(answer, batch, _by_value(name), lambda r: Outcome.CREATED)

    def _archive(self, items: list[_Item]) -> Results:
        results = _failed_items(
            [i for i in items if i.op.target_id is None], "an archive needs the record's id"
        )
        refs: dict[str, list[str]] = {}
        for item in items:
            if item.op.target_id is not None:
                refs.setdefault(item.op.target_id, []).append(item.op.ref)
        if refs:
            # A 204 whatever the ids: records already gone count as archived.
            self._api.archive(self._kind.name, list(refs))
        for record_id, named in refs.items():
            results |= {ref: WriteResult(ref, Outcome.ARCHIVED, record_id) for ref in named}
        return results

    # -- helpers -----------------------------------------------------------------------

    def _locate(self, items: Iterable[_Item]) -> None:
        """Set ``record_id`` of items that name their record by a match value."""
        by_field: dict[str, list[_Item]] = {}
        for item in items:
            if item.op.match is not None:
                by_field.setdefault(item.op.match.field, []).append(item)
        for name, group in by_field.items():
            asked = sorted({i.op.match.value for i in group if i.op.match})
            with unique_property(self._kind.name):
                answer = self._api.read(self._kind.name, asked, id_property=name, properties=[name])
            ids = {_fold(name, r.properties.get(name)): r.id for r in answer.results}
            for item in group:
                assert item.op.match is not None
                item.record_id = ids.get(_fold(name, item.op.match.value))

    def _existing(self, batch: list[_Entry], message: str) -> list[tuple[_Entry, str]]:
        """The entries whose records made a batch/create conflict, with their ids."""
        named = _EXISTING_ID.search(message)
        if len(batch) == 1 and named:
            return [(batch[0], named.group(1))]
        self._locate(entry.items[0] for entry in batch)
        return [(e, e.record_id) for e in batch if e.record_id is not None]

    def _associate(self, items: list[_Item], results: Results) -> None:
        """Link written records with their targets; a failed link fails its op."""
        pairs: list[tuple[str, Target]] = []
        refs: dict[str, list[str]] = {}
        for item in items:
            result = results.get(item.op.ref)
            if not item.targets or result is None or result.outcome not in _SUCCEEDED:
                continue
            assert result.target_id is not None
            refs.setdefault(result.target_id, []).append(item.op.ref)
            pairs += [(result.target_id, target) for target in item.targets]
        if not pairs:
            return
        for record_id, reason in self._resolver.link(self._kind.name, pairs).items():
            for ref in refs.get(record_id, []):
                text = f"written as {self._kind.singular} {record_id}, but {reason}"
                results[ref] = WriteResult.failed(ref, text, code="ASSOCIATION_FAILED")


def _merge(items: list[_Item], key_of: Callable[[_Item], Hashable | None]) -> list[_Entry]:
    """Items grouped by the record they name, in first-seen order."""
    entries: list[_Entry] = []
    by_key: dict[Hashable, _Entry] = {}
    for item in items:
        item_key = key_of(item)
        if item_key is None:
            entries.append(_Entry([item]))
        elif item_key in by_key:
            by_key[item_key].items.append(item)
        else:
            by_key[item_key] = _Entry([item])
            entries.append(by_key[item_key])
    return entries


def _isolating(entries: list[_Entry], attempt: Callable[[list[_Entry]], Results]) -> Results:
    """``attempt`` the batch; if HubSpot refuses it whole over property values, halve it
    until the invalid inputs stand alone."""
    if not entries:
        return {}
    try:
        return attempt(entries)
    except HubSpotApiError as error:
        if error.status != 400 or not error.body.message.startswith(_INVALID_VALUES):
            raise
        if len(entries) == 1:
            return _failed(entries, readable(error.body.message), error.body.category)
    middle = len(entries) // 2
    return _isolating(entries[:middle], attempt) | _isolating(entries[middle:], attempt)


def _attribute(
    answer: BatchAnswer, batch: list[_Entry], keys: _Keys, outcome: Callable[[ItemResult], Outcome]
) -> Results:
    """Map a batch answer back to its entries: by trace id, else by the record it names."""
    by_trace = {str(n): entry for n, entry in enumerate(batch)}
    by_key = {k: e for e in batch if (k := keys.entry(e)) is not None}
    results: Results = {}
    for result in answer.results:
        found = by_trace.get(result.trace or "") or by_key.get(keys.result(result) or "")
        if found is not None:
            results |= {ref: WriteResult(ref, outcome(result), result.id) for ref in found.refs}
    for error in answer.errors:
        named = {id(e): e for t in error.traces if (e := by_trace.get(t)) is not None}
        if not named:
            named = {id(e): e for v in error.ids if (e := by_key.get(keys.error_id(v) or ""))}
        for entry in named.values():
            results |= _error_results(entry, error)
    missing = [e for e in batch if any(ref not in results for ref in e.refs)]
    return results | _failed(missing, "HubSpot returned no result for this record", None)


def _error_results(entry: _Entry, error: ItemError) -> Results:
    if error.category == "OBJECT_NOT_FOUND" and entry.record_id is not None:
        return {ref: WriteResult(ref, Outcome.NOT_FOUND, entry.record_id) for ref in entry.refs}
    return _failed([entry], readable(error.message), error.code)


def _failed(entries: Iterable[_Entry], reason: str, code: str | None) -> Results:
    return {ref: WriteResult.failed(ref, reason, code=code) for e in entries for ref in e.refs}


def _failed_items(items: Iterable[_Item], reason: str) -> Results:
    return {item.op.ref: WriteResult.failed(item.op.ref, reason) for item in items}


def _match_key(item: _Item) -> tuple[str, str | None]:
    assert item.op.match is not None
    return item.op.match.field, _fold(item.op.match.field, item.op.match.value)


def _fold(name: str, value: Any) -> str | None:
    """A unique value as HubSpot compares it: emails without regard to case or spaces."""
    if value is None:
        return None
    text = str(value)
    return text.strip().casefold() if name == "email" else text


def readable(message: str) -> str:
    """HubSpot's "Property values were not valid: [json]" as one line of plain text."""
    if not message.startswith(_INVALID_VALUES):
        return message
    try:
        problems = json.loads(message.removeprefix(_INVALID_VALUES))
    except ValueError:
        return message
    parts = (
        [
            f"{p.get('name')}: {p.get('message')}"
            for p in problems
            if isinstance(p, Mapping) and p.get("message")
        ]
        if isinstance(problems, list)
        else []
    )
    return _INVALID_VALUES + "; ".join(parts) if parts else message
