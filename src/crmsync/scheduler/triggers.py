"""When each sync fires: the same instants in every scheduler process.

Schedulers that share a state store claim each firing by its fire time, so they must
compute the same fire times: ``Schedule.trigger()`` anchors intervals to the Unix epoch,
and fire times are keyed to the millisecond.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from crmsync.schedules import EPOCH, Schedule


def next_fire(schedule: Schedule, now: datetime) -> datetime | None:
    """The first fire time of ``schedule`` at or after ``now``; None if it never fires."""
    fire: datetime | None = schedule.trigger().get_next_fire_time(None, now)
    return None if fire is None else fire_time(fire)


def fire_time(scheduled: datetime) -> datetime:
    """``scheduled`` in UTC, to the millisecond: the firing's key in the state store.

    Interval fire times are sums of floating-point seconds; rounding them keeps a
    sub-second interval's fire times identical in every process.
    """
    milliseconds = round((scheduled - EPOCH) / timedelta(milliseconds=1))
    return EPOCH + timedelta(milliseconds=milliseconds)
