"""The sidecar store: durable batches, atomic publishing, and staying in line with the file."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TextIO

import pytest

from crmsync.sdk.errors import ConfigError
from crmsync.sdk.records import Match, Outcome, WriteAction, WriteOp
from crmsync_connectors.files.formats import CsvFormat
from crmsync_connectors.files.store import TEMP_SUFFIX, sidecar_of

from .helpers import file_object, read_csv, write, write_csv, write_jsonl


def upsert(key: str, **fields: str) -> WriteOp:
    return WriteOp(WriteAction.UPSERT, key, {"id": key, **fields}, match=Match("id", key))


@pytest.fixture
def target_file(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "out.csv", ["id", "name"], [["1", "Ann"]])


def test_the_sidecar_lives_beside_the_target(target_file: Path) -> None:
    write(file_object(target_file.parent, path="out.csv"), upsert("2"))
    assert sidecar_of(target_file) == target_file.with_name("out.csv.crmsync.db")
    assert sidecar_of(target_file).is_file()


def test_writes_reach_the_file_only_when_finish_publishes(target_file: Path) -> None:
    before = target_file.read_bytes()
    target = file_object(target_file.parent, path="out.csv")
    target.write([upsert("2", name="Bo")])
    assert target_file.read_bytes() == before
    target.finish()
    assert read_csv(target_file) == [{"id": "1", "name": "Ann"}, {"id": "2", "name": "Bo"}]


def test_a_run_without_changes_leaves_the_file_alone(target_file: Path) -> None:
    write(file_object(target_file.parent, path="out.csv"), upsert("2"))
    published = target_file.stat()
    (result,) = write(file_object(target_file.parent, path="out.csv"), upsert("2"))
    file_object(target_file.parent, path="out.csv").finish()
    assert result.outcome is Outcome.UNCHANGED
    assert (target_file.stat().st_ino, target_file.stat().st_mtime_ns) == (
        published.st_ino,
        published.st_mtime_ns,
    )


def test_a_run_that_dies_before_finish_is_published_by_the_next_open(target_file: Path) -> None:
    before = target_file.read_bytes()
    crashed = file_object(target_file.parent, path="out.csv")
    crashed.write([upsert("2", name="Bo")])  # acknowledged, never published, never closed
    assert target_file.read_bytes() == before
    file_object(target_file.parent, path="out.csv").finish()
    assert read_csv(target_file) == [{"id": "1", "name": "Ann"}, {"id": "2", "name": "Bo"}]


def test_a_write_after_a_crash_publishes_the_lost_run_first(target_file: Path) -> None:
    file_object(target_file.parent, path="out.csv").write([upsert("2", name="Bo")])
    target = file_object(target_file.parent, path="out.csv")
    target.write([upsert("3", name="Cy")])
    assert [row["id"] for row in read_csv(target_file)] == ["1", "2"]
    target.finish()
    assert [row["id"] for row in read_csv(target_file)] == ["1", "2", "3"]


CRASHING_RUN = """
import sys
from pathlib import Path
from crmsync.sdk.context import ConnectorContext
from crmsync.sdk.records import Match, WriteAction, WriteOp
from crmsync_connectors.files import FilesConnector, FilesSettings

settings = FilesSettings.model_validate({"objects": {"out": {"path": "out.csv"}}})
target = FilesConnector(settings, ConnectorContext("crash", base_dir=Path(sys.argv[1])))
out = target.object_type("out")
for n in (2, 3):
    out.write([WriteOp(WriteAction.UPSERT, str(n), {"id": str(n)}, match=Match("id", str(n)))])
