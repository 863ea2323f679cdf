"""The read/write conformance suite that every connector's tests subclass.

A connector's test module subclasses :class:`ConnectorConformance` as ``TestXxx`` and
provides a ``harness`` fixture returning a :class:`ConformanceHarness` on a fresh, empty
platform (a temporary folder, an emulator on loopback)::

    class TestHubspotConformance(ConnectorConformance):
        @pytest.fixture
        def harness(self, emulator: HubspotEmulator) -> HubspotHarness:
            return HubspotHarness(emulator)

The checks speak only of generic operations (seed, touch, list what the platform holds),
so the same suite runs against files and HTTP platforms. A check that needs a capability
the object type does not declare is skipped with the reason. HTTP behaviour (429s,
Retry-After, secrets in logs) is checked by ``crmsync.testing.http_conformance``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import pytest

from crmsync.sdk.connector import Capability, Connector, ObjectType
from crmsync.sdk.records import (
    Cursor,
    Match,
    Outcome,
    Page,
    ReadRequest,
    WriteAction,
    WriteOp,
    WriteResult,
)

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
"""The modified time of the first seeded record; later ones follow a minute apart."""

SUCCEEDED = frozenset({Outcome.CREATED, Outcome.UPDATED, Outcome.UNCHANGED})


@dataclass(frozen=True, slots=True)
class SeedRecord:
    """A record to put on the platform; the harness maps it to the platform's fields.

    Attributes:
        key: unique among the seeded records; ``touch`` names records by it.
        email: unique, valid address.
        name: a person's full name.
        updated_at: the modified time the platform must report for the record (whole
            seconds, UTC).
    """

    key: str
    email: str
    name: str
    updated_at: datetime


class ConformanceHarness(Protocol):
    """A platform under test, reduced to the operations the checks need.

    Plain attributes satisfy the read-only properties below.
    """

    @property
    def connector(self) -> Connector[Any]:
        """The connector, configured against this platform."""
        ...

    @property
    def read_object(self) -> str:
        """The object type the read checks read (it holds the seeded records)."""
        ...

    @property
    def write_object(self) -> str:
        """The object type the write checks write."""
        ...

    @property
    def page_size(self) -> int:
        """Records per page the connector reads from ``read_object`` (small: 5 to 50)."""
        ...

    @property
    def match_field(self) -> str:
        """The unique field of ``write_object`` that upserts match on."""
        ...

    def seed(self, records: Sequence[SeedRecord]) -> list[str]:
        """Put ``records`` on the platform; return their record ids, in order."""
        ...

    def touch(self, keys: Sequence[str], at: datetime) -> None:
        """Modify the seeded records with these keys so their modified time becomes ``at``."""
        ...

    def remote(self, object_name: str) -> list[Mapping[str, Any]]:
        """Every active (not archived) record of ``object_name`` the platform holds now."""
        ...

    def valid_fields(self, n: int) -> dict[str, Any]:
        """A creatable payload for ``write_object`` with a match value unique to ``n``.

        Its values must come back unchanged from ``remote``.
        """
        ...

    def invalid_fields(self) -> dict[str, Any]:
        """A payload the platform rejects for this record alone."""
        ...


class ConnectorConformance:
    """Checks every connector must pass; collected only in ``Test``-named subclasses."""

    def test_full_read_returns_every_record_once_across_pages(
        self, harness: ConformanceHarness
    ) -> None:
        source = _object(harness, harness.read_object, Capability.READ, "reading")
        size = harness.page_size
        ids = harness.seed(_seeds("full", size * 2 + size // 2, start=T0))
        pages = _read(source, ReadRequest())
        assert len(pages) >= 3, f"expected at least 3 pages of {size}, got {len(pages)}"
        _assert_exactly_once(_ids(pages), ids, "a full read")

    def test_incremental_read_returns_each_change_once(self, harness: ConformanceHarness) -> None:
        source = _object(harness, harness.read_object, Capability.INCREMENTAL, "incremental reads")
        shared_at = T0 + timedelta(hours=1)
        seeds = [
            *_seeds("early", 3, start=T0),
            *_seeds("tie", harness.page_size + 3, start=shared_at, step=timedelta(0)),
            *_seeds("late", 3, start=shared_at + timedelta(hours=1)),
        ]
        ids = harness.seed(seeds)
        cursors = _cursors(_read(source, ReadRequest()), dict(zip(ids, seeds, strict=True)))

        tied = sorted(c for c in cursors.values() if c.updated_at == shared_at)
        since = tied[len(tied) // 2]
        after = [i for i, c in cursors.items() if c > since]
        got = _ids(_read(source, ReadRequest(since=since)))
        _assert_exactly_once(got, after, f"a read since {since} (inside a tie)")

        final = _read(source, ReadRequest())[-1].checkpoint
        assert final is not None, "the last page of an incremental read must carry a checkpoint"
        assert final >= max(cursors.values()), f"final checkpoint {final} is behind a record"
        touched = [seeds[0], seeds[4], seeds[-1]]
        harness.touch([s.key for s in touched], at=shared_at + timedelta(hours=2))
        got = _ids(_read(source, ReadRequest(since=final)))
        expected = [i for i, s in zip(ids, seeds, strict=True) if s in touched]
        _assert_exactly_once(got, expected, f"a read of touched records since {final}")

    def test_resuming_from_any_checkpoint_neither_loses_nor_repeats(
        self, harness: ConformanceHarness
    ) -> None:
        source = _object(harness, harness.read_object, Capability.INCREMENTAL, "incremental reads")
        shared_at = T0 + timedelta(hours=1)
        seeds = [
            *_seeds("early", harness.page_size, start=T0),
            *_seeds("tie", harness.page_size + 3, start=shared_at, step=timedelta(0)),
        ]
        ids = harness.seed(seeds)
        seen: list[str] = []
        for page in _read(source, ReadRequest()):
            seen += [record.id for record in page.records]
            if page.checkpoint is None:
                continue
            rest = _ids(_read(source, ReadRequest(since=page.checkpoint)))
            repeated = sorted(set(rest) & set(seen))
            assert not repeated, f"resuming from {page.checkpoint} repeats {repeated[:10]}"
            _assert_exactly_once(seen + rest, ids, f"a read resumed from {page.checkpoint}")

    def test_the_same_upsert_twice_leaves_one_record(self, harness: ConformanceHarness) -> None:
        target = _object(harness, harness.write_object, Capability.UPSERT, "upserts")
        fields = harness.valid_fields(1)
        op = _op(WriteAction.UPSERT, "upsert-1", fields, harness.match_field)
        (first,) = _write(target, [op])
        (second,) = _write(target, [op])
        target.finish()
        assert first.outcome in {Outcome.CREATED, Outcome.UPDATED}, first
        assert second.outcome in {Outcome.UPDATED, Outcome.UNCHANGED}, second
        assert first.target_id, f"an upsert must return the target id: {first}"
        assert second.target_id == first.target_id, (first, second)
        held = _held(harness, fields)
        assert len(held) == 1, f"expected one record matching the upsert, found {held}"

    def test_creating_a_record_that_exists_leaves_one_record(
        self, harness: ConformanceHarness
    ) -> None:
        """Crash safety for targets without an upsert: a create that the engine sends again
        (it reached the platform, but the run died before recording it) must find the
        record instead of duplicating it."""
        target = _object(harness, harness.write_object, Capability.CREATE, "creates")
        fields = harness.valid_fields(1)
        op = _op(WriteAction.CREATE, "create-1", fields, harness.match_field)
        (first,) = _write(target, [op])
        (second,) = _write(target, [op])
        target.finish()
        assert first.outcome is Outcome.CREATED, first
        assert second.outcome is Outcome.UNCHANGED, (
            f"creating an existing record must report it UNCHANGED, with its id: {second}"
        )
        assert second.target_id == first.target_id, (first, second)
        held = _held(harness, fields)
        assert len(held) == 1, f"expected one record after creating it twice, found {held}"

    def test_a_rejected_record_does_not_fail_its_batch(self, harness: ConformanceHarness) -> None:
        target, action = _creating(harness)
        good = [harness.valid_fields(1), harness.valid_fields(2)]
        refs = ["good-1", "bad", "good-2"]
        payloads = [good[0], harness.invalid_fields(), good[1]]
        ops = [_op(action, r, p, harness.match_field) for r, p in zip(refs, payloads, strict=True)]
        results = {r.ref: r for r in _write(target, ops)}
        target.finish()
        bad = results["bad"]
        assert bad.outcome is Outcome.FAILED, f"invalid record: {bad}"
        assert bad.reason, f"a FAILED result must say why: {bad}"
        for ref in ("good-1", "good-2"):
            assert results[ref].outcome in SUCCEEDED, f"valid batch-mate: {results[ref]}"
        for fields in good:
            assert len(_held(harness, fields)) == 1, f"{fields} did not land"

    def test_a_full_batch_gets_one_result_per_op(self, harness: ConformanceHarness) -> None:
        target, action = _creating(harness)
        size = min(target.max_batch_size, 1000)
        ops = [
            _op(action, f"op-{n}", harness.valid_fields(n), harness.match_field)
            for n in range(size)
        ]
        results = _write(target, ops)
        target.finish()
        failed = [r for r in results if r.outcome is Outcome.FAILED]
        assert not failed, f"{len(failed)} of a batch of {size} failed, e.g. {failed[:3]}"
        values = {str(op.fields[harness.match_field]) for op in ops}
        landed = [
            r for r in harness.remote(target.name) if str(r.get(harness.match_field)) in values
        ]
        assert len(landed) == size, f"wrote {size} records, the platform holds {len(landed)}"

    def test_update_by_target_id_changes_only_the_given_fields(
        self, harness: ConformanceHarness
    ) -> None:
        target, action = _creating(harness)
        _require(target, Capability.UPDATE, "updates")
        original, donor = harness.valid_fields(1), harness.valid_fields(2)
        changed = next(
            (k for k in original if k != harness.match_field and donor.get(k) != original[k]),
            None,
        )
        assert changed is not None, "valid_fields(1) and (2) must differ beyond the match field"
        target_id = _created_id(target, action, original, harness.match_field)
        update = WriteOp(WriteAction.UPDATE, "update", {changed: donor[changed]}, target_id)
        (result,) = _write(target, [update])
        target.finish()
        assert result.outcome is Outcome.UPDATED, result
        assert result.target_id == target_id, result
        held = _held(harness, original)
        assert len(held) == 1, f"expected one record matching {original}, found {held}"
        expected = {**original, changed: donor[changed]}
        differ = {k: (held[0].get(k), v) for k, v in expected.items() if held[0].get(k) != v}
        assert not differ, f"after the update, (held, expected) differ: {differ}"

    def test_archive_removes_the_record(self, harness: ConformanceHarness) -> None:
        target, action = _creating(harness)
        _require(target, Capability.ARCHIVE, "archiving")
        fields = harness.valid_fields(1)
        target_id = _created_id(target, action, fields, harness.match_field)
        (result,) = _write(target, [WriteOp(WriteAction.ARCHIVE, "archive", target_id=target_id)])
        target.finish()
        assert result.outcome is Outcome.ARCHIVED, result
        assert result.target_id == target_id, result
        held = _held(harness, fields)
        assert not held, f"the archived record is still active: {held}"


def _object(harness: ConformanceHarness, name: str, needed: Capability, purpose: str) -> ObjectType:
    found = harness.connector.object_type(name)
    _require(found, needed, purpose)
    return found


def _require(found: ObjectType, needed: Capability, purpose: str) -> None:
    if needed not in found.capabilities:
        pytest.skip(f"{found.name} does not declare {needed.describe()}, which {purpose} needs")


def _creating(harness: ConformanceHarness) -> tuple[ObjectType, WriteAction]:
    """The write object and how it creates records: upsert where it can, else create."""
    target = harness.connector.object_type(harness.write_object)
    for capability, action in (
        (Capability.UPSERT, WriteAction.UPSERT),
        (Capability.CREATE, WriteAction.CREATE),
    ):
        if capability in target.capabilities:
            return target, action
    pytest.skip(f"{target.name} can neither upsert nor create")


def _seeds(
    prefix: str, count: int, *, start: datetime, step: timedelta = timedelta(minutes=1)
) -> list[SeedRecord]:
    return [
        SeedRecord(
            key=f"{prefix}-{n:04d}",
            email=f"{prefix}.{n:04d}@example.com",
            name=f"{prefix.title()} Person {n}",
            updated_at=start + n * step,
        )
        for n in range(count)
    ]


def _op(action: WriteAction, ref: str, fields: Mapping[str, Any], match_field: str) -> WriteOp:
    """An op as the engine sends it: creates and upserts carry the match value."""
    match = Match(match_field, str(fields.get(match_field, "")))
    return WriteOp(action, ref, fields, match=match)


def _read(source: ObjectType, request: ReadRequest) -> list[Page]:
    pages = list(source.read(request))
    rejected = [r for page in pages for r in page.rejected]
    assert not rejected, f"seeded records were rejected: {rejected[:3]}"
    return pages


def _ids(pages: Iterable[Page]) -> list[str]:
    return [record.id for page in pages for record in page.records]


def _cursors(pages: Sequence[Page], seeds: Mapping[str, SeedRecord]) -> dict[str, Cursor]:
    """Each record's cursor, checking it reports its seeded modified time."""
    cursors: dict[str, Cursor] = {}
    for record in (r for page in pages for r in page.records):
        seed, cursor = seeds.get(record.id), record.cursor
        assert seed is not None, f"read record {record.id}, which was not seeded"
        assert cursor is not None, f"record {record.id} of an incremental read has no updated_at"
        assert cursor.updated_at == seed.updated_at, (
            f"record {record.id} reports updated_at {cursor.updated_at}, seeded {seed.updated_at}"
        )
        cursors[record.id] = cursor
    return cursors


