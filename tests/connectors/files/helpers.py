"""Building files connectors and files for the tests."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from crmsync.sdk.context import ConnectorContext
from crmsync.sdk.records import Page, ReadRequest, Record, WriteOp, WriteResult
from crmsync_connectors.files import FileObject, FilesConnector, FilesSettings

_OPEN: list[FilesConnector] = []


def connector(folder: Path, **objects: Mapping[str, Any]) -> FilesConnector:
    """A files connector whose config file lives in ``folder``; closed after the test."""
    settings = FilesSettings.model_validate({"objects": objects})
    built = FilesConnector(settings, ConnectorContext("files-test", base_dir=folder))
    _OPEN.append(built)
    return built


def close_connectors() -> None:
    """Close every connector built since the last call (tests leave them open on purpose,
    as a killed run would)."""
    while _OPEN:
        _OPEN.pop().close()


def file_object(folder: Path, **settings: Any) -> FileObject:
    """The object type ``things`` of a fresh connector, configured by ``settings``."""
    return connector(folder, things=settings).object_types()[0]


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_jsonl(path: Path, rows: Iterable[Mapping[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def read_pages(source: FileObject, request: ReadRequest | None = None) -> list[Page]:
    return list(source.read(request or ReadRequest()))


def records(source: FileObject, request: ReadRequest | None = None) -> list[Record]:
    return [record for page in read_pages(source, request) for record in page.records]


def write(target: FileObject, *ops: WriteOp) -> list[WriteResult]:
    """Write one batch and publish it, as a run with one batch does."""
    results = target.write(ops)
    target.finish()
    return results
