"""The plan of a run, kept on disk between planning and writing.

A run plans everything before it writes anything, so mass-change guards can stop it
before the first write and a dry run can show the whole plan. The plan can be as large
as the source, so it lives in a throw-away SQLite file rather than in memory, one row per
source page. A record the source returns twice in one run (it changed while being read)
is planned once, with its newest version, at the position where it was first seen: its
first position is the one the page checkpoints were computed for.
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
from itertools import islice
from typing import Any

from crmsync.sdk.records import Match, Record, WriteAction

FAILURE = "failure"
RELINK = "relink"
_IN_CHUNK = 500  # ids per IN (...) lookup


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
    """Planned items, one pickled list per source page, in a temp SQLite file."""

    def __init__(self) -> None:
        handle, self._path = tempfile.mkstemp(prefix="crmsync-plan-", suffix=".db")
        os.close(handle)
        self._db = sqlite3.connect(self._path, isolation_level=None)
        self._db.executescript(
            """
            PRAGMA journal_mode = OFF;
            PRAGMA synchronous = OFF;
            CREATE TABLE pages (page INTEGER PRIMARY KEY, items BLOB NOT NULL);
            CREATE TABLE ids (source_id TEXT PRIMARY KEY, page INTEGER NOT NULL,
                              slot INTEGER NOT NULL);
            """
        )
        self._counts: Counter[str] = Counter()

    def add(self, page: int, items: Sequence[Planned]) -> None:
        """Append ``items`` planned from source page ``page`` (pages in increasing order)."""
        fresh: dict[str, Planned] = {}
        for item in items:
            fresh[item.source_id] = item  # within a page, the later version wins
        self._db.execute("BEGIN")
        for old_page, slots in self._earlier(fresh).items():
            self._replace(old_page, {slot: fresh.pop(source_id) for source_id, slot in slots})
        kept = list(fresh.values())
        if kept:
            self._db.execute("INSERT INTO pages VALUES (?, ?)", (page, _dump(kept)))
            self._db.executemany(
                "INSERT INTO ids VALUES (?, ?, ?)",
                [(item.source_id, page, slot) for slot, item in enumerate(kept)],
            )
        self._db.execute("COMMIT")
        self._counts.update(item.kind for item in kept)

    def _earlier(self, fresh: dict[str, Planned]) -> dict[int, list[tuple[str, int]]]:
        """Ids in ``fresh`` already spooled from an earlier page, by that page."""
        found: dict[int, list[tuple[str, int]]] = {}
        ids = list(fresh)
        for start in range(0, len(ids), _IN_CHUNK):
            chunk = ids[start : start + _IN_CHUNK]
            rows = self._db.execute(
                "SELECT source_id, page, slot FROM ids "
                f"WHERE source_id IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            for source_id, page, slot in rows:
                found.setdefault(page, []).append((source_id, slot))
        return found

    def _replace(self, page: int, newer: dict[int, Planned]) -> None:
        (blob,) = self._db.execute("SELECT items FROM pages WHERE page = ?", (page,)).fetchone()
        items = _load(blob)
        for slot, item in newer.items():
            self._counts[items[slot].kind] -= 1
            self._counts[item.kind] += 1
            items[slot] = item
        self._db.execute("UPDATE pages SET items = ? WHERE page = ?", (_dump(items), page))

    def counts(self) -> Counter[str]:
        """Planned items by kind: each WriteAction's value, ``failure`` and ``relink``."""
        return +self._counts

    def of_kind(self, kind: str) -> Iterator[Planned]:
        """Every item of one kind, in plan order."""
        for _, items in self._pages():
            yield from (item for item in items if item.kind == kind)

    def samples(self, kind: str, limit: int) -> list[Planned]:
        """The first ``limit`` items of one kind, for dry-run output."""
        return list(islice(self.of_kind(kind), limit))

    def windows(self, size: int) -> Iterator[tuple[list[Planned], int | None]]:
        """Items in plan order, whole pages of at least ``size`` items at a time.

        Each window comes with the number of the next page to be written (None after
        the last): every source checkpoint of an earlier page is then fully written.
        """
        window: list[Planned] = []
        for page, items in self._pages():
            if len(window) >= size:
                yield window, page
                window = []
            window.extend(items)
        if window:
            yield window, None

    def _pages(self) -> Iterator[tuple[int, list[Planned]]]:
        page = -1
        while True:
            row = self._db.execute(
                "SELECT page, items FROM pages WHERE page > ? ORDER BY page LIMIT 1", (page,)
            ).fetchone()
            if row is None:
                return
            page = row[0]
            yield page, _load(row[1])

    def close(self) -> None:
        self._db.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._path)

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# A page is pickled as one list of tuples of plain values: pickling each (slotted)
# dataclass on its own costs several times more, and a first run spools every record.


def _dump(items: Sequence[Planned]) -> bytes:
    return pickle.dumps([_as_tuple(item) for item in items], protocol=pickle.HIGHEST_PROTOCOL)


def _as_tuple(item: Planned) -> tuple[Any, ...]:
    record, match = item.record, item.match
    return (
        item.source_id,
        (record.id, record.fields, record.updated_at, record.deleted),
        item.action,
        item.fields,
        item.target_id,
        None if match is None else (match.field, match.value),
        item.fingerprint,
        item.field_hashes,
        item.changed,
        item.linked,
        item.failure,
    )


def _load(blob: bytes) -> list[Planned]:
    # Our own temp file, written by this process: safe to unpickle.
    return [_from_tuple(values) for values in pickle.loads(blob)]


def _from_tuple(values: tuple[Any, ...]) -> Planned:
    source_id, record, action, fields, target_id, match, *rest = values
    return Planned(
        source_id,
        Record(*record),
        action,
        fields,
        target_id,
        None if match is None else Match(*match),
        *rest,
    )
