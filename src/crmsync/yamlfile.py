"""YAML files in, validated pydantic models out, with errors that name file, line and key.

``crmsync.yaml`` and the field maps both load through here, so every configuration
problem reads the same way::

    crmsync.yaml:14: syncs[1].mode: expected one of 'upsert', 'update-only', found 'upset'
      hint: did you mean 'upsert'?

Loading is PyYAML's safe loader with two changes: duplicate keys are errors (PyYAML
silently keeps the last one), and only ``true``/``false`` are booleans, as in YAML 1.2,
so that country codes such as ``NO`` and answers such as ``yes`` stay text.
"""

from __future__ import annotations

import re
import types
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from crmsync.sdk.errors import ConfigError
from crmsync.sdk.schema import closest_name

__all__ = [
    "InvalidValue",
    "KeyPath",
    "YamlDocument",
    "brief",
    "format_location",
    "load",
    "loads",
    "validate",
    "validate_at",
]

KeyPath = tuple[str | int, ...]
"""A position in a document: mapping keys and sequence indexes from the top."""

M = TypeVar("M", bound=BaseModel)

_BOOL_TAG = "tag:yaml.org,2002:bool"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_BRIEF_LIMIT = 40
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")  # shown as .key; others as ['key']
_ABSENT = object()  # a key path that leads nowhere in the data


class InvalidValue(ValueError):
    """Raise from a pydantic validator to report a problem with a hint.

    :func:`validate` shows the message as written and the hint under it.
    """

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


@dataclass(frozen=True, slots=True)
class YamlDocument:
    """A loaded YAML file: its data and the line of every key and list item.

    Attributes:
        data: the plain Python data (dicts, lists, scalars).
        source: the name to show in messages (the path as given).
        lines: 1-based line of each key path; use :meth:`line` to look one up.
    """

    data: dict[Any, Any]
    source: str
    lines: Mapping[KeyPath, int]

    def with_data(self, data: dict[Any, Any]) -> YamlDocument:
        """The same document holding ``data`` (e.g. after substituting ``${ENV}`` references).

        The lines still apply as long as ``data`` keeps the document's shape.
        """
        return replace(self, data=data)

    def line(self, path: Sequence[str | int]) -> int | None:
        """The line of ``path``, or of its nearest ancestor when it is not in the file."""
        key = tuple(path)
        while key not in self.lines and key:
            key = key[:-1]
        return self.lines.get(key)


