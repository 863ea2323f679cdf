"""Reading a file as pages of records, and describing its columns."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from crmsync.sdk.errors import ConfigError
from crmsync.sdk.records import Cursor, Page, ReadRequest, Record, Rejected, utc
from crmsync.sdk.schema import FieldSchema, FieldType, ObjectSchema
from crmsync_connectors.files.formats import BadRow, FileFormat, Row
from crmsync_connectors.files.settings import FileObjectSettings
from crmsync_connectors.files.values import (
    KEY_EXPECTED,
    TIMESTAMP_EXPECTED,
    is_deleted,
    key_text,
    parse_timestamp,
)


class FileSource:
    """One configured file seen as a source: its records, its columns, its problems.

    Args:
        name: the object type's name, for pointing at its settings in errors.
        settings: the object's settings.
        path: the file, resolved against the config's folder.
        fmt: how to parse it.
    """

    def __init__(
        self, name: str, settings: FileObjectSettings, path: Path, fmt: FileFormat
    ) -> None:
        self.name = name
        self.settings = settings
        self.path = path
        self.fmt = fmt

    def pages(self, request: ReadRequest) -> Iterator[Page]:
        """Stream the file as pages of ``page_size`` records and rejected rows.

        A file is not in cursor order, so only the last page carries a checkpoint: the
        newest ``(updated_at, id)`` inside the window, or ``request.since`` when none is.
        Rows without a modified time are always included: their change cannot be placed.
        """
        if self.path.is_dir():
            raise self._error(f"{self.path} is a folder; the path must name a file", "path")
        if not self.path.is_file():
            raise self._error(f"{self.path} does not exist", "path")
        self.check_columns()
        window = _Window(request)
        records: list[Record] = []
        rejected: list[Rejected] = []
        held: Page | None = None  # a full page, yielded once another row shows it is not last
        for row in self.fmt.rows(self.path):
            item = self._record(row) if isinstance(row, Row) else self._bad(row)
            if isinstance(item, Rejected):
                rejected.append(item)
            elif item.updated_at is None or window.admits(item.updated_at, item.id):
                records.append(item)
            if len(records) + len(rejected) >= self.settings.page_size:
                if held is not None:
                    yield held
                held, records, rejected = Page(records, rejected=rejected), [], []
        if held is not None and (records or rejected):
            yield held
        elif held is not None:
            records, rejected = list(held.records), list(held.rejected)
        incremental = self.settings.updated_at is not None
        yield Page(records, window.checkpoint() if incremental else None, rejected)

    def schema(self) -> ObjectSchema:
        """Declared fields when set (a closed schema); else the file's columns, open.

        Undeclared files are open because a target gains columns as it is written.
        """
        declared = self.settings.fields
        if declared is not None:
            return ObjectSchema.of(self._field(n, t) for n, t in declared.items())
        found = self.fmt.columns(self.path) if self.path.is_file() else {}
        return ObjectSchema.of((self._field(n, t) for n, t in found.items()), open=True)

    def check_columns(self) -> None:
        """Raise ConfigError when a file that has columns lacks a configured one.

        JSON Lines rows may leave out optional columns, so only their key is required
        (of the sampled lines). An empty file passes: it may be a target not written yet.
        """
        present = self.fmt.columns(self.path) if self.path.is_file() else {}
        required = ("key", "updated_at", "deleted") if self.fmt.fixed_columns else ("key",)
        for setting in required if present else ():
            column = getattr(self.settings, setting)
            if column is not None and column not in present:
                raise self._error(
                    f"{self.path} has no column {column!r}",
                    setting,
                    hint=f"its columns are: {', '.join(present)}",
                )

    def _field(self, name: str, kind: FieldType) -> FieldSchema:
        return FieldSchema(name, kind, unique=name == self.settings.key)

    def _record(self, row: Row) -> Record | Rejected:
        values = row.values
        key = self.settings.key
        record_id = key_text(values.get(key))
        updated_at = None
        if self.settings.updated_at is not None:
            column = self.settings.updated_at
            try:
                updated_at = parse_timestamp(values.get(column))
            except ValueError:
                return self._reject(row, record_id, column, TIMESTAMP_EXPECTED)
        if record_id is None:
            return self._reject(row, None, key, KEY_EXPECTED)
        deleted = self.settings.deleted is not None and is_deleted(
            values.get(self.settings.deleted)
        )
        return Record(record_id, values, updated_at, deleted)

    def _reject(self, row: Row, record_id: str | None, column: str, expected: str) -> Rejected:
        found = _shown(row.values.get(column))
        reason = f"{self.path} line {row.line}, column {column!r}: {expected}, {found}"
        return Rejected(record_id or f"line {row.line}", reason, row.values)

    def _bad(self, row: BadRow) -> Rejected:
        return Rejected(f"line {row.line}", f"{self.path} line {row.line}: {row.problem}", row.raw)

    def _error(self, message: str, setting: str, *, hint: str | None = None) -> ConfigError:
        return ConfigError(message, location=f"objects.{self.name}.{setting}", hint=hint)


def _shown(value: Any) -> str:
    return "found nothing" if value is None or value == "" else f"found {value!r}"


class _Window:
    """ReadRequest's window, keeping the newest position admitted.

    Rows are compared on their timestamps first; a Cursor (whose id order numeric ids
    follow) is built only when a timestamp ties, so most rows cost no object.
    """

    def __init__(self, request: ReadRequest) -> None:
        self._since = request.since
        self._until = None if request.until is None else utc(request.until)
        self._newest = self._since

    def admits(self, updated_at: datetime, record_id: str) -> bool:
        if _at_or_before(updated_at, record_id, self._since):
            return False
        if self._until is not None and updated_at > self._until:
            return False
        if not _at_or_before(updated_at, record_id, self._newest):
            self._newest = Cursor(updated_at, record_id)
        return True

    def checkpoint(self) -> Cursor | None:
        """The newest position admitted, else ``since``."""
        return self._newest


def _at_or_before(updated_at: datetime, record_id: str, cursor: Cursor | None) -> bool:
    if cursor is None or updated_at > cursor.updated_at:
        return False
    return updated_at < cursor.updated_at or Cursor(updated_at, record_id) <= cursor
