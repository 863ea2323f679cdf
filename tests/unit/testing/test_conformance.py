"""The conformance kit itself: it skips what an object type cannot do, fails what it gets wrong."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from pydantic import BaseModel

from crmsync.sdk.connector import Capability, Connector, ObjectType
from crmsync.sdk.context import ConnectorContext
from crmsync.sdk.records import Page, ReadRequest, Record
from crmsync.sdk.schema import ObjectSchema
from crmsync.testing.conformance import ConformanceHarness, ConnectorConformance, SeedRecord


class People(ObjectType):
    """Read-only records held in memory; ``repeat_last`` makes it yield one record twice."""

    name = "people"

    def __init__(self, page_size: int, *, repeat_last: bool = False) -> None:
        self.held: list[Record] = []
        self.page_size = page_size
        self.repeat_last = repeat_last

    def describe(self) -> ObjectSchema:
        return ObjectSchema()

    def read(self, request: ReadRequest) -> Iterator[Page]:
        found = self.held + self.held[-1:] if self.repeat_last else self.held
        for start in range(0, len(found), self.page_size):
            yield Page(found[start : start + self.page_size])


class NoSettings(BaseModel):
    pass


class Toy(Connector[NoSettings]):
    name = "toy"
    title = "Toy"
    settings_model = NoSettings

    def __init__(self, people: People) -> None:
        super().__init__(NoSettings(), ConnectorContext("toy"))
        self.people = people

    def object_types(self) -> Sequence[ObjectType]:
        return [self.people]


@dataclass
class ToyHarness:
    connector: Toy
    read_object: str = "people"
    write_object: str = "people"
    page_size: int = 4
    match_field: str = "email"

    def seed(self, records: Sequence[SeedRecord]) -> list[str]:
        self.connector.people.held += [
            Record(r.key, {"email": r.email}, r.updated_at) for r in records
        ]
        return [r.key for r in records]

    def touch(self, keys: Sequence[str], at: datetime) -> None:
        raise AssertionError("not reached: the checks that touch need incremental reads")

    def remote(self, object_name: str) -> list[Mapping[str, Any]]:
        return [r.fields for r in self.connector.people.held]

    def valid_fields(self, n: int) -> dict[str, Any]:
        return {"email": f"p{n}@example.com", "name": f"P {n}"}

    def invalid_fields(self) -> dict[str, Any]:
        return {"email": "not an address"}


def harness(*, repeat_last: bool = False) -> ConformanceHarness:
    return ToyHarness(Toy(People(4, repeat_last=repeat_last)))


def test_a_toy_that_reads_correctly_passes_the_full_read_check() -> None:
    ConnectorConformance().test_full_read_returns_every_record_once_across_pages(harness())


def test_a_record_read_twice_fails_the_full_read_check() -> None:
    with pytest.raises(AssertionError, match=r"a full read: \{'repeated': \['full-0009'\]\}"):
        ConnectorConformance().test_full_read_returns_every_record_once_across_pages(
            harness(repeat_last=True)
        )


@pytest.mark.parametrize(
    ("check", "needs"),
    [
        ("test_incremental_read_returns_each_change_once", "incremental"),
        ("test_resuming_from_any_checkpoint_neither_loses_nor_repeats", "incremental"),
        ("test_the_same_upsert_twice_leaves_one_record", "upsert"),
        ("test_a_rejected_record_does_not_fail_its_batch", "neither upsert nor create"),
        ("test_a_full_batch_gets_one_result_per_op", "neither upsert nor create"),
        ("test_update_by_target_id_changes_only_the_given_fields", "neither upsert nor create"),
        ("test_archive_removes_the_record", "neither upsert nor create"),
    ],
)
def test_checks_skip_what_the_object_type_does_not_declare(check: str, needs: str) -> None:
    assert harness().connector.object_type("people").capabilities == Capability.READ
    with pytest.raises(pytest.skip.Exception, match=needs):
        getattr(ConnectorConformance(), check)(harness())