class _Loader(yaml.SafeLoader):
    """SafeLoader whose booleans are YAML 1.2's: ``true`` and ``false`` only."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def load(path: Path) -> YamlDocument:
    """Read and parse the YAML file at ``path``; its top level must be a mapping.

    Raises:
        ConfigError: the file cannot be read, is not valid YAML, repeats a key, is
            empty, or does not hold a mapping.
    """
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("file not found", source=source) from None
    except UnicodeDecodeError:
        raise ConfigError("not UTF-8 text", source=source, hint="save it as UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"cannot read the file: {exc.strerror}", source=source) from None
    return loads(text, source)


def loads(text: str, source_name: str) -> YamlDocument:
    """Parse YAML ``text``, naming it ``source_name`` in errors. See :func:`load`."""
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        lines: dict[KeyPath, int] = {}
        if root is not None:
            duplicates = list(_index(loader, root, (), lines, set()))
            if duplicates:
                raise ConfigError.combine(
                    [
                        ConfigError(
                            f"duplicate key (first defined on line {first})",
                            source=source_name,
                            location=format_location(path),
                            line=line,
                            hint="YAML keeps only one of them; remove or merge the other",
                        )
                        for path, first, line in duplicates
                    ]
                )
        data = None if root is None else loader.construct_document(root)
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc, source_name) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid YAML: {exc}", source=source_name) from None
    finally:
        loader.dispose()
    if data is None:
        raise ConfigError(
            "the file is empty; expected a mapping of keys to values", source=source_name
        )
    if not isinstance(data, dict):
        raise ConfigError(
            f"expected a mapping of keys to values at the top level, found {brief(data)}",
            source=source_name,
            line=lines.get(()),
        )
    return YamlDocument(data, source_name, lines)


def _index(
    loader: _Loader,
    node: yaml.Node,
    path: KeyPath,
    lines: dict[KeyPath, int],
    ancestors: set[int],
) -> Iterator[tuple[KeyPath, int, int]]:
    """Record the line of every key and item under ``node``; yield repeated keys.

    Yields ``(path, first line, repeated line)``. ``ancestors`` stops recursive aliases.
    """
    lines.setdefault(path, node.start_mark.line + 1)
    if id(node) in ancestors:
        return
    ancestors = ancestors | {id(node)}
    if isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _index(loader, item, (*path, index), lines, ancestors)
    elif isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _MERGE_TAG:
                continue  # complex and merge keys: PyYAML's constructor checks them
            key = loader.construct_object(key_node)
            line = key_node.start_mark.line + 1
            if key in seen:
                yield (*path, key), seen[key], line
                continue
            seen[key] = line
            lines[(*path, key)] = line
            yield from _index(loader, value_node, (*path, key), lines, ancestors)


def _syntax_error(exc: yaml.MarkedYAMLError, source: str) -> ConfigError:
    mark = exc.problem_mark or exc.context_mark
    hint = None
    if exc.problem and "'\\t'" in exc.problem:
        hint = "use spaces instead of tabs"
    elif exc.context and exc.context_mark and mark and exc.context_mark.line != mark.line:
        hint = f"{exc.context} that starts on line {exc.context_mark.line + 1}"
    return ConfigError(
        f"invalid YAML: {exc.problem or exc.context}",
        source=source,
        line=None if mark is None else mark.line + 1,
        hint=hint,
    )


def validate(model: type[M], doc: YamlDocument, *, context: dict[str, Any] | None = None) -> M:
    """Validate ``doc.data`` into ``model``, reporting every problem with its line.

    Raises:
        ConfigError: one per problem, combined (see :meth:`ConfigError.combine`),
            sorted by line.
    """
    return validate_at(model, doc, (), context=context)


def validate_at(
    model: type[M],
    doc: YamlDocument,
    at: Sequence[str | int],
    *,
    context: dict[str, Any] | None = None,
) -> M:
    """Validate the part of ``doc`` at key path ``at``, e.g. one connection's settings.

    Locations in errors start from the top of the document. A section that is absent
    or empty (``settings:`` with nothing under it) validates as an empty mapping.

    Raises:
        ConfigError: as for :func:`validate`.
    """
    data: Any = doc.data
    for part in at:
        data = _child(data, part)
    if data is _ABSENT or data is None:
        data = {}
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        problems = _Problems(model, doc, tuple(at), data).describe(exc.errors())
        raise ConfigError.combine(problems) from None


def format_location(loc: Iterable[str | int]) -> str:
    """Render a key path as users write it: ``syncs[1].mapping``, ``fields['Lead Source']``."""
    rendered = ""
    for part in loc:
        if isinstance(part, str) and _PLAIN_KEY.fullmatch(part):
            rendered += f".{part}" if rendered else part
        elif isinstance(part, int) and not isinstance(part, bool):
            rendered += f"[{part}]"
        else:
            rendered += f"[{part!r}]"
    return rendered


class FromEnv(str):
    """Text that came from ``${NAME}`` references: messages name them, never show it.

    Values read from the environment are often secrets; an error about one (a token put
    in a field that wants a number) must not print it.
    """

    names: tuple[str, ...]

    def __new__(cls, text: str, names: tuple[str, ...]) -> FromEnv:
        made = super().__new__(cls, text)
        made.names = names
        return made


def brief(value: Any) -> str:
    """A short rendering of a value for messages: ``'ten'``, ``12``, ``a list``, ``true``."""
    if isinstance(value, FromEnv):
        return "the value of " + " and ".join(f"${{{name}}}" for name in value.names)
    if value is None or isinstance(value, bool):
        return "nothing" if value is None else "true" if value else "false"
    if isinstance(value, Mapping):
        return "a mapping" if value else "an empty mapping"
    if isinstance(value, list | tuple | set | frozenset):
        return "a list" if value else "an empty list"
    if isinstance(value, str):
        text = value if len(value) <= _BRIEF_LIMIT else value[: _BRIEF_LIMIT - 3] + "..."
        return repr(text)
    text = value.isoformat() if isinstance(value, date) else str(value)
    return text if len(text) <= _BRIEF_LIMIT else text[: _BRIEF_LIMIT - 3] + "..."


# What each pydantic type error expects, in words.
_EXPECTED = {
    **dict.fromkeys(("int_type", "int_parsing", "int_from_float"), "an integer"),
    **dict.fromkeys(("float_type", "float_parsing"), "a number"),
    **dict.fromkeys(("decimal_type", "decimal_parsing"), "a decimal number"),
    "finite_number": "a finite number",
    **dict.fromkeys(("bool_type", "bool_parsing"), "true or false"),
    **dict.fromkeys(("string_type", "bytes_type", "string_unicode"), "a string"),
    **dict.fromkeys(
        ("dict_type", "mapping_type", "model_type", "model_attributes_type", "dataclass_type"),
        "a mapping",
    ),
    **dict.fromkeys(
        ("list_type", "tuple_type", "set_type", "frozen_set_type", "iterable_type"), "a list"
    ),
    **dict.fromkeys(
        ("date_type", "date_parsing", "date_from_datetime_parsing", "date_from_datetime_inexact"),
        "a date (YYYY-MM-DD)",
    ),
    **dict.fromkeys(
        ("datetime_type", "datetime_parsing", "datetime_from_date_parsing"),
        "a date and time (ISO 8601)",
    ),
    **dict.fromkeys(("time_type", "time_parsing"), "a time (HH:MM:SS)"),
    **dict.fromkeys(("timedelta_type", "timedelta_parsing"), "a duration"),
    **dict.fromkeys(("url_type", "url_parsing", "url_syntax_violation"), "a URL"),
    **dict.fromkeys(("uuid_type", "uuid_parsing"), "a UUID"),
    "none_required": "nothing (null)",
}

# Constraint errors: the expectation is built from the constraint's value in ``ctx``.
_NUMBER_WORDS = {
    "greater_than": "greater than",
    "greater_than_equal": "at least",
    "less_than": "less than",
    "less_than_equal": "at most",
}
_BOUNDS = {
    "greater_than": ("gt", "a number greater than {}"),
    "greater_than_equal": ("ge", "a number of at least {}"),
    "less_than": ("lt", "a number less than {}"),
    "less_than_equal": ("le", "a number of at most {}"),
    "multiple_of": ("multiple_of", "a multiple of {}"),
    "string_pattern_mismatch": ("pattern", "text matching {}"),
}


_MISSING = "required key is missing"


@dataclass(frozen=True, slots=True)
class _Problem:
    path: KeyPath
    message: str = ""
    hint: str | None = None
    expected: str | None = None  # set for type errors, which merge: "expected A or B"
    found: Any = None
    near: str | None = None  # for an unknown key: the allowed key it most resembles

    @property
    def text(self) -> str:
        return self.message or f"expected {self.expected}, found {brief(self.found)}"


class _Problems:
    """Turns pydantic's error list into ConfigErrors phrased for people editing YAML."""

    def __init__(self, model: type[BaseModel], doc: YamlDocument, at: KeyPath, data: Any) -> None:
        self.model = model
        self.doc = doc
        self.at = at  # where ``data``, the validated part, sits in the document
        self.data = data

    def describe(self, errors: Sequence[ErrorDetails]) -> list[ConfigError]:
        merged: dict[KeyPath, list[_Problem]] = {}
        for problem in _misspelt_keys([self._problem(error) for error in errors]):
            merged.setdefault(problem.path, []).append(problem)
        found = [self._error((*self.at, *path), problems) for path, problems in merged.items()]
        return sorted(found, key=lambda e: e.line or 0)

    def _error(self, path: KeyPath, problems: list[_Problem]) -> ConfigError:
        if all(p.expected for p in problems):
            expected = dict.fromkeys(p.expected for p in problems)
            message = (
                f"expected {' or '.join(map(str, expected))}, found {brief(problems[0].found)}"
            )
        else:
            message = "; ".join(dict.fromkeys(p.text for p in problems))
        return ConfigError(
            message,
            source=self.doc.source,
            location=format_location(path) or None,
            line=self.doc.line(path),
            hint=next((p.hint for p in problems if p.hint), None),
        )

    def _problem(self, error: ErrorDetails) -> _Problem:
        kind = error["type"]
        path = _document_path(self.data, error["loc"], keep_last=kind == "missing")
        ctx = error.get("ctx", {})
        found = self._written(path, error.get("input"))
        if kind == "missing":
            return _Problem(path, _MISSING)
        if kind == "extra_forbidden":
            return self._unknown_key(path)
        if kind in ("value_error", "assertion_error"):
            cause = ctx.get("error")
            return _Problem(path, str(cause), hint=getattr(cause, "hint", None))
        if kind in ("literal_error", "enum"):
            return self._choice(path, found, ctx)
        expected = _expectation(kind, ctx, found)
        if expected is None:
            return _Problem(path, _reword(error["msg"]))
        return _Problem(path, expected=expected, found=found)

    def _written(self, path: KeyPath, parsed: Any) -> Any:
        """What the document holds at ``path`` (``'2s'``), else what the model was given."""
        node = self.data
        for part in path:
            node = _child(node, part)
            if node is _ABSENT:
                return parsed
        return node if isinstance(node, str | int | float | bool) else parsed

    def _choice(self, path: KeyPath, found: Any, ctx: dict[str, Any]) -> _Problem:
        allowed = [v for t in _annotations_at(self.model, path) for v in _choices(t)]
        if not allowed:
            return _Problem(path, expected=str(ctx.get("expected")), found=found)
        expected = (
            repr(allowed[0]) if len(allowed) == 1 else "one of " + ", ".join(map(repr, allowed))
        )
        near = closest_name(found, map(str, allowed)) if isinstance(found, str) else None
        hint = f"did you mean {near!r}?" if near else None
        return _Problem(path, hint=hint, expected=expected, found=found)

    def _unknown_key(self, path: KeyPath) -> _Problem:
        models = [t for t in _annotations_at(self.model, path[:-1]) if _is_model(t)]
        if not models:
            return _Problem(path, "unknown key")
        allowed = list(dict.fromkeys(k for m in models for k in _model_keys(m)))
        near = closest_name(str(path[-1]), allowed)
        listing = f"allowed keys: {', '.join(allowed)}"
        hint = f"did you mean {near!r}? {listing}" if near else listing
        return _Problem(path, "unknown key", hint=hint, near=near)


