"""Schedules: crontab expressions meaning what they mean in crontab (UTC), or intervals."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from crmsync.schedules import Schedule, parse_schedule

SUNDAY = datetime(2026, 3, 1, tzinfo=UTC)  # a Sunday, at midnight


def fire_times(text: str, start: datetime, count: int) -> list[datetime]:
    """The next ``count`` times the schedule fires after ``start``."""
    trigger = parse_schedule(text).trigger()
    times: list[datetime] = []
    previous, now = None, start
    for _ in range(count):
        fire = trigger.get_next_fire_time(previous, now)
        assert fire is not None
        times.append(fire)
        previous, now = fire, fire + timedelta(microseconds=1)
    return times


def weekdays(text: str) -> list[str]:
    """The days of one week, from Sunday, on which a daily-at-most schedule fires."""
    end = SUNDAY + timedelta(days=7)
    return [t.strftime("%a") for t in fire_times(text, SUNDAY, 7) if t < end]


def test_an_interval_is_every_and_a_duration() -> None:
    schedule = parse_schedule(" every 1h30m ")

    assert schedule == Schedule("every 1h30m", timedelta(minutes=90))
    start = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    first, second = fire_times("every 1h30m", start, 2)
    assert second - first == timedelta(minutes=90)


def test_a_cron_expression_fires_in_utc() -> None:
    start = datetime(2026, 3, 1, 10, 7, tzinfo=UTC)

    assert fire_times("*/15 * * * *", start, 3) == [
        datetime(2026, 3, 1, 10, 15, tzinfo=UTC),
        datetime(2026, 3, 1, 10, 30, tzinfo=UTC),
        datetime(2026, 3, 1, 10, 45, tzinfo=UTC),
    ]
    assert parse_schedule("*/15 * * * *") == Schedule("*/15 * * * *")


@pytest.mark.parametrize(
    ("day_of_week", "days"),
    [
        ("1", ["Mon"]),
        ("0", ["Sun"]),
        ("7", ["Sun"]),
        ("1-5", ["Mon", "Tue", "Wed", "Thu", "Fri"]),
        ("5-7", ["Sun", "Fri", "Sat"]),
        ("*/2", ["Sun", "Tue", "Thu", "Sat"]),
        ("1-5/2", ["Mon", "Wed", "Fri"]),
        ("sat,sun", ["Sun", "Sat"]),
        ("mon-wed,6", ["Mon", "Tue", "Wed", "Sat"]),
        ("*", ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]),
    ],
)
def test_days_of_the_week_are_numbered_as_in_crontab(day_of_week: str, days: list[str]) -> None:
    # APScheduler 3 alone would read 0 as Monday: crontab reads it as Sunday.
    assert weekdays(f"0 9 * * {day_of_week}") == days


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("every day", "an interval is 'every' and a duration above zero: 30s, 15m, 2d"),
        ("every 0s", "an interval is 'every' and a duration above zero: 30s, 15m, 2d"),
        (
            "daily",
            "a cron expression has 5 fields (minute hour day-of-month month day-of-week); found 1",
        ),
        ("61 * * * *", "minute '61': the last value (61) is higher than the maximum value (59)"),
        ("0 24 * * *", "hour '24': the last value (24) is higher than the maximum value (23)"),
        ("0 0 0 * *", "day-of-month '0': the first value (0) is lower than the minimum value (1)"),
        ("0 0 * 13 *", "month '13': the last value (13) is higher than the maximum value (12)"),
        ("*/0 * * * *", "minute '*/0': Increment must be higher than 0"),
        ("0 9 * * 8", "day-of-week '8': expected 0-7 or sun-sat (0 and 7 are Sunday)"),
        ("0 9 * * 5-1", "day-of-week '5-1': the range is empty"),
        ("0 9 * * 1#2", "day-of-week '1#2': expected a day, a range or a step"),
    ],
)
def test_a_bad_schedule_is_refused_saying_what_is_wrong(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(problem)}$"):
        parse_schedule(text)
