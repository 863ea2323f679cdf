"""describe(): the fields of a file, declared or found."""

from __future__ import annotations

import json
from pathlib import Path

from crmsync.sdk.schema import FieldSchema, FieldType, ObjectSchema

from .helpers import file_object, write_csv, write_jsonl


def test_a_csv_is_described_by_its_header_as_text(tmp_path: Path) -> None:
    write_csv(tmp_path / "t.csv", ["id", "email", "score"], [["1", "a", "5"]])
    schema = file_object(tmp_path, path="t.csv").describe()
    assert schema == ObjectSchema.of(
        [FieldSchema("id", unique=True), FieldSchema("email"), FieldSchema("score")], open=True
    )


def test_a_jsonl_file_is_described_by_its_first_lines_with_inferred_types(tmp_path: Path) -> None:
    rows = [
        {"id": 1, "name": "a", "score": 1, "vip": True, "tags": [], "address": {}},
        {"id": 2, "score": 2.5, "vip": None, "mixed": "x"},
        {"id": 3, "mixed": 3, "unknown": None},
    ]
    lines = ["not json", *(json.dumps(row) for row in rows)]  # the sample skips bad lines
    (tmp_path / "t.jsonl").write_text("\n".join(lines), encoding="utf-8")
    schema = file_object(tmp_path, path="t.jsonl").describe()
    assert {f.name: f.type for f in schema} == {
        "id": FieldType.INTEGER,
        "name": FieldType.STRING,
        "score": FieldType.DECIMAL,
        "vip": FieldType.BOOLEAN,
        "tags": FieldType.ARRAY,
        "address": FieldType.OBJECT,
        "mixed": FieldType.STRING,
        "unknown": FieldType.STRING,
    }
    assert [f.name for f in schema if f.unique] == ["id"]
    assert schema.open


def test_the_jsonl_sample_stops_after_a_hundred_lines(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "t.jsonl", [*({"id": n} for n in range(100)), {"id": 100, "late": 1}])
    assert "late" not in file_object(tmp_path, path="t.jsonl").describe()


def test_declared_fields_make_a_closed_schema(tmp_path: Path) -> None:
    write_csv(tmp_path / "t.csv", ["id", "email", "extra"], [])
    fields = {"id": "string", "score": "integer"}
    schema = file_object(tmp_path, path="t.csv", fields=fields).describe()
    assert schema == ObjectSchema.of(
        [FieldSchema("id", unique=True), FieldSchema("score", FieldType.INTEGER)]
    )


def test_a_file_that_does_not_exist_yet_has_an_open_empty_schema(tmp_path: Path) -> None:
    for name in ("new.csv", "new.jsonl"):
        assert file_object(tmp_path, path=name).describe() == ObjectSchema(open=True)


def test_an_empty_csv_has_no_fields(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text("", encoding="utf-8")
    assert file_object(tmp_path, path="t.csv").describe() == ObjectSchema(open=True)
