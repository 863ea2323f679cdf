"""check(): what can be known before a run."""

from __future__ import annotations

from pathlib import Path

import pytest

from crmsync.sdk.errors import ConfigError

from .helpers import connector, file_object, read_pages, write_csv, write_jsonl


def test_check_passes_for_readable_sources_and_new_targets(tmp_path: Path) -> None:
    write_csv(tmp_path / "in.csv", ["id", "modified"], [["1", ""]])
    write_jsonl(tmp_path / "in.jsonl", [{"id": 1}])
    (tmp_path / "empty.csv").write_text("", encoding="utf-8")
    connector(
        tmp_path,
        a={"path": "in.csv", "updated_at": "modified"},
        b={"path": "in.jsonl", "updated_at": "modified"},  # optional in JSON Lines rows
        c={"path": "empty.csv"},
        d={"path": "new.jsonl"},
    ).check()


def test_check_reports_every_problem_at_once(tmp_path: Path) -> None:
    write_csv(tmp_path / "in.csv", ["key", "email"], [["1", "a"]])
    write_jsonl(tmp_path / "in.jsonl", [{"key": 1}])
    files = connector(
        tmp_path,
        a={"path": "in.csv"},
        b={"path": "missing/out.csv"},
        c={"path": "in.jsonl"},
        d={"path": "in.csv", "key": "key", "deleted": "gone"},
    )
    with pytest.raises(ConfigError) as caught:
        files.check()
    assert [(p.location, p.message) for p in caught.value.problems] == [
        ("objects.a.key", f"{tmp_path / 'in.csv'} has no column 'id'"),
        ("objects.c.key", f"{tmp_path / 'in.jsonl'} has no column 'id'"),
        ("objects.d.deleted", f"{tmp_path / 'in.csv'} has no column 'gone'"),
    ]


def test_a_path_that_is_a_folder_or_lies_under_a_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "folder.csv").mkdir()
    (tmp_path / "out").write_text("not a folder", encoding="utf-8")
    files = connector(tmp_path, a={"path": "folder.csv"}, b={"path": "out/deep/affiliates.csv"})
    with pytest.raises(ConfigError) as caught:
        files.check()
    assert [(p.location, p.message) for p in caught.value.problems] == [
        ("objects.a.path", f"{tmp_path / 'folder.csv'} is a folder; the path must name a file"),
        (
            "objects.b.path",
            f"{tmp_path / 'out'} is a file, so {tmp_path / 'out/deep/affiliates.csv'} "
            "cannot be created under it",
        ),
    ]


def test_reading_or_writing_such_a_path_fails_with_the_same_config_error(tmp_path: Path) -> None:
    (tmp_path / "out").write_text("not a folder", encoding="utf-8")
    target = connector(tmp_path, a={"path": "out/affiliates.csv"}).object_types()[0]
    with pytest.raises(ConfigError, match=r"out is a file, so .* cannot be created under it"):
        target.write([])
    (tmp_path / "dir.csv").mkdir()
    folder = connector(tmp_path, b={"path": "dir.csv"}).object_types()[0]
    with pytest.raises(ConfigError, match="is a folder; the path must name a file"):
        folder.write([])
    with pytest.raises(ConfigError, match="is a folder; the path must name a file"):
        read_pages(file_object(tmp_path, path="dir.csv"))
