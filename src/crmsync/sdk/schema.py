"""Field schemas that object types publish through ``describe()``.

Field maps are checked against them before a sync runs, so an unknown or read-only
target field is reported by name instead of failing on the first write.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class FieldType(StrEnum):
    """The value types crmsync distinguishes when checking and coercing fields."""

    STRING = "string"
    INTEGER = "integer"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    ENUM = "enum"
    OBJECT = "object"
    ARRAY = "array"


@dataclass(frozen=True, slots=True)
class FieldSchema:
    """One field of an object type.

    Attributes:
        name: the API name (``lastmodifieddate``), not the display label.
        type: its value type.
        label: the name people see in the vendor's UI, when it differs.
        required: the target refuses creates without it.
        read_only: the target computes it; writes to it are refused.
        unique: the target enforces unique values, so it can serve as an upsert match key.
        options: the allowed values of an ENUM field.
    """

    name: str
    type: FieldType = FieldType.STRING
    label: str | None = None
    required: bool = False
    read_only: bool = False
    unique: bool = False
    options: tuple[str, ...] = ()
    description: str | None = None


@dataclass(frozen=True, slots=True)
class ObjectSchema:
    """The fields of an object type.

    ``open`` marks schemas that accept fields they do not list (a target file that does
    not exist yet, a document store); checks then warn instead of failing.
    """

    fields: Mapping[str, FieldSchema] = field(default_factory=dict)
    open: bool = False

    @classmethod
    def of(cls, fields: Iterable[FieldSchema], *, open: bool = False) -> ObjectSchema:
        return cls({f.name: f for f in fields}, open=open)

    def __contains__(self, name: object) -> bool:
        return name in self.fields

    def __iter__(self) -> Iterator[FieldSchema]:
        return iter(self.fields.values())

    def get(self, name: str) -> FieldSchema | None:
        return self.fields.get(name)

    def closest(self, name: str) -> str | None:
        """The listed field name nearest to ``name``, for "did you mean" hints."""
        return closest_name(name, self.fields)


def closest_name(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate most similar to ``name``, or None when nothing is close."""
    by_folded = {c.casefold(): c for c in candidates}
    if name.casefold() in by_folded:
        return by_folded[name.casefold()]
    found = difflib.get_close_matches(name.casefold(), list(by_folded), n=1, cutoff=0.6)
    return by_folded[found[0]] if found else None
