"""Compile a map's ``filter`` into a predicate on a record's fields.

Conditions never raise on a record: a value that cannot be compared (text against
``gte: 8``, a missing field) simply does not satisfy the condition, so ``not`` of such
a condition holds.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from crmsync.mapping.coerce import (
    ValueRejected,
    as_text,
    canonical,
    is_empty,
    to_datetime,
    to_decimal,
    to_ordered,
)
from crmsync.mapping.model import Condition
from crmsync.mapping.paths import compile_path

__all__ = ["Predicate", "compile_filter"]

Predicate = Callable[[Mapping[str, Any]], bool]
Test = Callable[[Any], bool]

_INCOMPARABLE = object()  # the key of a value canonical() cannot handle: equal to nothing


def compile_filter(condition: Condition | None) -> Predicate:
    """A predicate that holds for the records the condition selects (all, for None)."""
    if condition is None:
        return lambda _fields: True
    if condition.all_ is not None:
        return _every(tuple(compile_filter(c) for c in condition.all_))
    if condition.any_ is not None:
        return _some(tuple(compile_filter(c) for c in condition.any_))
    if condition.not_ is not None:
        negated = compile_filter(condition.not_)
        return lambda fields: not negated(fields)
    assert condition.field is not None  # the model admits no other shape
    get = compile_path(condition.field)
    name, operand = condition.operator
    test = _TESTS[name](operand)
    return lambda fields: test(get(fields))


def _every(members: tuple[Predicate, ...]) -> Predicate:
    def every(fields: Mapping[str, Any]) -> bool:
        # A loop, not all() over a generator: five times faster, and this runs per record.
        for test in members:  # noqa: SIM110
            if not test(fields):
                return False
        return True

    return every


def _some(members: tuple[Predicate, ...]) -> Predicate:
    def some(fields: Mapping[str, Any]) -> bool:
        for test in members:  # noqa: SIM110 (as in _every)
            if test(fields):
                return True
        return False

    return some


def _key(value: Any) -> Any:
    if type(value) is str:
        return value
    try:
        return canonical(value)
    except ValueRejected:
        return _INCOMPARABLE


def _equals(operand: Any) -> Test:
    expected = canonical(operand)
    return lambda value: _key(value) == expected


def _not_equals(operand: Any) -> Test:
    expected = canonical(operand)
    return lambda value: _key(value) != expected


def _in(operand: list[Any]) -> Test:
    allowed = frozenset(canonical(item) for item in operand)
    return lambda value: _key(value) in allowed


def _not_in(operand: list[Any]) -> Test:
    excluded = frozenset(canonical(item) for item in operand)
    return lambda value: _key(value) not in excluded


def _exists(operand: bool) -> Test:
    return lambda value: is_empty(value) is not operand


def _contains(operand: Any) -> Test:
    item_key, text = canonical(operand), as_text(operand)

    def test(value: Any) -> bool:
        if isinstance(value, str):
            return text in value
        if isinstance(value, (list, tuple, set, frozenset)):
            return any(_key(item) == item_key for item in value)
        return False

    return test


def _ordering(compare: Callable[[Any, Any], bool]) -> Callable[[Any], Test]:
    def build(operand: Any) -> Test:
        bound = to_ordered(operand)
        convert: Callable[[Any], Any] = to_decimal if isinstance(bound, Decimal) else to_datetime

        def test(value: Any) -> bool:
            try:
                converted = convert(value)
            except ValueRejected:
                return False
            return converted is not None and compare(converted, bound)

        return test

    return build


_TESTS: dict[str, Callable[[Any], Test]] = {
    "equals": _equals,
    "not_equals": _not_equals,
    "in": _in,
    "not_in": _not_in,
    "exists": _exists,
    "contains": _contains,
    "gt": _ordering(operator.gt),
    "gte": _ordering(operator.ge),
    "lt": _ordering(operator.lt),
    "lte": _ordering(operator.le),
}
