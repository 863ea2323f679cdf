"""The sidecar: a SQLite database beside a target file that holds the file's rows.

Writing a file in place is neither atomic nor cheap, so a batch lands in the sidecar in
one transaction (durable when ``save`` returns) and marks it dirty; ``publish`` then
streams every row into a temporary file beside the target and ``os.replace``-s it over
the target. The target is therefore always an old or a new complete version, and an
acknowledged batch survives a crash: the next open publishes a dirty sidecar first.
"""

from __future__ import annotations

import glob
import json
import os
import secrets
import shutil
import sqlite3
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from crmsync.sdk.errors import ConfigError
from crmsync_connectors.files.batch import Changes, Stored
from crmsync_connectors.files.encoding import RowCodec
from crmsync_connectors.files.formats import BadRow, FileFormat
from crmsync_connectors.files.values import key_text

SIDECAR_SUFFIX = ".crmsync.db"
TEMP_SUFFIX = ".crmsync-tmp"
_LAYOUT = 1  # bump when the tables change; older sidecars are then rebuilt from the file
_LOOKUP_CHUNK = 500  # keys per SELECT, well under SQLite's bound-parameter limit

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rows (
    pos INTEGER PRIMARY KEY,  -- file order
    key TEXT NOT NULL,
    line TEXT NOT NULL,  -- the row as the file holds it
    cells INTEGER NOT NULL  -- columns the line fills; CSV pads the rest when publishing
);
"""


def sidecar_of(path: Path) -> Path:
    """Where the sidecar of the target file ``path`` lives."""
    return path.with_name(path.name + SIDECAR_SUFFIX)


class RowStore:
    """A target file's rows in file order, keyed by the key column.

    Opening brings the sidecar in line with the file: a dirty sidecar (a run that
    crashed before publishing) is published; a sidecar whose recorded size and mtime no
    longer match the file (edited by hand) is rebuilt from it; a new one imports it.

    Args:
        path: the target file (it need not exist yet).
        fmt: the file's format.
        key: the key column; its values must be unique in the file.
        declared: columns that lead the CSV header (the ``fields`` setting).

    Attributes:
        columns: the CSV header.
    """

    def __init__(self, path: Path, fmt: FileFormat, key: str, declared: Sequence[str]) -> None:
        self.path = path
        self.fmt = fmt
        self.key = key
        self._declared = list(declared)
        self._db = sqlite3.connect(sidecar_of(path), isolation_level=None, check_same_thread=False)
        try:
            self._open()
        except BaseException:
            self._db.close()
            raise

    def _open(self) -> None:
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")  # a commit survives power loss too
        self._db.executescript(_SCHEMA)
        meta = dict(self._db.execute("SELECT name, value FROM meta"))
        signature = {
            "layout": _LAYOUT,
            "key": self.key,
            "declared": self._declared,
            **self.fmt.signature(),
        }
        self._dirty: bool = json.loads(meta.get("dirty", "false"))
        self.columns: list[str] = json.loads(meta.get("columns", "[]"))
        if json.loads(meta.get("signature", "null")) != signature:
            if self._dirty:
                raise ConfigError(
                    f"{sidecar_of(self.path)} holds writes not yet published to {self.path}, "
                    f"made with other settings ({meta.get('signature')})",
                    hint="restore the format, key, delimiter and fields settings and run again "
                    "to publish them, or delete the sidecar to drop them",
                )
            self._rebuild(signature)
        elif self._dirty:
            self.publish()
        elif json.loads(meta.get("published", "null")) != _stat(self.path):
            self._rebuild(signature)

    def fetch(self, keys: Collection[str]) -> dict[str, Stored]:
        """The stored rows among ``keys``."""
        wanted = list(keys)
        found: dict[str, Stored] = {}
        for start in range(0, len(wanted), _LOOKUP_CHUNK):
            chunk = wanted[start : start + _LOOKUP_CHUNK]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT key, pos, line FROM rows WHERE key IN ({marks})"
            for key, pos, text in self._db.execute(query, chunk):
                found[key] = Stored(pos, text)
        return found

    def codec(self) -> RowCodec:
        """A codec for one batch; ``save`` adopts the columns it adds."""
        return self.fmt.codec(self.columns)

    def save(self, changes: Changes, columns: Sequence[str]) -> None:
        """Store a batch's changes and header in one transaction; durable when this returns."""
        if not changes:
            return
        with self._transaction() as db:
            db.executemany("DELETE FROM rows WHERE pos = ?", changes.deletes)
            db.executemany("UPDATE rows SET line = ?, cells = ? WHERE pos = ?", changes.updates)
            db.executemany("INSERT INTO rows (key, line, cells) VALUES (?, ?, ?)", changes.inserts)
            if columns != self.columns:
                _set(db, "columns", columns)
            if not self._dirty:
                _set(db, "dirty", True)
        self.columns, self._dirty = list(columns), True

    def publish_pending(self) -> None:
        """Publish if a write since the last publish changed anything."""
        if self._dirty:
            self.publish()

    def publish(self) -> None:
        """Replace the target file with the stored rows, atomically, then mark it clean."""
        for stale in self.path.parent.glob(f".{glob.escape(self.path.name)}.*{TEMP_SUFFIX}"):
            stale.unlink(missing_ok=True)  # left by a publish that was killed
        temp = self.path.with_name(f".{self.path.name}.{secrets.token_hex(4)}{TEMP_SUFFIX}")
        try:
            with temp.open("x", encoding="utf-8", newline="") as out:
                lines = self._db.execute("SELECT line, cells FROM rows ORDER BY pos")
                self.fmt.write(out, self.columns, lines)
                out.flush()
                os.fsync(out.fileno())
            if self.path.exists():
                shutil.copymode(self.path, temp)
            os.replace(temp, self.path)
        finally:
            temp.unlink(missing_ok=True)  # only still there when something failed
        _fsync_folder(self.path.parent)
        with self._transaction() as db:
            _set(db, "published", _stat(self.path))
            _set(db, "dirty", False)
        self._dirty = False

    def close(self) -> None:
        self._db.close()

    def _rebuild(self, signature: dict[str, Any]) -> None:
        """Replace the stored rows with the file's (a new sidecar, or a hand-edited file)."""
        published = _stat(self.path)
        found = self.fmt.columns(self.path) if published and self.fmt.fixed_columns else {}
        codec = self.fmt.codec(self._declared + [c for c in found if c not in self._declared])
        with self._transaction() as db:
            db.execute("DROP INDEX IF EXISTS rows_key")
            db.execute("DELETE FROM rows")
            if published:
                rows = self._import(codec)
                db.executemany("INSERT INTO rows (pos, key, line, cells) VALUES (?, ?, ?, ?)", rows)
            self._index(db)
            self.columns = codec.columns
            for name, value in (
                ("signature", signature),
                ("columns", self.columns),
                ("published", published),
                ("dirty", False),
            ):
                _set(db, name, value)

    def _import(self, codec: RowCodec) -> Iterator[tuple[int, str, str, int]]:
        """The file's rows as (line number, key, line, cells); an unreadable row stops it.

        Rows are never dropped: publishing would delete them from the user's file.
        """
        hint = "a target file must be readable throughout: fix or remove that line"
        for row in self.fmt.rows(self.path):
            if isinstance(row, BadRow):
                raise ConfigError(row.problem, source=str(self.path), line=row.line, hint=hint)
            key = key_text(row.values.get(self.key))
            if key is None:
                raise ConfigError(
                    f"no value in the key column {self.key!r}",
                    source=str(self.path),
                    line=row.line,
                    hint=hint,
                )
            stored: dict[str, Any] = {}
            codec.merge(stored, row.values)
            yield row.line, key, *codec.encode(stored)

    def _index(self, db: sqlite3.Connection) -> None:
        try:
            db.execute("CREATE UNIQUE INDEX rows_key ON rows (key)")
        except sqlite3.IntegrityError:
            key, first = db.execute(
                "SELECT key, MIN(pos) FROM rows GROUP BY key HAVING COUNT(*) > 1 LIMIT 1"
            ).fetchone()
            (second,) = db.execute(
                "SELECT MIN(pos) FROM rows WHERE key = ? AND pos > ?", (key, first)
            ).fetchone()
            raise ConfigError(
                f"key {key!r} appears on line {first} and again on line {second}",
                source=str(self.path),
                line=second,
                hint=f"a target file needs unique {self.key!r} values: remove or merge a row",
            ) from None

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            if self._db.in_transaction:  # SQLite ends it itself on some errors
                self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")


def _set(db: sqlite3.Connection, name: str, value: Any) -> None:
    db.execute("INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)", (name, json.dumps(value)))


def _stat(path: Path) -> list[int] | None:
    """The file's size and mtime in ns (as JSON stores them), or None if it is absent."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    return [info.st_size, info.st_mtime_ns]


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable; only POSIX can (and needs to) sync a folder."""
    if os.name != "posix":
        return
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)
