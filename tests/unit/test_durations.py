"""Durations as people write them in crmsync.yaml: ``30s``, ``5m``, ``1h30m``, ``2d``."""

from __future__ import annotations

from datetime import timedelta

import pytest

from crmsync.config import StateConfig
from crmsync.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30s", timedelta(seconds=30)),
        ("5m", timedelta(minutes=5)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        (" 1h 30m ", timedelta(hours=1, minutes=30)),
        ("2d", timedelta(days=2)),
        ("1w2d", timedelta(days=9)),
        ("250ms", timedelta(milliseconds=250)),
        ("1.5h", timedelta(minutes=90)),
        ("0s", timedelta(0)),
        ("45", timedelta(seconds=45)),
        (45, timedelta(seconds=45)),
        (0, timedelta(0)),
    ],
)
def test_parses_units_and_plain_seconds(text: str | int, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("bad", ["5 minutes", "", "-5m", "1h30", "m", "5M", "1h-30m", -5, True])
def test_refuses_anything_else_with_the_accepted_form(bad: str | int) -> None:
    with pytest.raises(ValueError, match=r"^expected a duration") as caught:
        parse_duration(bad)

    assert str(caught.value) == (
        f"expected a duration such as '30s', '5m' or '1h30m', found {bad!r}"
    )


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (timedelta(0), "0s"),
        (timedelta(seconds=59), "59s"),
        (timedelta(seconds=90), "1m30s"),
        (timedelta(hours=2), "2h"),
        (timedelta(days=1, hours=1, seconds=5), "1d1h5s"),
        (timedelta(seconds=1, milliseconds=999), "1s"),
    ],
)
def test_formats_the_shortest_text_in_whole_seconds(value: timedelta, text: str) -> None:
    assert format_duration(value) == text


def test_formatted_durations_read_back_as_the_same_duration() -> None:
    for seconds in (0, 1, 59, 61, 3599, 3600, 86399, 90061, 700000):
        value = timedelta(seconds=seconds)
        assert parse_duration(format_duration(value)) == value


def test_config_durations_are_written_back_as_text() -> None:
    state = StateConfig.model_validate({"lease": "1h30m"})

    assert state.lease == timedelta(minutes=90)
    assert state.model_dump(mode="json", by_alias=True)["lease"] == "1h30m"
