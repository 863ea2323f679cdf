"""Build field maps and mappers from YAML text, as a map file would give them."""

from __future__ import annotations

from typing import Any

import pytest

from crmsync import yamlfile
from crmsync.mapping import FieldMap, Mapper, compile_map, parse_field_map
from crmsync.sdk.errors import ConfigError, RecordRejectedError

MATCH = "version: 1\nmatch: {source: email, target: email}\n"


def field_map(text: str) -> FieldMap:
    """A map from complete YAML text, named ``map.yaml`` in errors."""
    return parse_field_map(yamlfile.loads(text, "map.yaml"))


def mapper(fields: str, *, extra: str = "") -> Mapper:
    """A mapper matching on email, with ``fields`` (YAML under ``fields:``) and ``extra``."""
    indented = "".join(f"  {line}\n" for line in fields.strip().splitlines())
    return compile_map(field_map(f"{MATCH}{extra}fields:\n{indented}"), source="map.yaml")


def map_one(field: str, record: dict[str, Any]) -> Any:
    """The value of target field ``out`` when ``out: <field>`` maps ``record``."""
    return mapper(f"out: {field}").map({"email": "a@b.co", **record}).fields["out"]


def rejection(mapping: Mapper, record: dict[str, Any]) -> str:
    """The reason ``mapping`` rejects ``record``."""
    with pytest.raises(RecordRejectedError) as caught:
        mapping.map(record)
    return caught.value.message


def map_error(text: str) -> str:
    """The message of the ConfigError loading ``text`` as a map raises."""
    with pytest.raises(ConfigError) as caught:
        field_map(text)
    return str(caught.value)
