"""Applying a batch of write ops to a target file's rows, in memory, op by op.

The store loads the rows the batch names; the ops run against them in order (so several
ops on one key see each other); what changed goes back to the store in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field

from crmsync.sdk.records import Outcome, WriteAction, WriteOp, WriteResult
from crmsync_connectors.files.encoding import RowCodec
from crmsync_connectors.files.values import key_text


@dataclass(frozen=True, slots=True)
class Stored:
    """A row as the store holds it: its place in the file and its line."""

    pos: int
    text: str


@dataclass(slots=True)
class Changes:
    """What a batch does to the store, in the shapes its statements take."""

    inserts: list[tuple[str, str, int]] = field(default_factory=list)  # (key, text, cells)
    updates: list[tuple[str, int, int]] = field(default_factory=list)  # (text, cells, pos)
    deletes: list[tuple[int]] = field(default_factory=list)  # (pos,)

    def __bool__(self) -> bool:
        return bool(self.inserts or self.updates or self.deletes)


@dataclass(frozen=True, slots=True)
class WriteRules:
    """What a target file accepts.

    Attributes:
        key: the key column; target ids are its values.
        declared: the declared columns, when ``fields`` is set; others are refused.
        where: the file and object for messages, e.g. ``out.csv (objects.contacts)``.
    """

    key: str
    declared: frozenset[str] | None
    where: str


Lookup = Callable[[Collection[str]], Mapping[str, Stored]]


class _Refused(Exception):
    """An op this file cannot apply; it becomes a FAILED result."""


@dataclass(slots=True)
class _Slot:
    pos: int | None  # None: not stored yet
    original: str | None  # the stored line; None: absent
    text: str | None  # the line after the ops so far; None: absent
    cells: int = 0


def apply_ops(
    ops: Sequence[WriteOp], rules: WriteRules, codec: RowCodec, lookup: Lookup
) -> tuple[list[WriteResult], Changes]:
    """Run ``ops`` in order against the rows ``lookup`` returns.

    Returns:
        One result per op, and the changes to store. ``codec.columns`` gains the new
        columns the rows use.
    """
    keys: list[str | _Refused] = [_key_of(op, rules) for op in ops]
    stored = lookup({k for k in keys if isinstance(k, str)})
    slots = {k: _Slot(s.pos, s.text, s.text) for k, s in stored.items()}
    results = []
    for op, key in zip(ops, keys, strict=True):
        try:
            if isinstance(key, _Refused):
                raise key
            slot = slots.get(key)
            if slot is None:
                slot = slots[key] = _Slot(None, None, None)
            outcome = _apply(op, key, slot, rules, codec)
        except (_Refused, ValueError) as exc:
            results.append(WriteResult.failed(op.ref, f"{rules.where}: {exc}"))
            continue
        results.append(WriteResult(op.ref, outcome, None if outcome is Outcome.NOT_FOUND else key))
    return results, _changes(slots)


def _key_of(op: WriteOp, rules: WriteRules) -> str | _Refused:
    """The key ``op`` addresses, or why it has none."""
    match = op.match
    matched = match.value if match is not None and match.field == rules.key else None
    if op.action is WriteAction.UPSERT and matched is None:
        named = "no match field" if match is None else f"match field {match.field!r}"
        return _Refused(f"upserts must match on the key column {rules.key!r}, got {named}")
    if op.action is WriteAction.CREATE:
        candidate = op.fields.get(rules.key, matched)
    elif op.action is WriteAction.UPSERT:
        candidate = matched
    else:
        candidate = op.target_id or matched
    key = key_text(candidate)
    if key is None:
        return _Refused(f"no value for the key column {rules.key!r} (found {candidate!r})")
    if rules.key in op.fields and key_text(op.fields[rules.key]) != key:
        return _Refused(
            f"{rules.key!r} is {op.fields[rules.key]!r} in the fields but the op addresses "
            f"{key!r}; keys cannot be changed"
        )
    return key


def _apply(op: WriteOp, key: str, slot: _Slot, rules: WriteRules, codec: RowCodec) -> Outcome:
    """The op's outcome, updating ``slot``."""
    if rules.declared is not None and (extra := op.fields.keys() - rules.declared):
        raise _Refused(f"{', '.join(sorted(extra))} not among the declared fields")
    exists = slot.text is not None
    if op.action is WriteAction.ARCHIVE:
        slot.text = None
        return Outcome.ARCHIVED if exists else Outcome.NOT_FOUND
    if op.action is WriteAction.UPDATE and not exists:
        return Outcome.NOT_FOUND
    if op.action is WriteAction.CREATE and exists:
        return Outcome.UNCHANGED
    row = codec.decode(slot.text) if slot.text is not None else {}
    codec.merge(row, op.fields)
    if rules.key not in row:
        codec.merge(row, {rules.key: key})
    text, cells = codec.encode(row)
    if not exists:
        outcome = Outcome.CREATED
    else:
        outcome = Outcome.UNCHANGED if text == slot.text else Outcome.UPDATED
    slot.text, slot.cells = text, cells
    return outcome


def _changes(slots: Mapping[str, _Slot]) -> Changes:
    changes = Changes()
    for key, slot in slots.items():
        if slot.text == slot.original:
            continue
        if slot.text is None:
            if slot.pos is not None:
                changes.deletes.append((slot.pos,))
        elif slot.pos is None:
            changes.inserts.append((key, slot.text, slot.cells))
        else:
            changes.updates.append((slot.text, slot.cells, slot.pos))
    return changes
