"""Compile a field map once into a :class:`Mapper` that maps records fast.

All parsing and validation happens at compile time; per record there is only a chain of
prebuilt closures per field. Each field is computed in this order::

    value (source | constant | template) -> transforms -> map -> default -> type -> required
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, tzinfo
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from crmsync.mapping.coerce import COERCIONS, ValueRejected, as_text, canonical, is_empty
from crmsync.mapping.filters import compile_filter
from crmsync.mapping.model import FieldMap, FieldRule, MatchRule
from crmsync.mapping.paths import compile_path, path_root
from crmsync.mapping.template import compile_template
from crmsync.mapping.transforms import Step, TransformCall
from crmsync.sdk.errors import RecordRejectedError
from crmsync.sdk.records import Match
from crmsync.sdk.schema import FieldType
from crmsync.yamlfile import brief

__all__ = ["MappedRecord", "Mapper", "compile_map"]

Compute = Callable[[Mapping[str, Any]], Any]

_SHOWN_KEYS = 5  # value-map keys listed when a value is not among them


class MappedRecord(NamedTuple):
    """A source record mapped for the target.

    Attributes:
        fields: target field -> value, for every field in ``Mapper.target_fields``;
            None where the record has no value.
        match: the unique target field and value that identify the target record.
    """

    fields: dict[str, Any]
    match: Match


class Mapper:
    """A compiled field map. Build it with :func:`compile_map`.

    Attributes:
        source_fields: top-level source fields the map reads (for ``ReadRequest.fields``).
        target_fields: the target fields every mapped record holds, in map order.
    """

    def __init__(self, field_map: FieldMap, source: str) -> None:
        self.source_fields = frozenset(path_root(path) for _, path in field_map.source_paths())
        self.target_fields = field_map.written_fields()
        self._source = source
        self._accepts = compile_filter(field_map.filter)
        self._match_field = field_map.match.target
        self._match = _compile_match(field_map.match)
        self._fields = tuple(
            (target, _compile_field(rule)) for target, rule in field_map.fields.items()
        )
        self._adds_match_field = field_map.match.target not in field_map.fields

    def accepts(self, record_fields: Mapping[str, Any]) -> bool:
        """Whether the map's filter selects this record."""
        return self._accepts(record_fields)

    def map(self, record_fields: Mapping[str, Any]) -> MappedRecord:
        """Map one record's fields.

        Raises:
            RecordRejectedError: the record cannot be mapped; the message lists every
                problem as ``field: reason``.
        """
        problems: list[str] = []
        match_value = ""
        try:
            match_value = self._match(record_fields)
        except ValueRejected as exc:
            problems.append(f"match ({self._match_field}): {exc}")
        fields: dict[str, Any] = {}
        for target, compute in self._fields:
            try:
                fields[target] = compute(record_fields)
            except ValueRejected as exc:
                problems.append(f"{target}: {exc}")
        if problems:
            raise RecordRejectedError(
                "; ".join(problems),
                code="MAPPING_ERROR",
                hint=f"fix the source record, or the field map {self._source}",
            )
        if self._adds_match_field:
            fields[self._match_field] = match_value
        return MappedRecord(fields, Match(self._match_field, match_value))


def compile_map(field_map: FieldMap, *, source: str = "<map>") -> Mapper:
    """Compile ``field_map`` into a :class:`Mapper`; ``source`` names the map in hints."""
    return Mapper(field_map, source)


def _steps(calls: list[TransformCall]) -> tuple[tuple[str, Step], ...]:
    return tuple((call.name, call.build()) for call in calls)


def _transformed(read: Compute, steps: tuple[tuple[str, Step], ...]) -> Compute:
    """``read`` followed by the transforms, which skip None and name themselves in errors."""
    if not steps:
        return read

    def transformed(fields: Mapping[str, Any]) -> Any:
        value = read(fields)
        for name, step in steps:
            if value is not None:
                try:
                    value = step(value)
                except ValueRejected as exc:
                    raise ValueRejected(f"transform {name!r}: {exc}") from None
        return value

    return transformed


def _compile_match(rule: MatchRule) -> Callable[[Mapping[str, Any]], str]:
    value_of = _transformed(compile_path(rule.source), _steps(rule.transforms))

    def match_value(fields: Mapping[str, Any]) -> str:
        value = value_of(fields)
        if is_empty(value):
            raise ValueRejected(f"the match value ({rule.source}) is missing")
        return as_text(value)

    return match_value


def _compile_field(rule: FieldRule) -> Compute:
    value_of = _transformed(_reader(rule), _steps(rule.transforms))
    lookup = _lookup(rule)
    has_default, default = rule.has_default, rule.default
    zone: tzinfo = UTC if rule.timezone is None else ZoneInfo(rule.timezone)
    coerce = None if rule.type is None else COERCIONS[FieldType(rule.type)](zone)
    if lookup is None and not has_default and coerce is None and not rule.required:
        return value_of  # the common plain field: no per-record work beyond reading
    required = rule.required

    def compute(fields: Mapping[str, Any]) -> Any:
        value = value_of(fields)
        if lookup is not None and value is not None:
            value = lookup(value)
        if has_default and is_empty(value):
            value = default
        if coerce is not None and value is not None:
            value = coerce(value)
        if required and is_empty(value):
            raise ValueRejected("required, but there is no value")
        return value

    return compute


def _reader(rule: FieldRule) -> Compute:
    if rule.source is not None:
        return compile_path(rule.source)
    if rule.template is not None:
        return compile_template(rule.template)
    constant = rule.constant
    return lambda _fields: constant


def _lookup(rule: FieldRule) -> Callable[[Any], Any] | None:
    """The value map as a function: canonical source value -> target value."""
    if rule.map is None:
        return None
    table = {canonical(key): target for key, target in rule.map.items()}
    has_default, default = rule.has_default, rule.default
    shown = ", ".join(map(brief, list(rule.map)[:_SHOWN_KEYS]))
    if len(rule.map) > _SHOWN_KEYS:
        shown += ", ..."

    def lookup(value: Any) -> Any:
        key = canonical(value)
        if key in table:
            return table[key]
        if has_default:
            return default
        raise ValueRejected(
            f"{brief(value)} is not in the value map ({shown}) and there is no default"
        )

    return lookup
