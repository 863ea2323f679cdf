"""Check a field map against the source and target schemas before a sync runs.

A map can be valid on its own and still name a field the target does not have, write
a read-only field, or send a value an enum field refuses. ``check_map`` finds these
up front, so the first write does not fail a thousand times over.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from crmsync.mapping.coerce import as_text
from crmsync.mapping.model import FieldMap, FieldRule
from crmsync.mapping.paths import path_root
from crmsync.mapping.transforms import TRANSFORMS
from crmsync.sdk.errors import ConfigError
from crmsync.sdk.schema import FieldType, ObjectSchema, closest_name
from crmsync.yamlfile import KeyPath, format_location

__all__ = ["Finding", "Severity", "check_map"]

_T = FieldType
_SCALARS = frozenset({_T.STRING, _T.INTEGER, _T.DECIMAL, _T.BOOLEAN, _T.DATE, _T.DATETIME, _T.ENUM})
# Target type -> the value types that can be written to it. Text fits every scalar
# target, because text may hold digits, dates or an option; other pairs cannot work.
_FITS: dict[FieldType, frozenset[FieldType]] = {
    _T.STRING: _SCALARS,
    _T.INTEGER: frozenset({_T.INTEGER, _T.DECIMAL, _T.STRING}),
    _T.DECIMAL: frozenset({_T.INTEGER, _T.DECIMAL, _T.STRING}),
    _T.BOOLEAN: frozenset({_T.BOOLEAN, _T.INTEGER, _T.STRING}),
    _T.DATE: frozenset({_T.DATE, _T.DATETIME, _T.STRING}),
    _T.DATETIME: frozenset({_T.DATE, _T.DATETIME, _T.INTEGER, _T.STRING}),
    _T.ENUM: frozenset({_T.STRING, _T.INTEGER, _T.BOOLEAN, _T.ENUM}),
    _T.OBJECT: frozenset({_T.OBJECT}),
    _T.ARRAY: frozenset({_T.ARRAY}),
}
# Python type of a constant -> its FieldType; bool precedes int, datetime precedes date.
_CONSTANT_TYPES = (
    (bool, _T.BOOLEAN),
    (int, _T.INTEGER),
    (float | Decimal, _T.DECIMAL),
    (str, _T.STRING),
    (datetime, _T.DATETIME),
    (date, _T.DATE),
)


class Severity(StrEnum):
    """Errors stop the sync; warnings are shown and the sync runs."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem ``check_map`` found.

    Attributes:
        severity: error or warning.
        location: where in the map, e.g. ``fields.emial``.
        message: what is wrong.
        hint: what to do about it, when there is something to suggest.
        source: the map's name, as given to ``check_map``.
        line: the line in the map file, when the map was loaded from one.
    """

    severity: Severity
    location: str
    message: str
    hint: str | None = None
    source: str | None = None
    line: int | None = None

    def to_error(self) -> ConfigError:
        """This finding as a ConfigError, to raise or combine with others."""
        return ConfigError(
            self.message, source=self.source, location=self.location, line=self.line, hint=self.hint
        )

    def __str__(self) -> str:
        return f"{self.severity}: {self.to_error()}"


def check_map(
    field_map: FieldMap, *, source: ObjectSchema, target: ObjectSchema, map_name: str
) -> list[Finding]:
    """Everything in ``field_map`` that the two schemas say cannot work, in map order."""
    checker = _Checker(field_map, source, target, map_name)
    return list(checker.findings())


class _Checker:
    def __init__(
        self, field_map: FieldMap, source: ObjectSchema, target: ObjectSchema, map_name: str
    ) -> None:
        self.map = field_map
        self.source = source
        self.target = target
        self.map_name = map_name

    def finding(
        self, severity: Severity, at: KeyPath, message: str, hint: str | None = None
    ) -> Finding:
        return Finding(
            severity, format_location(at), message, hint, self.map_name, self.map.line(at)
        )

    def findings(self) -> Iterator[Finding]:
        yield from self.source_paths()
        yield from self.match_field()
        for name, rule in self.map.fields.items():
            yield from self.target_field(name, rule)
        yield from self.required_fields()

    def source_paths(self) -> Iterator[Finding]:
        for at, path in self.map.source_paths():
            root = path_root(path)
            if root not in self.source:
                yield from self.unknown(self.source, "source", at, root)

    def match_field(self) -> Iterator[Finding]:
        name = self.map.match.target
        at = ("match", "target")
        schema = self.target.get(name)
        if schema is None:
            yield from self.unknown(self.target, "target", at, name)
            return
        if not schema.unique:
            yield self.finding(
                Severity.WARNING,
                at,
                f"the target does not mark {name!r} as unique",
                "upserts may update several records, or create duplicates; "
                "match on a unique field such as the email or an external id",
            )
        if schema.read_only and name not in self.map.fields:
            yield self.finding(
                Severity.ERROR,
                at,
                f"{name!r} is read-only in the target, and mapped records include the match field",
            )

    def target_field(self, name: str, rule: FieldRule) -> Iterator[Finding]:
        at = ("fields", name)
        schema = self.target.get(name)
        if schema is None:
            yield from self.unknown(self.target, "target", at, name)
            return
        if schema.read_only:
            yield self.finding(Severity.ERROR, at, f"{name!r} is read-only in the target")
        produced = self.produced_type(rule)
        if produced is not None and produced not in _FITS[schema.type]:
            yield self.finding(
                Severity.WARNING,
                at,
                f"{_article(produced)} {produced} value cannot be written "
                f"to the {schema.type} field {name!r}",
                "add or change `type:`, or map another field",
            )
        if schema.type is FieldType.ENUM and schema.options:
            yield from self.options(at, rule, schema.options)

    def unknown(self, schema: ObjectSchema, side: str, at: KeyPath, name: str) -> Iterator[Finding]:
        """A field the schema does not list: an error, or for an open schema (which takes
        fields it does not list) a warning only when the name looks like a typo."""
        near = schema.closest(name)
        if schema.open and near is None:
            return
        yield self.finding(
            Severity.WARNING if schema.open else Severity.ERROR,
            at,
            f"the {side} has no field {name!r}",
            f"did you mean {near!r}?" if near else None,
        )

    def options(self, at: KeyPath, rule: FieldRule, options: tuple[str, ...]) -> Iterator[Finding]:
        for where, value in _fixed_values(rule):
            if value is None or isinstance(value, (dict, list)) or as_text(value) in options:
                continue
            near = closest_name(as_text(value), options)
            yield self.finding(
                Severity.ERROR,
                (*at, *where),
                f"{as_text(value)!r} is not an option of {at[-1]!r}",
                (f"did you mean {near!r}? " if near else "") + f"options: {', '.join(options)}",
            )

    def required_fields(self) -> Iterator[Finding]:
        written = set(self.map.written_fields())
        for schema in self.target:
            if schema.required and not schema.read_only and schema.name not in written:
                yield self.finding(
                    Severity.WARNING,
                    ("fields",),
                    f"the target requires {schema.name!r}, which the map does not set",
                    "creates will fail unless the target has a default for it",
                )

    def produced_type(self, rule: FieldRule) -> FieldType | None:
        """The type of the values the rule produces, when it can be known."""
        if rule.type is not None:
            return FieldType(rule.type)
        if rule.map is not None:
            return None
        if rule.transforms:
            return TRANSFORMS[rule.transforms[-1].name].produces
        if rule.template is not None:
            return FieldType.STRING
        if rule.source is not None:
            schema = self.source.get(rule.source)
            return None if schema is None else schema.type
        return _constant_type(rule.constant)


def _fixed_values(rule: FieldRule) -> Iterator[tuple[KeyPath, Any]]:
    """The values a rule writes that the map itself spells out, with where."""
    if rule.map is not None:
        for key, value in rule.map.items():
            yield ("map", key), value
    if rule.has_default:
        yield ("default",), rule.default
    if "constant" in rule.model_fields_set:
        yield ("constant",), rule.constant


def _constant_type(value: Any) -> FieldType | None:
    return next((kind for cls, kind in _CONSTANT_TYPES if isinstance(value, cls)), None)


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"
