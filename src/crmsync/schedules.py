"""Sync schedules: a cron expression (``*/15 * * * *``) or an interval (``every 15m``).

Cron expressions mean what they mean in crontab, in UTC. APScheduler 3 numbers the
days of the week from Monday (0) where crontab starts at Sunday (0 or 7), so the
day-of-week field is translated into day names before APScheduler sees it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from crmsync.durations import parse_duration

FORMS = "a cron expression ('*/15 * * * *') or an interval ('every 15m')"
# APScheduler's name of each crontab field, and crontab's.
_CRON_FIELDS = {
    "minute": "minute",
    "hour": "hour",
    "day": "day-of-month",
    "month": "month",
    "day_of_week": "day-of-week",
}
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # crontab's order: 0 is Sunday
_WEEKDAY_PART = re.compile(r"(?:\*|(?P<first>\w+)(?:-(?P<last>\w+))?)(?:/(?P<step>\d+))?")


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule; ``trigger()`` builds the APScheduler trigger for it."""

    text: str
    interval: timedelta | None = None

    def trigger(self) -> BaseTrigger:
        """The APScheduler trigger, with the same fire times in every process.

        Cron fire times are absolute. APScheduler counts an interval from when its trigger
        is built, so two schedulers started a second apart would fire a second apart:
        intervals are counted from the Unix epoch instead.
        """
        if self.interval is not None:
            seconds = self.interval.total_seconds()
            return IntervalTrigger(seconds=seconds, start_date=EPOCH, timezone=UTC)
        return _cron_trigger(self.text)


def parse_schedule(text: str) -> Schedule:
    """Validate and parse a schedule, one of the :data:`FORMS`.

    Raises:
        ValueError: saying what is wrong with it, e.g. which cron field is out of range.
    """
    value = text.strip()
    if value.startswith("every "):
        try:
            interval = parse_duration(value.removeprefix("every "))
        except ValueError:
            interval = None
        if interval is None or interval <= timedelta(0):
            raise ValueError("an interval is 'every' and a duration above zero: 30s, 15m, 2d")
        return Schedule(value, interval)
    _cron_trigger(value)
    return Schedule(value)


def _cron_trigger(text: str) -> CronTrigger:
    """The trigger of a crontab expression; ValueError names the field that is wrong."""
    values = text.split()
    if len(values) != len(_CRON_FIELDS):
        form = " ".join(_CRON_FIELDS.values())
        raise ValueError(f"a cron expression has 5 fields ({form}); found {len(values)}")
    fields = dict(zip(_CRON_FIELDS, values, strict=True))
    fields["day_of_week"] = _weekday_names(fields["day_of_week"])
    for name, value in fields.items():
        try:
            CronTrigger(**{name: value}, timezone=UTC)
        except ValueError as exc:
            # APScheduler's reasons read "Error validating expression '61': the last ...".
            reason = str(exc).rpartition(": ")[2]
            raise ValueError(f"{_CRON_FIELDS[name]} {value!r}: {reason}") from None
    return CronTrigger(**fields, timezone=UTC)


def _weekday_names(field: str) -> str:
    """A crontab day-of-week field (0 or 7 is Sunday) as the day names it covers."""
    days: set[int] = set()
    for part in field.lower().split(","):
        match = _WEEKDAY_PART.fullmatch(part)
        if match is None:
            raise ValueError(f"day-of-week {part!r}: expected a day, a range or a step")
        if match["first"] is None:  # '*' or '*/step'
            first, last = 0, 6
        else:
            first = _weekday(match["first"])
            last = _weekday(match["last"]) if match["last"] else 6 if match["step"] else first
        step = int(match["step"] or 1)
        if step < 1 or last < first:
            raise ValueError(f"day-of-week {part!r}: the range is empty")
        days.update(day % 7 for day in range(first, last + 1, step))
    return ",".join(_WEEKDAYS[day] for day in sorted(days))


def _weekday(token: str) -> int:
    if token.isdigit() and int(token) <= 7:
        return int(token)
    if token in _WEEKDAYS:
        return _WEEKDAYS.index(token)
    raise ValueError(f"day-of-week {token!r}: expected 0-7 or sun-sat (0 and 7 are Sunday)")
