"""The SDK's value types: cursor order and windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from crmsync.sdk import Cursor, ReadRequest, Record

T = datetime(2026, 1, 1, tzinfo=UTC)


def test_cursors_order_by_time_then_id_with_numeric_ids_as_numbers() -> None:
    ordered = [
        Cursor(T),
        Cursor(T, "7"),
        Cursor(T, "9999"),
        Cursor(T, "10000"),
        Cursor(T, "abc"),
        Cursor(T + timedelta(seconds=1)),
    ]
    assert sorted([ordered[i] for i in (3, 0, 5, 1, 4, 2)]) == ordered
    assert Cursor(T, "10000") > Cursor(T, "9999")
    assert Cursor(T, "007") != Cursor(T, "7")
    assert Cursor(T, "b") >= Cursor(T, "a")


def test_a_window_keeps_what_lies_after_since_and_up_to_until() -> None:
    request = ReadRequest(since=Cursor(T, "9999"), until=T + timedelta(minutes=1))

    assert request.wants(Record("10000", {}, T))  # after 9999 as a number, not as text
    assert not request.wants(Record("9999", {}, T))
    assert request.wants(Record("1", {}, T + timedelta(minutes=1)))
    assert not request.wants(Record("1", {}, T + timedelta(minutes=2)))
    assert request.wants(Record("undated", {}))  # cannot be placed, so never dropped
