"""Reading modified times, deleted flags and ids from the spellings files use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crmsync_connectors.files.values import (
    TIMESTAMP_EXPECTED,
    is_deleted,
    key_text,
    parse_timestamp,
)

NOON = datetime(2024, 5, 6, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-05-06T12:00:00Z", NOON),
        ("2024-05-06T12:00:00", NOON),  # naive is UTC
        ("2024-05-06 12:00:00", NOON),
        ("2024-05-06T14:00:00+02:00", NOON),
        ("2024-05-06T12:00:00.250Z", NOON + timedelta(milliseconds=250)),
        ("2024-05-06T12:00:00.123456", NOON + timedelta(microseconds=123456)),
        ("2024-05-06", NOON - timedelta(hours=12)),
        ("  2024-05-06T12:00:00Z ", NOON),
        ("1714996800", NOON),  # epoch seconds as text
        ("1714996800.5", NOON + timedelta(milliseconds=500)),
        ("1714996800000", NOON),  # epoch milliseconds as text
        (1714996800, NOON),  # JSON numbers
        (1714996800123, NOON + timedelta(milliseconds=123)),
        (1714996800.25, NOON + timedelta(milliseconds=250)),
        (0, datetime(1970, 1, 1, tzinfo=UTC)),
    ],
)
def test_parse_timestamp_accepts_iso_8601_and_epoch_numbers(
    value: object, expected: datetime
) -> None:
    parsed = parse_timestamp(value)
    assert parsed == expected
    assert parsed is not None
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize("value", [None, "", "   "])
def test_parse_timestamp_of_nothing_is_none(value: object) -> None:
    assert parse_timestamp(value) is None


@pytest.mark.parametrize("value", ["yesterday", "2024-13-01", "12:00", True, [], 1e300])
def test_parse_timestamp_rejects_what_is_not_a_time(value: object) -> None:
    with pytest.raises(ValueError, match=TIMESTAMP_EXPECTED):
        parse_timestamp(value)


@pytest.mark.parametrize(
    "value", [None, "", " ", "false", "FALSE", "f", "0", "no", "N", "off", False, 0]
)
def test_is_deleted_is_false_for_empty_and_false_spellings(value: object) -> None:
    assert is_deleted(value) is False


@pytest.mark.parametrize("value", ["true", "yes", "1", "x", "2024-05-06T12:00:00Z", True, 1])
def test_is_deleted_is_true_for_anything_else(value: object) -> None:
    assert is_deleted(value) is True


@pytest.mark.parametrize(
    ("value", "expected"),
    [("abc", "abc"), (42, "42"), ("", None), (None, None), (True, None), (1.5, None), ({}, None)],
)
def test_key_text(value: object, expected: str | None) -> None:
    assert key_text(value) == expected
