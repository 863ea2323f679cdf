"""The field-map file format (``mappings/*.yaml``) as pydantic models.

Everything a map can get wrong is caught here, when it loads: unknown keys, unknown
transforms and bad arguments, malformed paths, templates and filters, unknown time
zones. Errors name the file, line and key path (see :mod:`crmsync.yamlfile`).
``FieldMap.model_json_schema()`` gives editors completion and checking.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    PlainSerializer,
    PlainValidator,
    PrivateAttr,
    WithJsonSchema,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from crmsync import yamlfile
from crmsync.mapping.coerce import ValueRejected, canonical, to_ordered
from crmsync.mapping.paths import path_problem
from crmsync.mapping.template import template_paths
from crmsync.mapping.transforms import TransformCall, parse_call, transforms_json_schema
from crmsync.sdk.schema import closest_name
from crmsync.yamlfile import InvalidValue, KeyPath, YamlDocument, brief

__all__ = [
    "Condition",
    "FieldMap",
    "FieldRule",
    "MatchRule",
    "ValueType",
    "load_field_map",
    "parse_field_map",
]

ValueType = Literal["string", "integer", "decimal", "boolean", "date", "datetime"]
"""The types a field can be coerced to (the scalar members of ``FieldType``)."""

_OPERATORS = (
    "equals",
    "not_equals",
    "in",
    "not_in",
    "exists",
    "contains",
    "gt",
    "gte",
    "lt",
    "lte",
)
_COMBINATORS = ("all", "any", "not")
_NEEDS_OPERAND = frozenset(_OPERATORS) - {"equals", "not_equals"}


def _source_path(path: str) -> str:
    problem = path_problem(path)
    if problem:
        raise InvalidValue(problem)
    return path


def _template(text: str) -> str:
    try:
        template_paths(text)
    except ValueError as exc:
        raise InvalidValue(str(exc), hint="placeholders are source paths: {first_name}") from None
    return text


def _time_zone(name: str) -> str:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        near = closest_name(name, zoneinfo.available_timezones())
        hint = f"did you mean {near!r}?" if near else "use an IANA name such as 'Europe/Paris'"
        raise InvalidValue(f"unknown time zone {name!r}", hint=hint) from None
    return name


def _scalar(value: Any) -> Any:
    """A value that filters and value maps can compare (see ``canonical``)."""
    if isinstance(value, dict | list):
        raise InvalidValue(f"expected a single value, found {brief(value)}")
    try:
        canonical(value)
    except ValueRejected as exc:
        raise InvalidValue(str(exc)) from None
    return value


def _bound(value: Any) -> Any:
    try:
        ordered = to_ordered(value)
    except ValueRejected:
        ordered = None
    if ordered is None:
        raise InvalidValue(f"expected a number or an ISO 8601 date, found {brief(value)}")
    return value


def _value_map(table: dict[Any, Any]) -> dict[Any, Any]:
    if None in table:
        raise InvalidValue("a value map key cannot be null", hint="use default: for missing values")
    for key, value in table.items():
        _scalar(key)
        _scalar(value)
    return table


SourcePath = Annotated[str, AfterValidator(_source_path)]
Template = Annotated[str, AfterValidator(_template)]
TimeZoneName = Annotated[str, AfterValidator(_time_zone)]
TargetName = Annotated[str, Field(min_length=1)]
Scalar = Annotated[
    Any, AfterValidator(_scalar), WithJsonSchema({"type": ["string", "number", "boolean", "null"]})
]
Bound = Annotated[Any, AfterValidator(_bound), WithJsonSchema({"type": ["number", "string"]})]
TransformList = list[
    Annotated[
        TransformCall,
        PlainValidator(parse_call),
        PlainSerializer(TransformCall.to_yaml),
        WithJsonSchema(transforms_json_schema()),
    ]
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class MatchRule(_Strict):
    """How a source record finds its target record: by a unique target field's value."""

    source: SourcePath
    """The source path holding the match value, e.g. ``email``."""
    target: TargetName
    """The target field (unique in the target) that upserts match on."""
    transforms: TransformList = []
    """Normalisation of the match value, e.g. ``[strip, lower]``."""


