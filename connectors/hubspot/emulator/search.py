"""``POST /crm/v3/objects/{type}/search``: filters, sorts, limits and the 10,000 cap.

Semantics from the contract (§1.3): filter groups are ORed and the filters of a group
ANDed; at most 5 groups, 10 filters in a group and 25 in all; ``limit`` up to 200;
``after`` is an offset, and asking for results past the 10,000th is a 400; datetime
filter values are epoch milliseconds; archived records are never found. Sorts are
objects (``{propertyName, direction}``) as the docs show, or bare property names as
the spec types them; ties are broken by record id.

A search whose only group bounds the modified date (and, for one exact time, the
record id) is answered by bisecting the store's sorted index instead of scanning.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from crmsync_connectors.hubspot.emulator.catalog import ValueProblem, time_ms
from crmsync_connectors.hubspot.emulator.store import RECORD_ID, Obj, ObjectStore

MAX_LIMIT = 200
MAX_RESULTS = 10_000
MAX_GROUPS = 5
MAX_FILTERS_PER_GROUP = 10
MAX_FILTERS = 25
_NUMERIC_TYPES = frozenset({"number", "datetime", "date"})
_HUGE = 2**62
_RANGE = frozenset({"EQ", "GT", "GTE", "LT", "LTE", "BETWEEN"})


class SearchError(ValueError):
    """A search HubSpot answers with a 400; the text is its message."""


@dataclass(frozen=True, slots=True)
class Condition:
    """One parsed filter."""

    name: str
    operator: str
    value: Any = None
    high: Any = None
    values: tuple[Any, ...] = ()


@dataclass(frozen=True, slots=True)
class Query:
    groups: tuple[tuple[Condition, ...], ...]
    sort: str | None
    descending: bool
    text: str | None
    limit: int
    after: int


def parse(store: ObjectStore, body: Mapping[str, Any]) -> Query:
    """The search ``body`` (already checked against the SDK's request model) as a query.

    Raises:
        SearchError: limits exceeded, unknown properties, values of the wrong type.
    """
    groups = [g.get("filters") or [] for g in body.get("filterGroups") or []]
    if len(groups) > MAX_GROUPS:
        raise SearchError(f"Too many filter groups ({len(groups)}); the maximum is {MAX_GROUPS}")
    if any(len(g) > MAX_FILTERS_PER_GROUP for g in groups):
        raise SearchError(f"Too many filters in a group; the maximum is {MAX_FILTERS_PER_GROUP}")
    if sum(len(g) for g in groups) > MAX_FILTERS:
        raise SearchError(f"Too many filters; the maximum is {MAX_FILTERS}")
    limit = int(body.get("limit") or 10)
    if not 1 <= limit <= MAX_LIMIT:
        raise SearchError(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")
    after = _offset(body.get("after"))
    if after >= MAX_RESULTS:
        raise SearchError(
            f"Search results are limited to {MAX_RESULTS}: after={after} is past the last one"
        )
    sort, descending = _sort(store, body.get("sorts") or [])
    parsed = tuple(tuple(_condition(store, f) for f in g) for g in groups)
    return Query(parsed, sort, descending, body.get("query"), limit, after)


def run(
    store: ObjectStore, query: Query, hidden: Callable[[Obj], bool] | None
) -> tuple[list[Obj], int]:
    """The page of matches the query asks for, and how many match in all.

    Args:
        hidden: records the search index does not show yet (its lag), if any.
    """
    start, stop, ordered, residual = _narrowed(store, query)
    if ordered and not residual and not query.text and hidden is None:
        first = start + query.after
        window = store.order[first : min(stop, first + query.limit)]
        return [store.records[i] for _, i in window], stop - start
    tests: list[Callable[[Obj], bool]] = []
    if residual:
        groups = [_group_test(store, g) for g in residual]
        tests.append(lambda obj: any(group(obj) for group in groups))
    if query.text:
        tests.append(_text_test(store, query.text))
    candidates = (store.records[i] for _, i in store.order[start:stop])
    matches = [
        obj
        for obj in candidates
        if not (hidden and hidden(obj)) and all(test(obj) for test in tests)
    ]
    if not ordered:
        matches.sort(key=lambda o: o.id)
        if query.sort is not None:
            matches.sort(key=_sort_key(store, query.sort), reverse=query.descending)
    return matches[query.after : query.after + query.limit], len(matches)


def _narrowed(
    store: ObjectStore, query: Query
) -> tuple[int, int, bool, list[tuple[Condition, ...]]]:
    """The slice of the sorted index that may match, whether it is already in the
    requested order, and the filter groups that still need testing record by record."""
    if len(query.groups) != 1:
        return 0, len(store.order), False, list(query.groups)
    modified = store.definition.modified[0]
    group = query.groups[0]
    on_time = [c for c in group if c.name == modified and c.operator in _RANGE]
    low, high = _bounds(on_time, store, modified)
    on_id = (
        [c for c in group if c.name == RECORD_ID and c.operator in _RANGE] if low == high else []
    )
    id_low, id_high = _bounds(on_id, store, RECORD_ID)
    start = bisect.bisect_left(store.order, (low, id_low))
    stop = max(start, bisect.bisect_right(store.order, (high, id_high)))
    rest = tuple(c for c in group if c not in on_time and c not in on_id)
    by_time = query.sort in (None, modified) and not query.descending
    by_id = query.sort == RECORD_ID and not query.descending and low == high
    return start, stop, by_time or by_id, [rest] if rest else []


def _group_test(store: ObjectStore, group: Sequence[Condition]) -> Callable[[Obj], bool]:
    tests = [_test(store, c) for c in group]
    return lambda obj: all(t(obj) for t in tests)


def _bounds(conditions: Sequence[Condition], store: ObjectStore, name: str) -> tuple[int, int]:
    """The inclusive integer range that ``conditions`` on ``name`` allow."""
    low, high = -_HUGE, _HUGE
    for c in conditions:
        value = _as_int(store, name, c.value) if c.value is not None else None
        if c.operator == "EQ" and value is not None:
            low, high = max(low, value), min(high, value)
        elif c.operator == "GT" and value is not None:
            low = max(low, value + 1)
        elif c.operator == "GTE" and value is not None:
            low = max(low, value)
        elif c.operator == "LT" and value is not None:
            high = min(high, value - 1)
        elif c.operator == "LTE" and value is not None:
            high = min(high, value)
        elif c.operator == "BETWEEN" and value is not None and c.high is not None:
            low, high = max(low, value), min(high, _as_int(store, name, c.high))
    return low, high


def _as_int(store: ObjectStore, name: str, value: Any) -> int:
    number = _comparable(store, name, value)
    return int(number) if isinstance(number, Decimal) else 0


def _condition(store: ObjectStore, data: Mapping[str, Any]) -> Condition:
    name = str(data["propertyName"])
    if name not in store.definition.properties:
        raise SearchError(f"There was a problem with the request: property {name} does not exist")
    operator = str(data["operator"])
    values = tuple(data.get("values") or ())
    condition = Condition(name, operator, data.get("value"), data.get("highValue"), values)
    for value in (condition.value, condition.high, *values):
        if value is not None:
            _comparable(store, name, value)
    return condition


def _comparable(store: ObjectStore, name: str, value: Any) -> Decimal | str:
    """A filter or property value as search compares it: numbers and times as numbers
    (times in epoch ms), text without regard to case."""
    prop = store.definition.properties[name]
    text = str(value).lower() if isinstance(value, bool) else str(value)
    if prop.type not in _NUMERIC_TYPES:
        return text.casefold()
    try:
        if prop.type == "number" or text.lstrip("-").isdigit():
            return Decimal(text)
        return Decimal(time_ms(text, name))
    except (InvalidOperation, ValueProblem):
        raise SearchError(f"{value!r} is not a valid value for {name}") from None


def _test(store: ObjectStore, c: Condition) -> Callable[[Obj], bool]:
    def held(obj: Obj) -> Decimal | str | None:
        value = obj.properties.get(c.name)
        return None if value is None else _comparable(store, c.name, value)

    def compare(obj: Obj) -> bool:
        have = held(obj)
        if c.operator == "HAS_PROPERTY":
            return have is not None
        if c.operator == "NOT_HAS_PROPERTY":
            return have is None
        if c.operator in ("NEQ", "NOT_IN", "NOT_CONTAINS_TOKEN"):
            return have is None or not _positive(c, have, store)
        return have is not None and _positive(c, have, store)

    return compare


def _positive(c: Condition, have: Decimal | str, store: ObjectStore) -> bool:
    def want(value: Any) -> Decimal | str:
        return _comparable(store, c.name, value)

    operator = c.operator.removeprefix("NOT_").replace("NEQ", "EQ")
    if operator in ("IN",):
        return have in {want(v) for v in c.values}
    if operator == "CONTAINS_TOKEN":
        token = str(want(c.value)).strip("*")
        return isinstance(have, str) and token in have
    if operator == "BETWEEN":
        return _ordered(want(c.value), have) and _ordered(have, want(c.high))
    target = want(c.value)
    checks = {
        "EQ": lambda: have == target,
        "LT": lambda: _ordered(have, target) and have != target,
        "LTE": lambda: _ordered(have, target),
        "GT": lambda: _ordered(target, have) and have != target,
        "GTE": lambda: _ordered(target, have),
    }
    return checks[operator]()


def _ordered(a: Decimal | str, b: Decimal | str) -> bool:
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        return a <= b
    return str(a) <= str(b)


def _text_test(store: ObjectStore, text: str) -> Callable[[Obj], bool]:
    needle = text.casefold()
    names = store.definition.searchable
    return lambda o: any(needle in o.properties.get(n, "").casefold() for n in names)


def _sort(store: ObjectStore, sorts: Sequence[Any]) -> tuple[str | None, bool]:
    """The one sort HubSpot honours: the first, as an object or as a property name."""
    if not sorts:
        return None, False
    first = sorts[0]
    if isinstance(first, str):
        name, direction = first.removeprefix("-"), "DESCENDING" if first[:1] == "-" else "ASCENDING"
    elif isinstance(first, Mapping) and isinstance(first.get("propertyName"), str):
        name, direction = first["propertyName"], str(first.get("direction", "ASCENDING"))
    else:
        raise SearchError(f"Invalid sort: {first!r}")
    if name not in store.definition.properties:
        raise SearchError(f"Invalid sort: property {name} does not exist")
    if direction not in ("ASCENDING", "DESCENDING"):
        raise SearchError(f"Invalid sort direction: {direction}")
    return name, direction == "DESCENDING"


def _sort_key(store: ObjectStore, name: str) -> Callable[[Obj], tuple[int, Any]]:
    numeric = store.definition.properties[name].type in _NUMERIC_TYPES

    def key(obj: Obj) -> tuple[int, Any]:
        value = obj.properties.get(name)
        if value is None:
            return (1, 0 if numeric else "")
        return (0, _comparable(store, name, value))

    return key


def _offset(after: Any) -> int:
    if after in (None, ""):
        return 0
    try:
        return max(0, int(str(after)))
    except ValueError:
        raise SearchError(f"Invalid after: {after!r}") from None
