"""Rows as the lines of text a file holds, so that publishing a file is copying lines.

A row is handled as a dict in its file's representation (CSV: non-empty text cells;
JSON Lines: JSON values) and stored as the exact line the file will contain. Equal rows
encode to equal lines, which is how an upsert tells UPDATED from UNCHANGED.
"""

from __future__ import annotations

import csv
import json
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from datetime import date, time
from decimal import Decimal
from typing import Any

# Built once: json.dumps with options builds a new encoder on every call.
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def json_value(value: Any) -> Any:
    """``value`` as JSON holds it: Decimal as text to keep its precision, times in ISO 8601.

    Raises:
        ValueError: a type no file can hold.
    """
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    raise ValueError(f"cannot store a {type(value).__name__} value in a file")


def csv_cell(value: Any) -> str | None:
    """``value`` as CSV text: true/false, numbers as written, ISO times, JSON for the rest."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return str(value)
    plain = json_value(value)
    if plain is None or isinstance(plain, str):
        return plain or None
    return _JSON.encode(plain)


class RowCodec(ABC):
    """Converts a file's rows to and from stored lines.

    Attributes:
        columns: the CSV header; merging a field it lacks appends it.
    """

    columns: list[str]

    @abstractmethod
    def merge(self, row: dict[str, Any], fields: Mapping[str, Any]) -> None:
        """Set ``fields`` on ``row`` in the file's representation.

        Raises:
            ValueError: a value the file cannot hold.
        """

    @abstractmethod
    def encode(self, row: Mapping[str, Any]) -> tuple[str, int]:
        """The row's line (without its line break) and how many columns it fills.

        Raises:
            ValueError: a value the file cannot hold.
        """

    @abstractmethod
    def decode(self, line: str) -> dict[str, Any]:
        """The row stored as ``line``."""


class CsvCodec(RowCodec):
    """CSV lines; trailing empty cells are left off and restored on publishing.

    Leaving them off keeps a stored line valid when the header gains columns.
    """

    def __init__(self, columns: Sequence[str], delimiter: str) -> None:
        self.columns = list(columns)
        self._known = set(columns)
        self._delimiter = delimiter
        self._out = _LastWrite()
        # "\r\n" makes the writer quote cells holding either character; it is cut off below.
        self._writer = csv.writer(self._out, delimiter=delimiter, lineterminator="\r\n")

    def merge(self, row: dict[str, Any], fields: Mapping[str, Any]) -> None:
        for column, value in fields.items():
            cell = value if type(value) is str else csv_cell(value)  # text is the common case
            if cell:
                row[column] = cell
            else:
                row.pop(column, None)
        if not self._known.issuperset(fields):  # after the values: a refused op adds none
            self.columns += [column for column in fields if column not in self._known]
            self._known.update(fields)

    def encode(self, row: Mapping[str, Any]) -> tuple[str, int]:
        cells = list(map(row.get, self.columns))
        while cells and cells[-1] is None:
            cells.pop()
        return self.line(cells), len(cells)

    def line(self, cells: Sequence[str | None]) -> str:
        """``cells`` as one CSV line, quoted where needed, without its line break."""
        self._writer.writerow(cells)
        return self._out.text[:-2]

    def decode(self, line: str) -> dict[str, Any]:
        cells = next(csv.reader([line], delimiter=self._delimiter))
        return {column: cell for column, cell in zip(self.columns, cells, strict=False) if cell}


class _LastWrite:
    """A file that keeps only the last text written: the CSV writer's one line."""

    text = ""

    def write(self, text: str) -> None:
        self.text = text


class JsonlCodec(RowCodec):
    """One compact JSON object per line, keys in the order they were first set."""

    def __init__(self) -> None:
        self.columns = []

    def merge(self, row: dict[str, Any], fields: Mapping[str, Any]) -> None:
        for column, value in fields.items():
            row[column] = value if type(value) is str else json_value(value)

    def encode(self, row: Mapping[str, Any]) -> tuple[str, int]:
        return _JSON.encode(row), len(row)

    def decode(self, line: str) -> dict[str, Any]:
        row: dict[str, Any] = json.loads(line)
        return row
