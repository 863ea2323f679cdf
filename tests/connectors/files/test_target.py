"""Writing to a file: what each op does and how values are written."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from crmsync.sdk.errors import ApiRequestError
from crmsync.sdk.records import Match, Outcome, WriteAction, WriteOp, WriteResult

from .helpers import file_object, read_csv, read_jsonl, write, write_csv, write_jsonl

CREATE, UPSERT, UPDATE, ARCHIVE = (
    WriteAction.CREATE,
    WriteAction.UPSERT,
    WriteAction.UPDATE,
    WriteAction.ARCHIVE,
)


def upsert(key: str, ref: str | None = None, **fields: Any) -> WriteOp:
    return WriteOp(UPSERT, ref or key, {"id": key, **fields}, match=Match("id", key))


def outcomes(results: list[WriteResult]) -> list[tuple[str, Outcome, str | None]]:
    return [(r.ref, r.outcome, r.target_id) for r in results]


@pytest.fixture(params=["csv", "jsonl"])
def suffix(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def held(path: Path) -> list[dict[str, Any]]:
    return list(read_csv(path) if path.suffix == ".csv" else read_jsonl(path))


def test_upsert_creates_updates_and_leaves_equal_rows_unchanged(
    tmp_path: Path, suffix: str
) -> None:
    target = file_object(tmp_path, path=f"out.{suffix}")
    first = write(target, upsert("1", email="a@example.com"), upsert("2", email="b@example.com"))
    again = write(target, upsert("1", email="a@example.com"), upsert("2", email="new@example.com"))
    assert outcomes(first) == [("1", Outcome.CREATED, "1"), ("2", Outcome.CREATED, "2")]
    assert outcomes(again) == [("1", Outcome.UNCHANGED, "1"), ("2", Outcome.UPDATED, "2")]
    assert held(tmp_path / f"out.{suffix}") == [
        {"id": "1", "email": "a@example.com"},
        {"id": "2", "email": "new@example.com"},
    ]


def test_upsert_must_match_on_the_key_column(tmp_path: Path) -> None:
    target = file_object(tmp_path, path="out.csv")
    by_email = WriteOp(UPSERT, "a", {"id": "1", "email": "a@x"}, match=Match("email", "a@x"))
    unmatched = WriteOp(UPSERT, "b", {"id": "2"})
    results = write(target, by_email, unmatched, upsert("3"))
    assert [r.outcome for r in results] == [Outcome.FAILED, Outcome.FAILED, Outcome.CREATED]
    out = tmp_path / "out.csv"
    assert results[0].reason == (
        f"{out} (objects.things): upserts must match on the key column 'id', "
        "got match field 'email'"
    )
    assert results[1].reason is not None
    assert results[1].reason.endswith("got no match field")
    assert read_csv(out) == [{"id": "3"}]


def test_an_op_without_a_key_fails_and_its_batch_mates_land(tmp_path: Path, suffix: str) -> None:
    target = file_object(tmp_path, path=f"out.{suffix}")
    results = write(target, upsert("1"), upsert("", ref="empty"), upsert("2"))
    assert outcomes(results) == [
        ("1", Outcome.CREATED, "1"),
        ("empty", Outcome.FAILED, None),
        ("2", Outcome.CREATED, "2"),
    ]
    assert results[1].reason is not None
    assert "no value for the key column 'id'" in results[1].reason
    assert [row["id"] for row in held(tmp_path / f"out.{suffix}")] == ["1", "2"]


def test_fields_cannot_change_the_key_an_op_addresses(tmp_path: Path) -> None:
    target = file_object(tmp_path, path="out.csv")
    op = WriteOp(UPSERT, "r", {"id": "2"}, match=Match("id", "1"))
    (result,) = write(target, op)
    assert result.outcome is Outcome.FAILED
    assert result.reason is not None
    assert "keys cannot be changed" in result.reason


def test_create_never_overwrites_an_existing_row(tmp_path: Path, suffix: str) -> None:
    target = file_object(tmp_path, path=f"out.{suffix}")
    write(target, upsert("1", name="first"))
    results = write(
        target,
        WriteOp(CREATE, "again", {"id": "1", "name": "second"}),
        WriteOp(CREATE, "new", {"id": "2", "name": "other"}),
    )
    assert outcomes(results) == [("again", Outcome.UNCHANGED, "1"), ("new", Outcome.CREATED, "2")]
    assert held(tmp_path / f"out.{suffix}") == [
        {"id": "1", "name": "first"},
        {"id": "2", "name": "other"},
    ]


def test_update_merges_the_given_fields_into_the_row(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "out.csv", ["id", "email", "name"], [["1", "a@x", "Ann"]])
    target = file_object(tmp_path, path="out.csv")
    results = write(
        target,
        WriteOp(UPDATE, "u", {"name": "Anna"}, target_id="1"),
        WriteOp(UPDATE, "same", {"name": "Anna"}, target_id="1"),
        WriteOp(UPDATE, "by-match", {"email": None}, match=Match("id", "1")),
        WriteOp(UPDATE, "missing", {"name": "Bo"}, target_id="2"),
    )
    assert outcomes(results) == [
        ("u", Outcome.UPDATED, "1"),
        ("same", Outcome.UNCHANGED, "1"),
        ("by-match", Outcome.UPDATED, "1"),
        ("missing", Outcome.NOT_FOUND, None),
    ]
    assert read_csv(path) == [{"id": "1", "email": "", "name": "Anna"}]


def test_archive_removes_the_row(tmp_path: Path, suffix: str) -> None:
    target = file_object(tmp_path, path=f"out.{suffix}")
    write(target, upsert("1"), upsert("2"), upsert("3"))
    results = write(
        target, WriteOp(ARCHIVE, "a", target_id="2"), WriteOp(ARCHIVE, "b", target_id="9")
    )
    assert outcomes(results) == [("a", Outcome.ARCHIVED, "2"), ("b", Outcome.NOT_FOUND, None)]
    assert held(tmp_path / f"out.{suffix}") == [{"id": "1"}, {"id": "3"}]


def test_ops_on_one_key_in_one_batch_apply_in_order(tmp_path: Path) -> None:
    write_csv(tmp_path / "out.csv", ["id", "n"], [["1", "old"], ["2", "keep"]])
    target = file_object(tmp_path, path="out.csv")
    results = write(
        target,
        WriteOp(ARCHIVE, "a1", target_id="1"),
        WriteOp(UPDATE, "u1", {"n": "lost"}, target_id="1"),
        WriteOp(CREATE, "c1", {"id": "1", "n": "again"}),
        upsert("3", ref="u3", n="first"),
        upsert("3", ref="u3b", n="second"),
        WriteOp(ARCHIVE, "a3", target_id="3"),
        upsert("4", ref="u4", n="x"),
        WriteOp(UPDATE, "u4b", {"n": "y"}, target_id="4"),
    )
    assert [r.outcome for r in results] == [
        Outcome.ARCHIVED,
        Outcome.NOT_FOUND,
        Outcome.CREATED,
        Outcome.CREATED,
        Outcome.UPDATED,
        Outcome.ARCHIVED,
        Outcome.CREATED,
        Outcome.UPDATED,
    ]
    assert read_csv(tmp_path / "out.csv") == [
        {"id": "1", "n": "again"},
        {"id": "2", "n": "keep"},
        {"id": "4", "n": "y"},
    ]


def test_csv_header_gains_new_columns_in_first_seen_order(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "out.csv", ["id", "email"], [["1", "a@x"]])
    target = file_object(tmp_path, path="out.csv")
    write(target, upsert("2", phone="555", email="b@x"), upsert("3", city="Oslo"))
    write(target, WriteOp(UPDATE, "u", {"zip": "0150"}, target_id="1"))
    assert path.read_text(encoding="utf-8").splitlines() == [
        "id,email,phone,city,zip",
        "1,a@x,,,0150",
        "2,b@x,555,,",
        "3,,,Oslo,",
    ]


def test_csv_cells_are_written_as_text(tmp_path: Path) -> None:
    target = file_object(tmp_path, path="out.csv")
    values: dict[str, Any] = {
        "none": None,
        "yes": True,
        "no": False,
        "int": 42,
        "float": 0.5,
        "decimal": Decimal("12.3400"),
        "day": date(2024, 5, 6),
        "at": datetime(2024, 5, 6, 12, 0, tzinfo=UTC),
        "list": ["a", 1],
        "dict": {"k": Decimal("1.10")},
        "tricky": 'comma, "quote"\nnewline\rreturn',
    }
    (result,) = write(target, upsert("1", **values))
    assert result.outcome is Outcome.CREATED
    assert read_csv(tmp_path / "out.csv") == [
        {
            "id": "1",
            "none": "",
            "yes": "true",
            "no": "false",
            "int": "42",
            "float": "0.5",
            "decimal": "12.3400",
            "day": "2024-05-06",
            "at": "2024-05-06T12:00:00+00:00",
            "list": '["a",1]',
            "dict": '{"k":"1.10"}',
            "tricky": 'comma, "quote"\nnewline\rreturn',
        }
    ]


def test_a_cell_with_quotes_and_line_breaks_survives_updates(tmp_path: Path) -> None:
    tricky = 'comma, "quote"\r\nline\rreturn\nend'
    target = file_object(tmp_path, path="out.csv")
    write(target, upsert("1", note=tricky, n="1"))
    results = write(
        target, upsert("1", note=tricky, n="1"), WriteOp(UPDATE, "u", {"n": "2"}, target_id="1")
    )
    assert [r.outcome for r in results] == [Outcome.UNCHANGED, Outcome.UPDATED]
    assert read_csv(tmp_path / "out.csv") == [{"id": "1", "note": tricky, "n": "2"}]


def test_jsonl_keeps_json_types_and_writes_decimals_as_text(tmp_path: Path) -> None:
    target = file_object(tmp_path, path="out.jsonl")
    values = {
        "none": None,
        "yes": True,
        "int": 42,
        "decimal": Decimal("0.10"),
        "at": datetime(2024, 5, 6, 12, 0, tzinfo=UTC),
        "nested": {"list": [date(2024, 5, 6)]},
    }
    write(target, WriteOp(CREATE, "r", {"id": 7, **values}))
    assert read_jsonl(tmp_path / "out.jsonl") == [
        {
            "id": 7,
            "none": None,
            "yes": True,
            "int": 42,
            "decimal": "0.10",
            "at": "2024-05-06T12:00:00+00:00",
            "nested": {"list": ["2024-05-06"]},
        }
    ]


@pytest.mark.parametrize(
    ("value", "reason"),
    [(object(), "cannot store a object value in a file"), (math.nan, "Out of range float")],
)
def test_a_value_a_file_cannot_hold_fails_its_op(tmp_path: Path, value: Any, reason: str) -> None:
    target = file_object(tmp_path, path="out.jsonl")
    results = write(target, upsert("1", bad=value), upsert("2"))
    assert [r.outcome for r in results] == [Outcome.FAILED, Outcome.CREATED]
    assert results[0].reason is not None
    assert reason in results[0].reason


def test_a_refused_op_adds_no_csv_column(tmp_path: Path) -> None:
    target = file_object(tmp_path, path="out.csv")
    results = write(target, upsert("1", note="x", bad=object()), upsert("2"))
    assert [r.outcome for r in results] == [Outcome.FAILED, Outcome.CREATED]
    assert (tmp_path / "out.csv").read_text(encoding="utf-8").splitlines() == ["id", "2"]


def test_declared_fields_fix_the_header_and_refuse_others(tmp_path: Path) -> None:
    write_csv(tmp_path / "out.csv", ["id", "legacy", "email"], [["1", "kept", "a@x"]])
    fields = {"id": "string", "email": "string", "score": "integer"}
    target = file_object(tmp_path, path="out.csv", fields=fields)
    results = write(target, upsert("2", score=5), upsert("3", phone="555"))
    assert [r.outcome for r in results] == [Outcome.CREATED, Outcome.FAILED]
    assert results[1].reason is not None
    assert "phone not among the declared fields" in results[1].reason
    assert (tmp_path / "out.csv").read_text(encoding="utf-8").splitlines() == [
        "id,email,score,legacy",
        "1,a@x,,kept",
        "2,,5,",
    ]


def test_jsonl_targets_keep_existing_lines(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "out.jsonl", [{"id": 1, "n": 1.25, "tags": ["x"]}])
    target = file_object(tmp_path, path="out.jsonl")
    results = write(target, WriteOp(UPDATE, "u", {"m": True}, target_id="1"), upsert("2"))
    assert [r.outcome for r in results] == [Outcome.UPDATED, Outcome.CREATED]
    assert read_jsonl(tmp_path / "out.jsonl") == [
        {"id": 1, "n": 1.25, "tags": ["x"], "m": True},
        {"id": "2"},
    ]


def test_a_batch_larger_than_max_batch_size_is_refused(tmp_path: Path) -> None:
    target = file_object(tmp_path, path="out.csv", max_batch_size=2)
    assert target.max_batch_size == 2
    with pytest.raises(ApiRequestError, match="a batch of 3 ops exceeds max_batch_size 2"):
        target.write([upsert("1"), upsert("2"), upsert("3")])


def test_finish_without_writes_creates_nothing(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "in.jsonl", [{"id": 1}])
    for name in ("in.jsonl", "new.csv"):
        file_object(tmp_path, path=name).finish()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]
