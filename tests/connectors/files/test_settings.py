"""The files connector's settings and its registration."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from crmsync.sdk.registry import connector_class
from crmsync_connectors.files import FileObjectSettings, FilesConnector, FilesSettings


def test_the_connector_is_registered_as_files() -> None:
    assert connector_class("files") is FilesConnector


@pytest.mark.parametrize(
    ("path", "expected"),
    [("a.csv", "csv"), ("b.CSV", "csv"), ("c.jsonl", "jsonl"), ("d.ndjson", "jsonl")],
)
def test_the_format_is_inferred_from_the_suffix(path: str, expected: str) -> None:
    settings = FileObjectSettings(path=path)
    assert settings.file_format == expected
    assert settings.format is None


def test_an_explicit_format_wins_over_the_suffix() -> None:
    assert FileObjectSettings(path="export.txt", format="jsonl").file_format == "jsonl"


def test_an_unknown_suffix_without_a_format_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"cannot tell the format of 'export\.txt'"):
        FileObjectSettings(path="export.txt")


@pytest.mark.parametrize("setting", ["key", "updated_at", "deleted"])
def test_declared_fields_must_list_the_configured_columns(setting: str) -> None:
    values: dict[str, Any] = {"path": "a.csv", "fields": {"id": "string", "other": "string"}}
    values[setting] = "missing"
    with pytest.raises(ValidationError, match=f"{setting} column 'missing' is not listed"):
        FileObjectSettings.model_validate(values)


@pytest.mark.parametrize(
    "values",
    [
        {"path": "a.csv", "colour": "blue"},
        {"path": "a.csv", "page_size": 0},
        {"path": "a.csv", "delimiter": ";;"},
        {"path": "a.csv", "fields": {"id": "colour"}},
        {"path": ""},
    ],
)
def test_invalid_object_settings_are_refused(values: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        FileObjectSettings.model_validate(values)


def test_a_connection_needs_at_least_one_object() -> None:
    with pytest.raises(ValidationError, match="objects"):
        FilesSettings.model_validate({"objects": {}})


def test_the_settings_export_a_documented_json_schema() -> None:
    schema = FilesSettings.model_json_schema()
    item = schema["$defs"]["FileObjectSettings"]
    assert item["additionalProperties"] is False
    assert set(item["properties"]) >= {"path", "format", "key", "updated_at", "fields"}
    assert all(prop.get("description") for prop in item["properties"].values())