print("acknowledged", flush=True)
sys.stdin.read()  # wait here to be killed
"""


def test_acknowledged_batches_survive_kill_9(target_file: Path) -> None:
    before = target_file.read_bytes()
    code = textwrap.dedent(CRASHING_RUN)
    with subprocess.Popen(
        [sys.executable, "-c", code, str(target_file.parent)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as run:
        assert run.stdout is not None
        assert run.stdout.readline() == "acknowledged\n"
        run.kill()
        run.wait()
    assert target_file.read_bytes() == before
    file_object(target_file.parent, path="out.csv").finish()
    assert [row["id"] for row in read_csv(target_file)] == ["1", "2", "3"]


def test_a_hand_edited_target_is_imported_again(target_file: Path) -> None:
    write(file_object(target_file.parent, path="out.csv"), upsert("2", name="Bo"))
    write_csv(target_file, ["id", "name", "note"], [["1", "Ann", "edited"], ["9", "Ivy", ""]])
    results = write(file_object(target_file.parent, path="out.csv"), upsert("2", name="Bo"))
    assert results[0].outcome is Outcome.CREATED  # the edit removed it
    assert read_csv(target_file) == [
        {"id": "1", "name": "Ann", "note": "edited"},
        {"id": "9", "name": "Ivy", "note": ""},
        {"id": "2", "name": "Bo", "note": ""},
    ]


def test_an_edit_that_keeps_the_size_is_noticed_by_its_mtime(target_file: Path) -> None:
    write(file_object(target_file.parent, path="out.csv"), upsert("1", name="Ann"))
    published = target_file.stat()
    target_file.write_text("id,name\n1,Bob\n", encoding="utf-8")  # "Ann" -> "Bob"
    os.utime(target_file, ns=(published.st_atime_ns, published.st_mtime_ns + 1))
    (result,) = write(file_object(target_file.parent, path="out.csv"), upsert("1", name="Bob"))
    assert result.outcome is Outcome.UNCHANGED


def test_duplicate_keys_in_an_existing_target_are_a_config_error(tmp_path: Path) -> None:
    rows = [["1", "a"], ["2", "b"], ["1", "c"]]
    path = write_csv(tmp_path / "out.csv", ["id", "name"], rows)
    target = file_object(tmp_path, path="out.csv")
    with pytest.raises(ConfigError, match="key '1' appears on line 2 and again on line 4") as err:
        target.write([upsert("3")])
    assert err.value.source == str(path)
    assert err.value.line == 4
    assert read_csv(path) == [{"id": k, "name": n} for k, n in rows]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("id,name\n1,a\n2\n", "expected 2 columns, found 1"),
        ("id,name\n1,a\n,b\n", "no value in the key column 'id'"),
    ],
)
def test_an_unreadable_row_in_a_target_is_a_config_error(
    tmp_path: Path, content: str, message: str
) -> None:
    (tmp_path / "out.csv").write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as err:
        file_object(tmp_path, path="out.csv").write([upsert("3")])
    assert err.value.line == 3


def test_publishing_replaces_the_file_with_os_replace(
    target_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[Path, Path]] = []
    real_replace = os.replace

    def recording_replace(source: Path, destination: Path) -> None:
        calls.append((Path(source), Path(destination)))
        real_replace(source, destination)

    monkeypatch.setattr(os, "replace", recording_replace)
    write(file_object(target_file.parent, path="out.csv"), upsert("2"))
    ((temp, destination),) = calls
    assert destination == target_file
    assert temp.parent == target_file.parent
    assert temp.name.endswith(TEMP_SUFFIX)


def test_a_failed_publish_leaves_the_old_file_intact(
    target_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = target_file.read_bytes()

    def failing_write(
        self: CsvFormat, out: TextIO, columns: Sequence[str], lines: Iterable[tuple[str, int]]
    ) -> None:
        out.write("id,name\n2,half")
        raise OSError("disk full")

    target = file_object(target_file.parent, path="out.csv")
    target.write([upsert("2", name="Bo")])
    with monkeypatch.context() as patch:
        patch.setattr(CsvFormat, "write", failing_write)
        with pytest.raises(OSError, match="disk full"):
            target.finish()
    assert target_file.read_bytes() == before
    assert sorted(p.name for p in target_file.parent.iterdir()) == [
        "out.csv",
        "out.csv.crmsync.db",
        "out.csv.crmsync.db-shm",
        "out.csv.crmsync.db-wal",
    ]
    target.finish()  # still pending, so the next finish publishes
    assert [row["id"] for row in read_csv(target_file)] == ["1", "2"]


def test_a_temporary_file_left_by_a_killed_publish_is_removed(target_file: Path) -> None:
    stale = target_file.with_name(f".out.csv.0123abcd{TEMP_SUFFIX}")
    stale.write_text("id\n", encoding="utf-8")
    write(file_object(target_file.parent, path="out.csv"), upsert("2"))
    assert not stale.exists()


def test_publishing_keeps_the_file_mode(target_file: Path) -> None:
    target_file.chmod(0o640)
    write(file_object(target_file.parent, path="out.csv"), upsert("2"))
    assert target_file.stat().st_mode & 0o777 == 0o640


def test_changed_settings_rebuild_a_clean_sidecar(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "out.jsonl", [{"id": "1", "email": "a@x"}])
    write(file_object(tmp_path, path="out.jsonl"), upsert("2", email="b@x"))
    by_email = file_object(tmp_path, path="out.jsonl", key="email")
    op = WriteOp(WriteAction.UPSERT, "r", {"name": "Ann"}, match=Match("email", "a@x"))
    (result,) = write(by_email, op)
    assert (result.outcome, result.target_id) == (Outcome.UPDATED, "a@x")
    assert path.read_text(encoding="utf-8").splitlines() == [
        '{"id":"1","email":"a@x","name":"Ann"}',
        '{"id":"2","email":"b@x"}',
    ]


def test_changed_settings_with_unpublished_writes_are_refused(tmp_path: Path) -> None:
    file_object(tmp_path, path="out.csv").write([upsert("1")])
    with pytest.raises(ConfigError, match="holds writes not yet published"):
        file_object(tmp_path, path="out.csv", delimiter=";").finish()


def test_a_target_in_a_missing_folder_creates_it(tmp_path: Path) -> None:
    target = file_object(tmp_path, path="new/folder/out.csv")
    target.write([upsert("1")])
    target.finish()
    assert (tmp_path / "new" / "folder" / "out.csv").is_file()