def _misspelt_keys(problems: list[_Problem]) -> list[_Problem]:
    """One problem, not two, for a required key written with a typo.

    ``targt:`` makes pydantic report ``target`` missing and ``targt`` unknown; the
    unknown key's entry says both, at the line the user has to edit.
    """
    missing = {p.path for p in problems if p.message == _MISSING}
    typos = {(*p.path[:-1], p.near) for p in problems if p.near is not None} & missing
    return [_with_missing(p, typos) for p in problems if p.path not in typos]


def _with_missing(problem: _Problem, typos: set[KeyPath]) -> _Problem:
    if problem.near is None or (*problem.path[:-1], problem.near) not in typos:
        return problem
    return replace(problem, message=f"unknown key, and {problem.near!r} is missing")


def _document_path(data: Any, loc: Sequence[str | int], *, keep_last: bool) -> KeyPath:
    """``loc`` without pydantic's own parts (union members, validator names).

    A part is kept when it leads somewhere in the data; the last part of a "missing"
    error names the absent key, so it is kept too.
    """
    path: list[str | int] = []
    node = data
    for index, part in enumerate(loc):
        child = _child(node, part)
        if child is not _ABSENT:
            path.append(part)
            node = child
        elif keep_last and index == len(loc) - 1:
            path.append(part)
    return tuple(path)


