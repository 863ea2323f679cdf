"""The plan of a run, kept on disk between planning and writing.

A run plans everything before it writes anything, so mass-change guards can stop it
before the first write and a dry run can show the whole plan. The plan can be as large
as the source, so it lives in a throw-away SQLite file rather than in memory. A record
the source returns twice in one run (it changed while being read) is planned once, with
its newest version, at the position where it was first seen.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import sqlite3
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from crmsync.sdk.records import Match, Record, WriteAction

FAILURE = "failure"
RELINK = "relink"


@dataclass(slots=True)
class Planned:
    """One source record's planned effect.

    ``action`` is the write to make; None means no write: either a failure to record
    (``failure`` holds reason and code) or a link whose digests need refreshing.
    """

    source_id: str
    record: Record
    action: WriteAction | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    target_id: str | None = None
    match: Match | None = None
    fingerprint: str = ""
    field_hashes: dict[str, str] = field(default_factory=dict)
    changed: tuple[str, ...] = ()
    linked: bool = False
    failure: tuple[str, str | None] | None = None

    @property
    def kind(self) -> str:
        if self.action is not None:
            return str(self.action)
        return FAILURE if self.failure is not None else RELINK


class Spool:
    """Planned items in a temporary SQLite file, deleted on close."""

    def __init__(self) -> None:
        handle, self._path = tempfile.mkstemp(prefix="crmsync-plan-", suffix=".db")
        os.close(handle)
        self._db = sqlite3.connect(self._path, isolation_level=None)
        self._db.executescript(
            """
            PRAGMA journal_mode = OFF;
            PRAGMA synchronous = OFF;
            CREATE TABLE items (
                seq INTEGER PRIMARY KEY,
                source_id TEXT NOT NULL UNIQUE,
                page INTEGER NOT NULL,
                kind TEXT NOT NULL,
                payload BLOB NOT NULL
            );
            """
        )

    def add(self, page: int, items: Sequence[Planned]) -> None:
        """Append ``items`` planned from source page ``page``."""
        self._db.execute("BEGIN")
        self._db.executemany(
            "INSERT INTO items (source_id, page, kind, payload) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (source_id) DO UPDATE SET kind = excluded.kind, "
            "payload = excluded.payload",
            [(i.source_id, page, i.kind, pickle.dumps(i, protocol=5)) for i in items],
        )
        self._db.execute("COMMIT")

    def counts(self) -> Counter[str]:
        """Planned items by kind: each WriteAction's value, ``failure`` and ``relink``."""
        rows = self._db.execute("SELECT kind, COUNT(*) FROM items GROUP BY kind")
        return Counter(dict(rows))

    def samples(self, kind: str, limit: int) -> list[Planned]:
        """The first ``limit`` items of one kind, for dry-run output."""
        rows = self._db.execute(
            "SELECT payload FROM items WHERE kind = ? ORDER BY seq LIMIT ?", (kind, limit)
        )
        return [_load(payload) for (payload,) in rows]

    def of_kind(self, kind: str) -> Iterator[Planned]:
        """Every item of one kind, in plan order."""
        rows = self._db.execute("SELECT payload FROM items WHERE kind = ? ORDER BY seq", (kind,))
        for (payload,) in rows:
            yield _load(payload)

    def windows(self, size: int) -> Iterator[tuple[list[Planned], int | None]]:
        """Items in plan order, ``size`` at a time, each with the page of the next item.

        The page of the next unwritten item tells the engine which source checkpoints
        are fully written: every checkpoint of an earlier page is.
        """
        after = 0
        while True:
            rows = self._db.execute(
                "SELECT seq, page, payload FROM items WHERE seq > ? ORDER BY seq LIMIT ?",
                (after, size + 1),
            ).fetchall()
            if not rows:
                return
            window, peek = rows[:size], rows[size:]
            after = window[-1][0]
            yield [_load(payload) for _, _, payload in window], (peek[0][1] if peek else None)

    def close(self) -> None:
        self._db.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._path)

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _load(payload: bytes) -> Planned:
    item: Planned = pickle.loads(payload)  # our own temp file, written by this process
    return item