class Condition(_Strict):
    """A filter condition: ``field`` with one operator, or one of ``all``, ``any``, ``not``."""

    field: SourcePath | None = None
    """The source path to test."""
    equals: Scalar = None
    """The value equals this (numbers compare by value: 8 equals 8.0)."""
    not_equals: Scalar = None
    """The value differs from this."""
    in_: Annotated[list[Scalar], Field(min_length=1)] | None = Field(None, alias="in")
    """The value is one of these."""
    not_in: Annotated[list[Scalar], Field(min_length=1)] | None = None
    """The value is none of these."""
    exists: bool | None = None
    """true: the value is present and not blank; false: it is missing or blank."""
    contains: Scalar = None
    """A list value has this item, or a text value has this substring."""
    gt: Bound = None
    """The value is greater than this number or ISO date."""
    gte: Bound = None
    """The value is at least this number or ISO date."""
    lt: Bound = None
    """The value is less than this number or ISO date."""
    lte: Bound = None
    """The value is at most this number or ISO date."""
    all_: Annotated[list[Condition], Field(min_length=1)] | None = Field(None, alias="all")
    """Every one of these conditions holds."""
    any_: Annotated[list[Condition], Field(min_length=1)] | None = Field(None, alias="any")
    """At least one of these conditions holds."""
    not_: Condition | None = Field(None, alias="not")
    """This condition does not hold."""

    def _given(self, names: Sequence[str]) -> list[str]:
        """Which of the keys ``names`` the map wrote, by their YAML names."""
        return [name for name in names if _attribute(name) in self.model_fields_set]

    @property
    def operator(self) -> tuple[str, Any]:
        """The operator of a ``field`` condition and its operand."""
        (name,) = self._given(_OPERATORS)
        return name, getattr(self, _attribute(name))

    @model_validator(mode="after")
    def _one_test(self) -> Condition:
        combinators, operators = self._given(_COMBINATORS), self._given(_OPERATORS)
        if combinators:
            extra = combinators[1:] + (["field"] if self.field is not None else []) + operators
            if extra:
                raise InvalidValue(
                    f"{combinators[0]!r} cannot be combined with {_listing(extra)} "
                    "in one condition",
                    hint=f"nest them: {combinators[0]}: [{{field: ..., equals: ...}}, ...]",
                )
        elif self.field is None:
            raise InvalidValue(
                "a condition needs 'field' and an operator, or one of 'all', 'any', 'not'",
                hint="e.g. {field: state, equals: active}",
            )
        elif len(operators) != 1:
            raise InvalidValue(
                f"a condition takes one operator, found {_listing(operators) or 'none'}",
                hint=f"operators: {', '.join(_OPERATORS)}; combine conditions with all: [...]",
            )
        elif operators[0] in _NEEDS_OPERAND and self.operator[1] is None:
            raise InvalidValue(f"{operators[0]!r} needs a value")
        return self


def _attribute(name: str) -> str:
    """The Python attribute for a YAML key (``in`` -> ``in_``)."""
    return f"{name}_" if name in ("in", "all", "any", "not") else name


def _listing(names: Sequence[str]) -> str:
    return " and ".join(repr(name) for name in names)


