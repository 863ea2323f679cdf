"""Type coercion (``type:``), through the mapper, with the edge cases vendors produce."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from crmsync.mapping.coerce import canonical

from .helpers import map_one, mapper, rejection


def coerce(kind: str, value: Any, zone: str | None = None) -> Any:
    extra = f", timezone: {zone}" if zone else ""
    return map_one(f"{{source: value, type: {kind}{extra}}}", {"value": value})


def coercion_error(kind: str, value: Any) -> str:
    mapping = mapper(f"out: {{source: value, type: {kind}}}")
    return rejection(mapping, {"email": "a@b.co", "value": value})


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("string", "as is ", "as is "),
        ("string", 12, "12"),
        ("string", Decimal("12.50"), "12.50"),
        ("string", True, "true"),
        ("string", date(2024, 3, 1), "2024-03-01"),
        ("integer", 12, 12),
        ("integer", " 12 ", 12),
        ("integer", "-7", -7),
        ("integer", "12.0", 12),
        ("integer", "1e3", 1000),
        ("integer", 12.0, 12),
        ("integer", Decimal("40"), 40),
        ("integer", "", None),
        ("integer", "   ", None),
        ("decimal", "  12.50 ", Decimal("12.50")),
        ("decimal", 0.1, Decimal("0.1")),
        ("decimal", 3, Decimal(3)),
        ("decimal", "-.5", Decimal("-0.5")),
        ("decimal", "2.5E-3", Decimal("0.0025")),
        ("boolean", "TRUE", True),
        ("boolean", "yes", True),
        ("boolean", " No ", False),
        ("boolean", "1", True),
        ("boolean", "0", False),
        ("boolean", 1, True),
        ("boolean", 0, False),
        ("boolean", False, False),
        ("date", "2024-03-01", date(2024, 3, 1)),
        ("date", "20240301", date(2024, 3, 1)),
        ("date", "2024-03-01T10:00:00Z", date(2024, 3, 1)),
        ("date", "2024-03-01T23:30:00-05:00", date(2024, 3, 2)),
        ("date", datetime(2024, 3, 1, 23, 30), date(2024, 3, 1)),
        ("date", date(2024, 3, 1), date(2024, 3, 1)),
        ("date", 1_700_000_000, date(2023, 11, 14)),
        ("datetime", "2024-03-01T10:00:00Z", utc("2024-03-01T10:00:00")),
        ("datetime", "2024-03-01T10:00:00.123456Z", utc("2024-03-01T10:00:00.123456")),
        ("datetime", "2024-03-01T10:00:00.5+02:00", utc("2024-03-01T08:00:00.500000")),
        ("datetime", "2024-03-01 10:00:00", utc("2024-03-01T10:00:00")),
        ("datetime", "2024-03-01", utc("2024-03-01T00:00:00")),
        ("datetime", 1_700_000_000, utc("2023-11-14T22:13:20")),
        ("datetime", 1_700_000_000_123, utc("2023-11-14T22:13:20.123000")),
        ("datetime", 1_700_000_000.5, utc("2023-11-14T22:13:20.500000")),
        ("datetime", "1700000000", utc("2023-11-14T22:13:20")),
        ("datetime", 0, utc("1970-01-01T00:00:00")),
        ("datetime", datetime(2024, 3, 1, 10, tzinfo=UTC), utc("2024-03-01T10:00:00")),
    ],
)
def test_coercion(kind: str, value: Any, expected: Any) -> None:
    result = coerce(kind, value)
    assert result == expected
    assert type(result) is type(expected)


def test_decimal_keeps_the_written_scale() -> None:
    assert str(coerce("decimal", "  12.50 ")) == "12.50"


def test_naive_datetimes_take_the_field_time_zone() -> None:
    assert coerce("datetime", "2024-01-15T10:00:00", "Europe/Paris") == utc("2024-01-15T09:00:00")
    assert coerce("datetime", "2024-07-15T10:00:00", "Europe/Paris") == utc("2024-07-15T08:00:00")
    assert coerce("datetime", "2024-07-15", "America/New_York") == utc("2024-07-15T04:00:00")


def test_aware_datetimes_ignore_the_field_time_zone() -> None:
    assert coerce("datetime", "2024-01-15T10:00:00Z", "Europe/Paris") == utc("2024-01-15T10:00:00")


def test_dates_of_aware_times_are_taken_in_the_field_time_zone() -> None:
    assert coerce("date", "2024-03-02T02:00:00Z", "America/New_York") == date(2024, 3, 1)


def test_datetimes_come_out_aware_in_utc() -> None:
    result = coerce("datetime", "2024-03-01T10:00:00+05:30", "Asia/Tokyo")
    assert result.tzinfo is UTC
    assert result == utc("2024-03-01T04:30:00")


@pytest.mark.parametrize(
    ("kind", "value", "reason"),
    [
        ("string", {"a": 1}, "expected text, found a mapping"),
        ("integer", "12.5", "expected an integer, found '12.5'"),
        ("integer", "ten", "expected an integer, found 'ten'"),
        ("integer", "1_000", "expected an integer, found '1_000'"),
        ("integer", "1,000", "expected an integer, found '1,000'"),
        ("integer", True, "expected an integer, found true"),
        ("integer", 2**63, "expected an integer within 64 bits, found 9223372036854775808"),
        ("integer", "1e30", "expected an integer within 64 bits, found '1e30'"),
        ("integer", "Infinity", "expected an integer, found 'Infinity'"),
        ("decimal", "ten", "expected a decimal number, found 'ten'"),
        ("decimal", "NaN", "expected a decimal number, found 'NaN'"),
        ("decimal", float("inf"), "expected a finite number, found inf"),
        ("decimal", False, "expected a decimal number, found false"),
        ("boolean", "maybe", "expected true or false, found 'maybe'"),
        ("boolean", 2, "expected true or false, found 2"),
        ("date", "01/03/2024", "expected an ISO 8601 date or time, found '01/03/2024'"),
        ("date", "2024-02-30", "expected an ISO 8601 date or time, found '2024-02-30'"),
        ("datetime", "yesterday", "expected an ISO 8601 date or time, found 'yesterday'"),
        ("datetime", True, "expected a date or time, found true"),
        ("datetime", [1], "expected a date or time, found a list"),
        ("datetime", 10**30, "epoch timestamp out of range: 1000000000000000000000000000000"),
    ],
)
def test_values_a_type_cannot_take_reject_the_record(kind: str, value: Any, reason: str) -> None:
    assert coercion_error(kind, value) == f"out: {reason}"


@pytest.mark.parametrize("kind", ["integer", "decimal", "boolean", "date", "datetime"])
def test_blank_text_is_no_value_for_non_text_types(kind: str) -> None:
    assert coerce(kind, " ") is None


def test_blank_text_stays_text_for_strings() -> None:
    assert coerce("string", "") == ""


@pytest.mark.parametrize(
    ("value", "key"),
    [
        (8, "8"),
        (8.0, "8"),
        (Decimal("8.00"), "8"),
        (Decimal("1E+2"), "100"),
        ("08", "08"),
        (True, "true"),
        (None, None),
        (date(2024, 3, 1), "2024-03-01"),
    ],
)
def test_loose_comparison_keys(value: Any, key: str | None) -> None:
    assert canonical(value) == key
