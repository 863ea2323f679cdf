"""The closed registry of named transforms a field map may apply.

Each transform is a pure function from one value to another. Those that take an
argument (``{split_name: first}``) declare its type; the argument is validated when the
map loads and bound once, so per-record work is a plain function call. Transforms are
not called for missing values (None): ``default`` and ``required`` deal with those.
A value a transform cannot handle raises :class:`~crmsync.mapping.coerce.ValueRejected`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal

import phonenumbers
from annotated_types import Len
from pydantic import AfterValidator, PositiveInt, StrictInt, StrictStr, TypeAdapter, ValidationError

from crmsync.mapping.coerce import (
    ValueRejected,
    as_text,
    is_empty,
    parse_temporal,
    to_decimal,
    to_integer,
)
from crmsync.sdk.schema import FieldType, closest_name
from crmsync.yamlfile import InvalidValue, brief

__all__ = [
    "TRANSFORMS",
    "Step",
    "Transform",
    "TransformCall",
    "parse_call",
    "transforms_json_schema",
]

Step = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class Transform:
    """A named transform.

    Attributes:
        name: what maps write.
        build: returns the step for a validated argument (None for ``takes=None``).
        summary: one line, shown by editors (the JSON Schema's descriptions).
        produces: the type of what it returns, when fixed (for schema checks).
        takes: the argument in words, or None when it takes none.
        argument: validates the argument.
        optional: the argument may be left out (``e164`` alone).
    """

    name: str
    build: Callable[[Any], Step]
    summary: str
    produces: FieldType | None = None
    takes: str | None = None
    argument: TypeAdapter[Any] | None = None
    optional: bool = False


@dataclass(frozen=True, slots=True)
class TransformCall:
    """One entry of a ``transforms:`` list, validated: a known name and a valid argument."""

    name: str
    arg: Any = None

    def build(self) -> Step:
        return TRANSFORMS[self.name].build(self.arg)

    def to_yaml(self) -> str | dict[str, Any]:
        return self.name if self.arg is None else {self.name: self.arg}


TRANSFORMS: dict[str, Transform] = {}


def _plain(name: str, summary: str, produces: FieldType | None) -> Callable[[Step], Step]:
    def register(step: Step) -> Step:
        TRANSFORMS[name] = Transform(name, lambda _arg: step, summary, produces)
        return step

    return register


def _taking(
    name: str,
    summary: str,
    produces: FieldType | None,
    *,
    takes: str,
    argument: Any,
    optional: bool = False,
) -> Callable[[Callable[[Any], Step]], Callable[[Any], Step]]:
    def register(build: Callable[[Any], Step]) -> Callable[[Any], Step]:
        adapter: TypeAdapter[Any] = TypeAdapter(argument)
        TRANSFORMS[name] = Transform(name, build, summary, produces, takes, adapter, optional)
        return build

    return register


def parse_call(raw: Any) -> TransformCall:
    """Validate one ``transforms:`` entry: ``name`` or ``{name: argument}``.

    Raises:
        InvalidValue: unknown name (with the closest one), or a missing or wrong argument.
    """
    if isinstance(raw, str):
        name, arg, given = raw, None, False
    elif isinstance(raw, dict) and len(raw) == 1:
        ((name, arg),) = raw.items()
        given = True
    else:
        raise InvalidValue(
            f"expected a transform name or {{name: argument}}, found {brief(raw)}",
            hint="write `- lower` or `- {split_name: first}`; one transform per list item",
        )
    transform = TRANSFORMS.get(str(name))
    if transform is None:
        near = closest_name(str(name), TRANSFORMS)
        raise InvalidValue(
            f"unknown transform {name!r}",
            hint=(f"did you mean {near!r}? " if near else "")
            + f"transforms: {', '.join(sorted(TRANSFORMS))}",
        )
    return TransformCall(transform.name, _argument(transform, arg, given=given))


def _argument(transform: Transform, arg: Any, *, given: bool) -> Any:
    if transform.argument is None:
        if given:
            raise InvalidValue(
                f"transform {transform.name!r} takes no argument",
                hint=f"write it as a plain list item: - {transform.name}",
            )
        return None
    if not given:
        if transform.optional:
            return None
        raise InvalidValue(
            f"transform {transform.name!r} needs an argument: {transform.takes}",
            hint=f"write it as {{{transform.name}: ...}}",
        )
    try:
        return transform.argument.validate_python(arg)
    except ValidationError:
        raise InvalidValue(
            f"transform {transform.name!r} takes {transform.takes}, found {brief(arg)}"
        ) from None


def transforms_json_schema() -> dict[str, Any]:
    """JSON Schema of one ``transforms:`` entry, for editors."""
    bare = [
        {"const": name, "description": t.summary}
        for name, t in sorted(TRANSFORMS.items())
        if t.argument is None or t.optional
    ]
    with_arg = {
        name: {**t.argument.json_schema(), "description": f"{t.summary}; takes {t.takes}"}
        for name, t in sorted(TRANSFORMS.items())
        if t.argument is not None
    }
    keyed = {
        "type": "object",
        "properties": with_arg,
        "additionalProperties": False,
        "minProperties": 1,
        "maxProperties": 1,
    }
    return {"anyOf": [*bare, keyed]}


# --- text ----------------------------------------------------------------------------

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")  # a word, with "O'Neil" or "it's" kept whole
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+")


@_plain("lower", "lower-cases text", FieldType.STRING)
def _lower(value: Any) -> str:
    return as_text(value).lower()


@_plain("upper", "upper-cases text", FieldType.STRING)
def _upper(value: Any) -> str:
    return as_text(value).upper()


@_plain("strip", "removes leading and trailing whitespace", FieldType.STRING)
def _strip(value: Any) -> str:
    return as_text(value).strip()


@_plain("title", "capitalises each word: 'ada LOVELACE' -> 'Ada Lovelace'", FieldType.STRING)
def _title(value: Any) -> str:
    return _WORD.sub(lambda word: word[0].capitalize(), as_text(value))


@_plain("email", "trims and lower-cases an email address; rejects non-addresses", FieldType.STRING)
def _email(value: Any) -> str | None:
    text = as_text(value).strip().lower()
    if not text:
        return None
    if not _EMAIL.fullmatch(text):
        raise ValueRejected(f"{brief(text)} is not an email address")
    return text


def _region(code: str) -> str:
    region = code.upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(code)
    return region


@_taking(
    "e164",
    "formats a phone number as +CCNNN; the argument is the region for numbers without +",
    FieldType.STRING,
    takes="a region code such as 'US' or 'FR'",
    argument=Annotated[str, AfterValidator(_region)],
    optional=True,
)
def _e164(region: str | None) -> Step:
    def step(value: Any) -> str | None:
        text = as_text(value).strip()
        if not text:
            return None
        try:
            number = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            if region is None and not text.startswith("+"):
                raise ValueRejected(
                    f"{brief(text)} has no country code (+...) and there is no default region"
                ) from None
            raise ValueRejected(f"{brief(text)} is not a phone number") from None
        if not phonenumbers.is_valid_number(number):
            raise ValueRejected(f"{brief(text)} is not a valid phone number")
        return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))

    return step


@_taking(
    "split_name",
    "takes the first or last part of a full name ('Doe, Jane' is understood too)",
    FieldType.STRING,
    takes="'first' or 'last'",
    argument=Literal["first", "last"],
)
def _split_name(part: str) -> Step:
    def step(value: Any) -> str | None:
        name = " ".join(as_text(value).split())
        if "," in name:
            last, _, first = name.partition(",")
        else:
            first, _, last = name.partition(" ")
        return (first if part == "first" else last).strip() or None

    return step


@_taking(
    "join",
    "joins a list into text with the separator (default ', '); skips empty items",
    FieldType.STRING,
    takes="a separator string",
    argument=StrictStr,
    optional=True,
)
def _join(separator: str | None) -> Step:
    between = ", " if separator is None else separator

    def step(value: Any) -> str:
        if isinstance(value, (list, tuple)):
            return between.join(as_text(item) for item in value if not is_empty(item))
        return as_text(value)

    return step


@_taking(
    "truncate",
    "keeps the first n characters",
    FieldType.STRING,
    takes="a positive integer",
    argument=PositiveInt,
)
def _truncate(length: int) -> Step:
    return lambda value: as_text(value)[:length]


@_taking("prefix", "puts text before the value", FieldType.STRING, takes="a string", argument=str)
def _prefix(text: str) -> Step:
    return lambda value: text + as_text(value)


@_taking("suffix", "puts text after the value", FieldType.STRING, takes="a string", argument=str)
def _suffix(text: str) -> Step:
    return lambda value: as_text(value) + text


# --- money ---------------------------------------------------------------------------


@_plain(
    "cents_to_amount", "whole cents to an exact Decimal amount: 1250 -> 12.50", FieldType.DECIMAL
)
def _cents_to_amount(value: Any) -> Decimal | None:
    cents = to_integer(value)
    return None if cents is None else Decimal(cents).scaleb(-2)


@_plain("amount_to_cents", "an amount to whole cents: '12.50' -> 1250", FieldType.INTEGER)
def _amount_to_cents(value: Any) -> int | None:
    amount = to_decimal(value)
    if amount is None:
        return None
    cents = amount.scaleb(2)
    if cents != cents.to_integral_value():
        raise ValueRejected(f"{brief(value)} has a fraction of a cent")
    return int(cents)


# --- dates and assignment ------------------------------------------------------------


@_taking(
    "format_date",
    "formats a date or time as text with a strftime pattern such as '%d/%m/%Y'",
    FieldType.STRING,
    takes="a strftime pattern such as '%d/%m/%Y'",
    argument=Annotated[StrictStr, Len(min_length=1)],
)
def _format_date(pattern: str) -> Step:
    def step(value: Any) -> str | None:
        moment = parse_temporal(value)
        return None if moment is None else moment.strftime(pattern)

    return step


@_taking(
    "round_robin",
    "assigns one of the values, chosen by a stable hash of the input (e.g. owners)",
    None,
    takes="a non-empty list of values",
    argument=Annotated[tuple[StrictStr | StrictInt, ...], Len(min_length=1)],
)
def _round_robin(choices: tuple[str | int, ...]) -> Step:
    def step(value: Any) -> str | int:
        digest = hashlib.sha256(as_text(value).encode()).digest()
        return choices[int.from_bytes(digest[:8], "big") % len(choices)]

    return step