def _write(target: ObjectType, ops: Sequence[WriteOp]) -> list[WriteResult]:
    results = target.write(ops)
    refs = Counter(result.ref for result in results)
    assert refs == Counter(op.ref for op in ops), f"results {dict(refs)} do not echo each op once"
    return results


def _created_id(
    target: ObjectType, action: WriteAction, fields: Mapping[str, Any], match_field: str
) -> str:
    (created,) = _write(target, [_op(action, "create", fields, match_field)])
    assert created.outcome is Outcome.CREATED, created
    assert created.target_id, created
    return created.target_id


def _held(harness: ConformanceHarness, fields: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The platform's records whose match field holds the value in ``fields``."""
    value = str(fields[harness.match_field])
    return [
        record
        for record in harness.remote(harness.write_object)
        if str(record.get(harness.match_field)) == value
    ]


def _assert_exactly_once(got: Sequence[str], expected: Iterable[str], what: str) -> None:
    counts = Counter(got)
    wanted = set(expected)
    problems = {
        "repeated": sorted(k for k, n in counts.items() if n > 1),
        "missing": sorted(wanted - counts.keys()),
        "unexpected": sorted(counts.keys() - wanted),
    }
    found = {kind: ids[:10] for kind, ids in problems.items() if ids}
    assert not found, f"{what}: {found}"
