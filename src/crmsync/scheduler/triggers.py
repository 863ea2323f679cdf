"""When each sync fires: the same instants in every scheduler process.

Schedulers that share a state store claim each firing by its fire time, so they must
compute the same fire times. Cron fire times are absolute. APScheduler counts an interval
from the moment its trigger is built, so two processes started a second apart would fire
a second apart; counted from the Unix epoch instead, every process fires at the same
multiples of the interval.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger

from crmsync.schedules import Schedule

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def trigger(schedule: Schedule) -> BaseTrigger:
    """The APScheduler trigger of ``schedule``, anchored so that every process agrees."""
    if schedule.interval is None:
        return schedule.trigger()
    return IntervalTrigger(
        seconds=schedule.interval.total_seconds(), start_date=EPOCH, timezone=UTC
    )


def next_fire(schedule: Schedule, now: datetime) -> datetime | None:
    """The first fire time of ``schedule`` at or after ``now``; None if it never fires."""
    fire: datetime | None = trigger(schedule).get_next_fire_time(None, now)
    return None if fire is None else fire_time(fire)


def fire_time(scheduled: datetime) -> datetime:
    """``scheduled`` in UTC, to the millisecond: the firing's key in the state store.

    Interval fire times are sums of floating-point seconds; rounding them keeps a
    sub-second interval's fire times identical in every process.
    """
    milliseconds = round((scheduled - EPOCH) / timedelta(milliseconds=1))
    return EPOCH + timedelta(milliseconds=milliseconds)