def _child(node: Any, part: str | int) -> Any:
    if isinstance(node, dict) and part in node:
        return node[part]
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return _ABSENT


def _expectation(kind: str, ctx: dict[str, Any], found: Any) -> str | None:
    if kind in _EXPECTED:
        return _EXPECTED[kind]
    if kind in _BOUNDS:
        key, template = _BOUNDS[kind]
        bound = ctx[key]
        if kind in _NUMBER_WORDS and not isinstance(bound, int | float):
            return f"{_NUMBER_WORDS[kind]} {bound}"  # e.g. a duration: "at least 10 seconds"
        return template.format(bound)
    if kind in ("too_short", "string_too_short", "too_long", "string_too_long"):
        return _length_expectation(kind, ctx, found)
    return None


def _length_expectation(kind: str, ctx: dict[str, Any], found: Any) -> str:
    if kind.startswith("string"):
        unit, container = "character", "string"
    elif isinstance(found, Mapping):
        unit, container = "entry", "mapping"
    else:
        unit, container = "item", "list"
    if kind.endswith("too_short"):
        limit = ctx["min_length"]
        return f"a non-empty {container}" if limit == 1 else f"at least {limit} {_plural(unit)}"
    limit = ctx["max_length"]
    return f"at most {limit} {unit if limit == 1 else _plural(unit)}"


