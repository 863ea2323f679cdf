"""Reading CSV and JSON Lines files as pages of records."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crmsync.sdk.connector import Capability
from crmsync.sdk.errors import ConfigError
from crmsync.sdk.records import Cursor, ReadRequest, Rejected

from .helpers import file_object, read_pages, records, write_csv, write_jsonl

T = datetime(2024, 5, 6, 12, 0, tzinfo=UTC)


def rejected(folder: Path, **settings: object) -> list[Rejected]:
    source = file_object(folder, **settings)
    return [r for page in read_pages(source) for r in page.rejected]


def test_csv_values_are_text_and_empty_cells_none(tmp_path: Path) -> None:
    write_csv(tmp_path / "t.csv", ["id", "email", "score"], [["1", "a@example.com", ""]])
    (record,) = records(file_object(tmp_path, path="t.csv"))
    assert record.id == "1"
    assert record.fields == {"id": "1", "email": "a@example.com", "score": None}
    assert record.updated_at is None
    assert record.deleted is False


def test_jsonl_values_keep_their_json_types(tmp_path: Path) -> None:
    row = {
        "id": 7,
        "score": 1.5,
        "vip": True,
        "tags": ["a"],
        "address": {"city": "Oslo"},
        "x": None,
    }
    write_jsonl(tmp_path / "t.jsonl", [row])
    (record,) = records(file_object(tmp_path, path="t.jsonl"))
    assert record.id == "7"
    assert record.fields == row


def test_csv_handles_a_bom_blank_lines_multiline_cells_and_a_delimiter(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text('\ufeffid;note\n1;"two\nlines"\n\n2;x;extra\n3;plain\n', encoding="utf-8")
    source = file_object(tmp_path, path="t.csv", delimiter=";")
    (page,) = read_pages(source)
    assert [(r.id, r.fields["note"]) for r in page.records] == [("1", "two\nlines"), ("3", "plain")]
    (bad,) = page.rejected
    assert bad.id == "line 5"
    assert bad.reason == f"{path} line 5: expected 2 columns, found 3"
    assert bad.raw == {"values": ["2", "x", "extra"]}


@pytest.mark.parametrize("cells", [["1"], ["1", "2", "3", "4"]])
def test_a_csv_row_with_the_wrong_number_of_columns_is_rejected(
    tmp_path: Path, cells: list[str]
) -> None:
    path = write_csv(tmp_path / "t.csv", ["id", "a", "b"], [cells, ["2", "x", "y"]])
    source = file_object(tmp_path, path="t.csv")
    (page,) = read_pages(source)
    assert [r.id for r in page.records] == ["2"]
    assert page.rejected == [
        Rejected(
            "line 2", f"{path} line 2: expected 3 columns, found {len(cells)}", {"values": cells}
        )
    ]


def test_a_csv_row_the_parser_refuses_is_rejected_and_reading_goes_on(tmp_path: Path) -> None:
    huge = "x" * (csv.field_size_limit() + 1)
    path = write_csv(tmp_path / "t.csv", ["id", "a"], [["1", huge], ["2", "ok"]])
    (page,) = read_pages(file_object(tmp_path, path="t.csv"))
    assert [r.id for r in page.records] == ["2"]
    (bad,) = page.rejected
    assert bad.id == "line 2"
    assert bad.reason.startswith(f"{path} line 2: unreadable CSV (field larger than field limit")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (b'{"id": "1",', "expected a JSON object (Expecting property name"),
        (b'["id", "1"]', "expected a JSON object, found list"),
        (b'"just text"', "expected a JSON object, found str"),
        (b'{"id": "\xff"}', "expected a JSON object ('utf-8' codec can't decode byte 0xff"),
    ],
)
def test_a_jsonl_line_that_is_not_an_object_is_rejected(
    tmp_path: Path, line: bytes, expected: str
) -> None:
    path = tmp_path / "t.jsonl"
    path.write_bytes(b'{"id": "0"}\n' + line + b'\n\n{"id": "2"}\n')
    (page,) = read_pages(file_object(tmp_path, path="t.jsonl"))
    assert [r.id for r in page.records] == ["0", "2"]
    (bad,) = page.rejected
    assert bad.id == "line 2"
    assert bad.reason.startswith(f"{path} line 2: {expected}")
    assert bad.raw == {"text": line.decode(errors="replace")}


def test_an_unparseable_modified_time_is_rejected_naming_the_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "t.csv", ["id", "modified"], [["1", "soon"], ["2", T.isoformat()]])
    (bad,) = rejected(tmp_path, path="t.csv", updated_at="modified")
    assert bad.id == "1"
    assert bad.reason == (
        f"{path} line 2, column 'modified': expected an ISO 8601 time or epoch "
        "seconds/milliseconds, found 'soon'"
    )
    assert bad.raw == {"id": "1", "modified": "soon"}


@pytest.mark.parametrize(
    ("row", "found"),
    [
        ({"name": "no id"}, "found nothing"),
        ({"id": None}, "found nothing"),
        ({"id": True}, "found True"),
        ({"id": ""}, "found nothing"),
    ],
)
def test_a_jsonl_row_without_a_usable_key_is_rejected(
    tmp_path: Path, row: dict[str, object], found: str
) -> None:
    path = write_jsonl(tmp_path / "t.jsonl", [{"id": "ok"}, row])
    (bad,) = rejected(tmp_path, path="t.jsonl")
    assert bad.id == "line 2"
    assert bad.reason == (
        f"{path} line 2, column 'id': expected a record id (text or a whole number), {found}"
    )


def test_a_jsonl_file_whose_first_lines_lack_the_key_is_a_config_error(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "t.jsonl", [{"key": "1"}])
    with pytest.raises(ConfigError, match="has no column 'id'") as caught:
        read_pages(file_object(tmp_path, path="t.jsonl"))
    assert caught.value.hint == "its columns are: key"


def test_an_empty_csv_key_is_rejected(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "t.csv", ["email", "id"], [["a@example.com", ""]])
    (bad,) = rejected(tmp_path, path="t.csv")
    assert bad.id == "line 2"
    assert f"{path} line 2, column 'id': expected a record id" in bad.reason


def test_the_deleted_column_marks_records_deleted(tmp_path: Path) -> None:
    rows = [["1", ""], ["2", "false"], ["3", "0"], ["4", "true"], ["5", T.isoformat()]]
    write_csv(tmp_path / "t.csv", ["id", "deleted_at"], rows)
    source = file_object(tmp_path, path="t.csv", deleted="deleted_at")
    assert Capability.DELETES in source.capabilities
    assert {r.id: r.deleted for r in records(source)} == {
        "1": False,
        "2": False,
        "3": False,
        "4": True,
        "5": True,
    }


def test_capabilities_follow_the_configured_columns(tmp_path: Path) -> None:
    plain = file_object(tmp_path, path="t.csv")
    assert Capability.INCREMENTAL not in plain.capabilities
    assert Capability.DELETES not in plain.capabilities
    assert Capability.UPSERT | Capability.UPDATE | Capability.ARCHIVE in plain.capabilities
    dated = file_object(tmp_path, path="t.csv", updated_at="modified")
    assert Capability.INCREMENTAL in dated.capabilities
    assert dated.cursor_field == "modified"


def test_a_missing_source_file_names_the_path_and_setting(tmp_path: Path) -> None:
    source = file_object(tmp_path, path="data/none.csv")
    with pytest.raises(ConfigError) as caught:
        read_pages(source)
    assert str(tmp_path / "data" / "none.csv") in str(caught.value)
    assert caught.value.location == "objects.things.path"


def test_a_csv_without_a_configured_column_is_a_config_error(tmp_path: Path) -> None:
    write_csv(tmp_path / "t.csv", ["id", "email"], [["1", "a"]])
    source = file_object(tmp_path, path="t.csv", updated_at="modified")
    with pytest.raises(ConfigError, match="has no column 'modified'") as caught:
        read_pages(source)
    assert caught.value.location == "objects.things.updated_at"
    assert caught.value.hint == "its columns are: id, email"


def test_a_csv_header_naming_a_column_twice_is_a_config_error(tmp_path: Path) -> None:
    write_csv(tmp_path / "t.csv", ["id", "a", "a"], [["1", "2", "3"]])
    with pytest.raises(ConfigError, match="column 'a' appears twice in the header"):
        read_pages(file_object(tmp_path, path="t.csv"))


def dated_rows(count: int) -> list[list[str]]:
    return [[f"r{n:02d}", (T + timedelta(minutes=n)).isoformat()] for n in range(count)]


def test_only_the_last_page_carries_a_checkpoint(tmp_path: Path) -> None:
    rows = dated_rows(10)
    write_csv(tmp_path / "t.csv", ["id", "modified"], [rows[9], *rows[:9]])  # newest first
    source = file_object(tmp_path, path="t.csv", updated_at="modified", page_size=4)
    pages = read_pages(source)
    assert [len(p.records) for p in pages] == [4, 4, 2]
    assert [p.checkpoint for p in pages] == [None, None, Cursor(T + timedelta(minutes=9), "r09")]


def test_a_file_of_whole_pages_ends_without_an_empty_page(tmp_path: Path) -> None:
    write_csv(tmp_path / "t.csv", ["id", "modified"], dated_rows(8))
    pages = read_pages(file_object(tmp_path, path="t.csv", updated_at="modified", page_size=4))
    assert [len(p.records) for p in pages] == [4, 4]
    assert pages[-1].checkpoint == Cursor(T + timedelta(minutes=7), "r07")


def test_rejected_rows_fill_pages_too(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text("{\n" * 5 + '{"id": "1"}\n', encoding="utf-8")
    pages = read_pages(file_object(tmp_path, path="t.jsonl", page_size=2))
    assert [(len(p.records), len(p.rejected)) for p in pages] == [(0, 2), (0, 2), (1, 1)]


def test_an_incremental_read_returns_the_window_and_undated_rows(tmp_path: Path) -> None:
    write_csv(tmp_path / "t.csv", ["id", "modified"], [*dated_rows(6), ["undated", ""]])
    source = file_object(tmp_path, path="t.csv", updated_at="modified")
    since = Cursor(T + timedelta(minutes=1), "r01")
    request = ReadRequest(since=since, until=T + timedelta(minutes=4))
    (page,) = read_pages(source, request)
    assert [r.id for r in page.records] == ["r02", "r03", "r04", "undated"]
    assert page.checkpoint == Cursor(T + timedelta(minutes=4), "r04")


def test_a_tie_on_the_since_time_is_broken_by_id(tmp_path: Path) -> None:
    rows = [[f"t{n}", T.isoformat()] for n in range(5)]
    write_csv(tmp_path / "t.csv", ["id", "modified"], rows)
    source = file_object(tmp_path, path="t.csv", updated_at="modified")
    got = records(source, ReadRequest(since=Cursor(T, "t2")))
    assert [r.id for r in got] == ["t3", "t4"]


def test_an_incremental_read_that_finds_nothing_keeps_the_since_checkpoint(tmp_path: Path) -> None:
    write_csv(tmp_path / "t.csv", ["id", "modified"], dated_rows(3))
    since = Cursor(T + timedelta(minutes=5), "x")
    source = file_object(tmp_path, path="t.csv", updated_at="modified")
    (page,) = read_pages(source, ReadRequest(since=since))
    assert page.records == []
    assert page.checkpoint == since


def test_a_read_that_is_not_incremental_has_no_checkpoint(tmp_path: Path) -> None:
    write_csv(tmp_path / "t.csv", ["id", "modified"], dated_rows(3))
    source = file_object(tmp_path, path="t.csv")
    (page,) = read_pages(source, ReadRequest(since=Cursor(T + timedelta(days=1))))
    assert len(page.records) == 3
    assert page.checkpoint is None


def test_jsonl_modified_times_may_be_epoch_milliseconds(tmp_path: Path) -> None:
    millis = int(T.timestamp() * 1000)
    write_jsonl(tmp_path / "t.jsonl", [{"id": "a", "at": millis}, {"id": "b", "at": millis + 1}])
    source = file_object(tmp_path, path="t.jsonl", updated_at="at")
    got = records(source, ReadRequest(since=Cursor(T, "a")))
    assert [(r.id, r.updated_at) for r in got] == [("b", T + timedelta(milliseconds=1))]
