"""The files connector against the connector conformance suite, as CSV and as JSON Lines."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from crmsync.testing.conformance import ConnectorConformance, SeedRecord
from crmsync_connectors.files import FilesConnector

from .helpers import (
    connector,
    read_csv,
    read_jsonl,
    write_csv,
    write_jsonl,
)

PAGE_SIZE = 7


class FilesHarness:
    """A temporary folder: ``people`` is a source file the harness writes, ``contacts`` a target.

    CSV seeds carry ISO 8601 times; JSON Lines seeds carry epoch milliseconds.
    """

    read_object = "people"
    write_object = "contacts"
    page_size = PAGE_SIZE
    match_field = "id"

    def __init__(self, folder: Path, suffix: str) -> None:
        self.folder = folder
        self.suffix = suffix
        self.connector: FilesConnector = connector(
            folder,
            people={"path": f"people.{suffix}", "updated_at": "modified", "page_size": PAGE_SIZE},
            contacts={"path": f"contacts.{suffix}"},
        )
        self._seeded: dict[str, SeedRecord] = {}

    def seed(self, records: Sequence[SeedRecord]) -> list[str]:
        self._seeded.update((r.key, r) for r in records)
        self._save()
        return [r.key for r in records]

    def touch(self, keys: Sequence[str], at: datetime) -> None:
        for key in keys:
            self._seeded[key] = dataclasses.replace(self._seeded[key], updated_at=at)
        self._save()

    def remote(self, object_name: str) -> list[Mapping[str, Any]]:
        path = self.folder / f"{object_name}.{self.suffix}"
        if not path.exists():
            return []
        return list(read_csv(path) if self.suffix == "csv" else read_jsonl(path))

    def valid_fields(self, n: int) -> dict[str, Any]:
        return {"id": f"c{n}", "email": f"person{n}@example.com", "name": f"Person {n}"}

    def invalid_fields(self) -> dict[str, Any]:
        return {"id": "", "email": "nobody@example.com", "name": "No Key"}

    def _save(self) -> None:
        path = self.folder / f"people.{self.suffix}"
        seeds = list(self._seeded.values())[::-1]  # newest first: a file is not in cursor order
        if self.suffix == "csv":
            rows = [(s.key, s.email, s.name, s.updated_at.isoformat()) for s in seeds]
            write_csv(path, ("id", "email", "name", "modified"), rows)
        else:
            write_jsonl(path, (_jsonl_row(s) for s in seeds))


def _jsonl_row(seed: SeedRecord) -> dict[str, Any]:
    millis = int(seed.updated_at.timestamp() * 1000)
    return {"id": seed.key, "email": seed.email, "name": seed.name, "modified": millis}


class TestFilesConformance(ConnectorConformance):
    @pytest.fixture(params=["csv", "jsonl"])
    def harness(self, request: pytest.FixtureRequest, tmp_path: Path) -> FilesHarness:
        return FilesHarness(tmp_path, request.param)