class FieldRule(_Strict):
    """How one target field gets its value. Give exactly one of source, constant, template."""

    source: SourcePath | None = None
    """The source path to read, e.g. ``customer.email`` or ``items.0.sku``."""
    constant: Any = None
    """A fixed value."""
    template: Template | None = None
    """Text with source paths in braces: ``"{first_name} {last_name}"``."""
    transforms: TransformList = []
    """Named transforms applied in order."""
    map: Annotated[dict[Any, Any], AfterValidator(_value_map), Field(min_length=1)] | None = None
    """A value map: source value -> target value; unmapped values use default or reject."""
    default: Any = None
    """The value to use when the value is missing, blank or not in the value map."""
    type: ValueType | None = None
    """Coerce the value to this type."""
    timezone: TimeZoneName | None = None
    """The IANA time zone of naive date-times (default UTC); date and datetime types only."""
    required: bool = False
    """Reject the record when the field ends up without a value."""

    @property
    def has_default(self) -> bool:
        """Whether the map gave a default (``default: null`` counts)."""
        return "default" in self.model_fields_set

    @model_validator(mode="after")
    def _one_value(self) -> FieldRule:
        given = [k for k in ("source", "constant", "template") if k in self.model_fields_set]
        if len(given) != 1:
            found = f", found {_listing(given)}" if given else ""
            raise InvalidValue(
                f"a field takes exactly one of 'source', 'constant' or 'template'{found}",
                hint="a bare string is short for source: `email: customer.email`",
            )
        if self.timezone is not None and self.type not in ("date", "datetime"):
            raise InvalidValue(
                "timezone applies to type date or datetime only",
                hint="add `type: datetime` (or `type: date`)",
            )
        return self


def _expand_shorthand(value: Any) -> Any:
    if isinstance(value, str):
        return {"source": value}
    if not isinstance(value, dict):
        raise InvalidValue(
            f"expected a source path or a mapping of field settings, found {brief(value)}",
            hint="e.g. `email: customer.email` or `email: {source: customer.email}`",
        )
    return value


class _ShorthandSchema:
    """JSON Schema for a field entry: a FieldRule, or a bare source path string."""

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"anyOf": [{"type": "string", "description": "a source path"}, handler(schema)]}


FieldEntry = Annotated[FieldRule, BeforeValidator(_expand_shorthand), _ShorthandSchema()]


class FieldMap(_Strict):
    """How records of a source object become records of a target object."""

    version: Literal[1]
    """The format version of this file."""
    match: MatchRule
    """How a source record finds its target record."""
    filter: Condition | None = None
    """Which source records to sync; all when left out."""
    fields: Annotated[dict[TargetName, FieldEntry], Field(min_length=1)]
    """Target field -> how to compute its value."""

    _document: YamlDocument | None = PrivateAttr(None)

    def line(self, path: Sequence[str | int]) -> int | None:
        """The line of ``path`` in the file this map was loaded from, when known."""
        return None if self._document is None else self._document.line(path)

    def written_fields(self) -> tuple[str, ...]:
        """Every target field a mapped record holds: the map's, then the match field."""
        if self.match.target in self.fields:
            return tuple(self.fields)
        return (*self.fields, self.match.target)

    def source_paths(self) -> Iterator[tuple[KeyPath, str]]:
        """Every source path the map reads, with where in the map it is named."""
        yield ("match", "source"), self.match.source
        if self.filter is not None:
            yield from _condition_paths(self.filter, ("filter",))
        for name, rule in self.fields.items():
            if rule.source is not None:
                yield ("fields", name, "source"), rule.source
            if rule.template is not None:
                for path in template_paths(rule.template):
                    yield ("fields", name, "template"), path


def _condition_paths(condition: Condition, at: KeyPath) -> Iterator[tuple[KeyPath, str]]:
    if condition.field is not None:
        yield (*at, "field"), condition.field
    for key, group in (("all", condition.all_), ("any", condition.any_)):
        for index, member in enumerate(group or ()):
            yield from _condition_paths(member, (*at, key, index))
    if condition.not_ is not None:
        yield from _condition_paths(condition.not_, (*at, "not"))


def parse_field_map(doc: YamlDocument) -> FieldMap:
    """Validate a loaded YAML document as a field map, keeping its lines for findings.

    Raises:
        ConfigError: every problem, each naming its line and key path.
    """
    field_map = yamlfile.validate(FieldMap, doc)
    field_map._document = doc
    return field_map


def load_field_map(path: Path) -> FieldMap:
    """Load and validate the field map file at ``path``.

    Raises:
        ConfigError: the file is unreadable, not YAML, or not a valid field map.
    """
    return parse_field_map(yamlfile.load(path))
