"""CSV and JSON Lines: streaming rows out of a file, and writing stored lines back into one."""

from __future__ import annotations

import csv
import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TextIO

from crmsync.sdk.errors import ConfigError
from crmsync.sdk.schema import FieldType
from crmsync_connectors.files.encoding import CsvCodec, JsonlCodec, RowCodec
from crmsync_connectors.files.settings import FileObjectSettings

if TYPE_CHECKING:
    from _csv import Reader

_SAMPLE_LINES = 100


@dataclass(frozen=True, slots=True)
class Row:
    """A row read from a file; ``line`` is where it starts (1-based)."""

    line: int
    values: dict[str, Any]


@dataclass(frozen=True, slots=True)
class BadRow:
    """A row that could not be parsed at all, with what was expected."""

    line: int
    problem: str
    raw: dict[str, Any] = field(default_factory=dict)


class FileFormat(ABC):
    """How one kind of file is read and written."""

    name: ClassVar[str]
    fixed_columns: ClassVar[bool]
    """Whether every row has the header's columns, so missing ones are a config error."""

    @abstractmethod
    def rows(self, path: Path) -> Iterator[Row | BadRow]:
        """Stream the file's rows in order, holding one row at a time."""

    @abstractmethod
    def columns(self, path: Path) -> dict[str, FieldType]:
        """The columns the file shows (CSV header, sampled JSON keys) and their types."""

    @abstractmethod
    def codec(self, columns: Sequence[str]) -> RowCodec:
        """A codec for stored lines, starting from the header ``columns``."""

    @abstractmethod
    def write(self, out: TextIO, columns: Sequence[str], lines: Iterable[tuple[str, int]]) -> None:
        """Write a whole file from stored ``(line, cells)`` pairs, in order."""

    def signature(self) -> dict[str, str]:
        """What stored lines depend on; a sidecar made with another is rebuilt."""
        return {"format": self.name}


class CsvFormat(FileFormat):
    """Comma (or ``delimiter``) separated values with a header row; every value is text."""

    name = "csv"
    fixed_columns = True

    def __init__(self, delimiter: str = ",") -> None:
        self.delimiter = delimiter

    def rows(self, path: Path) -> Iterator[Row | BadRow]:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle, delimiter=self.delimiter)
            header = _header(reader, path)
            for line, cells in _numbered(reader, path):
                if isinstance(cells, str):
                    yield BadRow(line, cells)
                elif len(cells) == len(header):
                    yield Row(line, dict(zip(header, [c or None for c in cells], strict=False)))
                elif cells:  # an empty list is a blank line
                    found = f"expected {len(header)} columns, found {len(cells)}"
                    yield BadRow(line, found, {"values": cells})

    def columns(self, path: Path) -> dict[str, FieldType]:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            header = _header(csv.reader(handle, delimiter=self.delimiter), path)
        return dict.fromkeys(header, FieldType.STRING)

    def codec(self, columns: Sequence[str]) -> CsvCodec:
        return CsvCodec(columns, self.delimiter)

    def write(self, out: TextIO, columns: Sequence[str], lines: Iterable[tuple[str, int]]) -> None:
        if columns:
            out.write(f"{self.codec(columns).line(columns)}\n")
        width, delimiter = len(columns), self.delimiter
        out.writelines(f"{line}{delimiter * (width - cells)}\n" for line, cells in lines)

    def signature(self) -> dict[str, str]:
        return {"format": self.name, "delimiter": self.delimiter}


def _header(reader: Reader, path: Path) -> list[str]:
    header = next(reader, [])
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise ConfigError(f"column {name!r} appears twice in the header", source=str(path))
        seen.add(name)
    return header


def _numbered(reader: Reader, path: Path) -> Iterator[tuple[int, list[str] | str]]:
    """Each CSV record with the line it starts on; one that cannot be parsed as its error."""
    end = reader.line_num
    while True:
        try:
            for cells in reader:
                yield end + 1, cells
                end = reader.line_num
            return
        except csv.Error as exc:
            yield end + 1, f"unreadable CSV ({exc})"
            end = reader.line_num
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{path} is not UTF-8 text after line {end}: {exc.reason}") from None


class JsonlFormat(FileFormat):
    """One JSON object per line; values keep their JSON types."""

    name = "jsonl"
    fixed_columns = False

    def rows(self, path: Path) -> Iterator[Row | BadRow]:
        with path.open("rb") as handle:
            for number, line in enumerate(handle, 1):
                if line.isspace():
                    continue
                try:
                    values = json.loads(line)
                except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
                    yield BadRow(number, f"expected a JSON object ({exc})", _raw_line(line))
                    continue
                if isinstance(values, dict):
                    yield Row(number, values)
                else:
                    found = f"expected a JSON object, found {type(values).__name__}"
                    yield BadRow(number, found, _raw_line(line))

    def columns(self, path: Path) -> dict[str, FieldType]:
        seen: dict[str, FieldType | None] = {}
        for row in islice(self.rows(path), _SAMPLE_LINES):
            if isinstance(row, Row):
                for name, value in row.values.items():
                    seen[name] = _widen(seen.get(name), _json_type(value))
        return {name: found or FieldType.STRING for name, found in seen.items()}

    def codec(self, columns: Sequence[str]) -> JsonlCodec:
        return JsonlCodec()

    def write(self, out: TextIO, columns: Sequence[str], lines: Iterable[tuple[str, int]]) -> None:
        out.writelines(f"{line}\n" for line, _ in lines)


def _raw_line(line: bytes) -> dict[str, Any]:
    return {"text": line.decode("utf-8", errors="replace").rstrip("\r\n")}


_JSON_TYPES: tuple[tuple[type, FieldType], ...] = (
    (bool, FieldType.BOOLEAN),  # before int: bool is an int
    (int, FieldType.INTEGER),
    (float, FieldType.DECIMAL),
    (str, FieldType.STRING),
    (dict, FieldType.OBJECT),
    (list, FieldType.ARRAY),
)


def _json_type(value: Any) -> FieldType | None:
    return next((kind for cls, kind in _JSON_TYPES if isinstance(value, cls)), None)


def _widen(known: FieldType | None, found: FieldType | None) -> FieldType | None:
    """The type that holds both: integers and decimals are decimals, other mixes text."""
    if known is None or found is None or known == found:
        return known or found
    if {known, found} == {FieldType.INTEGER, FieldType.DECIMAL}:
        return FieldType.DECIMAL
    return FieldType.STRING


def file_format(settings: FileObjectSettings) -> FileFormat:
    """The format ``settings`` ask for."""
    if settings.file_format == "csv":
        return CsvFormat(settings.delimiter)
    return JsonlFormat()
