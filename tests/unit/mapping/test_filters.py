"""Filters: each operator, the combinators, and values that cannot be compared."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from crmsync.mapping import Mapper

from .helpers import mapper


def accepting(condition: str) -> Mapper:
    return mapper("email: email", extra=f"filter: {condition}\n")


def accepts(condition: str, value: Any) -> bool:
    return accepting(condition).accepts({"email": "a@b.co", "value": value})


@pytest.mark.parametrize(
    ("condition", "value", "expected"),
    [
        ("{field: value, equals: active}", "active", True),
        ("{field: value, equals: active}", "Active", False),
        ("{field: value, equals: 8}", 8.0, True),
        ("{field: value, equals: 8}", "8", True),
        ("{field: value, equals: '08'}", 8, False),
        ("{field: value, equals: true}", True, True),
        ("{field: value, equals: true}", "true", True),
        ("{field: value, equals: null}", None, True),
        ("{field: value, equals: active}", ["active"], False),
        ("{field: value, not_equals: disabled}", "active", True),
        ("{field: value, not_equals: disabled}", "disabled", False),
        ("{field: value, not_equals: disabled}", None, True),
        ("{field: value, in: [active, trialing]}", "trialing", True),
        ("{field: value, in: [active, trialing]}", "paused", False),
        ("{field: value, in: [1, 2]}", "2", True),
        ("{field: value, not_in: [spam, fraud]}", "ok", True),
        ("{field: value, not_in: [spam, fraud]}", "fraud", False),
        ("{field: value, exists: true}", "x", True),
        ("{field: value, exists: true}", "  ", False),
        ("{field: value, exists: true}", [], False),
        ("{field: value, exists: true}", None, False),
        ("{field: value, exists: false}", None, True),
        ("{field: value, exists: false}", "x", False),
        ("{field: value, exists: true}", 0, True),
        ("{field: value, contains: vip}", ["gold", "vip"], True),
        ("{field: value, contains: vip}", ["gold"], False),
        ("{field: value, contains: 3}", [1, 3.0], True),
        ("{field: value, contains: vip}", "vip-partner", True),
        ("{field: value, contains: vip}", "partner", False),
        ("{field: value, contains: vip}", 7, False),
        ("{field: value, gt: 8}", 9, True),
        ("{field: value, gt: 8}", 8, False),
        ("{field: value, gte: 8}", 8, True),
        ("{field: value, gte: 8}", " 8.5 ", True),
        ("{field: value, lt: 8}", 7.99, True),
        ("{field: value, lte: 8}", "8", True),
        ("{field: value, lte: 8}", 8.01, False),
        ("{field: value, gte: 8}", "high", False),
        ("{field: value, gte: 8}", None, False),
        ("{field: value, gte: 8}", True, False),
        ("{field: value, gte: 2024-01-01}", "2024-03-01T00:00:00Z", True),
        ("{field: value, gte: 2024-01-01}", "2023-12-31", False),
        ("{field: value, lt: '2024-01-01T12:00:00+00:00'}", "2024-01-01T11:59:59Z", True),
        ("{field: value, lt: 2024-01-01}", date(2023, 6, 1), True),
        ("{field: value, gt: 2024-01-01}", 1_800_000_000, True),
        ("{field: value, gt: 2024-01-01}", "soon", False),
    ],
)
def test_operator(condition: str, value: Any, expected: bool) -> None:
    assert accepts(condition, value) is expected


def test_conditions_read_nested_paths() -> None:
    rule = accepting("{field: customer.tags.0, equals: vip}")
    assert rule.accepts({"customer": {"tags": ["vip", "gold"]}})
    assert not rule.accepts({"customer": {"tags": []}})
    assert not rule.accepts({})


FILTER = """
  all:
    - {field: state, in: [active, trialing]}
    - {field: email, exists: true}
    - not: {field: unsubscribed, equals: true}
    - any: [{field: score, gte: 8}, {field: tags, contains: vip}]
"""


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"state": "active", "email": "a@b.co", "score": 9}, True),
        ({"state": "trialing", "email": "a@b.co", "tags": ["vip"]}, True),
        ({"state": "active", "email": "a@b.co", "score": 3}, False),
        ({"state": "active", "email": "a@b.co", "score": 9, "unsubscribed": True}, False),
        ({"state": "active", "email": "a@b.co", "score": 9, "unsubscribed": False}, True),
        ({"state": "disabled", "email": "a@b.co", "score": 9}, False),
        ({"state": "active", "email": "", "score": 9}, False),
    ],
)
def test_nested_combinators(record: dict[str, Any], expected: bool) -> None:
    assert accepting(FILTER).accepts(record) is expected


def test_not_of_an_incomparable_value_holds() -> None:
    assert accepts("{not: {field: value, gt: 5}}", "n/a")


def test_any_needs_one_all_needs_every() -> None:
    assert accepts("{any: [{field: value, equals: 1}, {field: value, equals: 2}]}", 2)
    assert not accepts("{all: [{field: value, gte: 1}, {field: value, lte: 2}]}", 3)


def test_no_filter_accepts_every_record() -> None:
    assert mapper("email: email").accepts({})