def _plural(unit: str) -> str:
    return unit[:-1] + "ies" if unit.endswith("y") else unit + "s"


def _reword(message: str) -> str:
    prefix = "Input should be "
    return "expected " + message[len(prefix) :] if message.startswith(prefix) else message


def _annotations_at(model: type[BaseModel], path: KeyPath) -> list[Any]:
    """The annotations that could describe the value at ``path`` under ``model``."""
    current: list[Any] = [model]
    for part in path:
        current = [nxt for ann in current for t in _members(ann) for nxt in _step(t, part)]
    return [t for ann in current for t in _members(ann)]


def _members(annotation: Any) -> Iterator[Any]:
    """``annotation`` without Annotated/Optional wrappers, one member per union arm."""
    origin = get_origin(annotation)
    if origin is Annotated:
        yield from _members(get_args(annotation)[0])
    elif origin is Union or origin is types.UnionType:
        for arm in get_args(annotation):
            yield from _members(arm)
    elif annotation is not type(None):
        yield annotation


def _step(annotation: Any, part: str | int) -> list[Any]:
    if _is_model(annotation):
        return [
            info.annotation
            for name, info in annotation.model_fields.items()
            if part in (name, info.alias)
        ]
    origin, args = get_origin(annotation), get_args(annotation)
    if origin in (dict, Mapping) and len(args) == 2:
        return [args[1]]
    if origin in (list, tuple, set, frozenset, Sequence) and args and isinstance(part, int):
        return [args[0]]
    return []


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _model_keys(model: type[BaseModel]) -> Iterator[str]:
    for name, info in model.model_fields.items():
        yield info.alias or name


def _choices(annotation: Any) -> list[Any]:
    if get_origin(annotation) is Literal:
        return list(get_args(annotation))
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return [member.value for member in annotation]
    return []
