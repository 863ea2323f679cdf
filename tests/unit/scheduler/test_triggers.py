"""Every scheduler process computes the same fire times, whenever it started."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crmsync.scheduler.triggers import fire_time, next_fire
from crmsync.schedules import parse_schedule

NOW = datetime(2026, 3, 4, 10, 7, 31, 250000, tzinfo=UTC)


def _fire_times(text: str, built_at: datetime, count: int = 3) -> list[datetime]:
    """The first ``count`` fire times after NOW of a trigger built at ``built_at``."""
    schedule = parse_schedule(text)
    made = schedule.trigger()
    times: list[datetime] = []
    previous = made.get_next_fire_time(None, built_at)
    while len(times) < count:
        if previous >= NOW:
            times.append(fire_time(previous))
        previous = made.get_next_fire_time(previous, NOW)
    return times


@pytest.mark.parametrize("text", ["every 15m", "every 7s", "every 1h30m", "every 250ms"])
def test_interval_fire_times_do_not_depend_on_when_the_trigger_was_built(text: str) -> None:
    early = _fire_times(text, NOW - timedelta(hours=5, seconds=13.3))
    late = _fire_times(text, NOW - timedelta(seconds=0.4))

    assert early == late
    interval = parse_schedule(text).interval
    assert interval is not None
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    assert all((t - epoch) % interval == timedelta(0) for t in early)


def test_interval_fire_times_are_multiples_of_the_interval_since_the_epoch() -> None:
    assert next_fire(parse_schedule("every 15m"), NOW) == datetime(2026, 3, 4, 10, 15, tzinfo=UTC)


def test_cron_fire_times_are_absolute_and_utc() -> None:
    schedule = parse_schedule("0 6 * * mon-fri")

    assert next_fire(schedule, NOW) == datetime(2026, 3, 5, 6, 0, tzinfo=UTC)
    friday = datetime(2026, 3, 6, 7, tzinfo=UTC)
    assert next_fire(schedule, friday) == datetime(2026, 3, 9, 6, 0, tzinfo=UTC)


def test_fire_times_are_rounded_to_the_millisecond() -> None:
    jittered = datetime(2026, 3, 4, 10, 7, 31, 249999, tzinfo=UTC)

    assert fire_time(jittered) == datetime(2026, 3, 4, 10, 7, 31, 250000, tzinfo=UTC)
    assert fire_time(jittered.astimezone()) == fire_time(jittered)
