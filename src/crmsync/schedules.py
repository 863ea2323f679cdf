"""Sync schedules: a cron expression (``*/15 * * * *``) or an interval (``every 15m``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, timedelta

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from crmsync.durations import parse_duration


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule; ``trigger()`` builds the APScheduler trigger for it."""

    text: str
    interval: timedelta | None = None

    def trigger(self) -> BaseTrigger:
        if self.interval is not None:
            return IntervalTrigger(seconds=self.interval.total_seconds(), timezone=UTC)
        return CronTrigger.from_crontab(self.text, timezone=UTC)


def parse_schedule(text: str) -> Schedule:
    """Validate and parse a schedule.

    Raises:
        ValueError: naming the two accepted forms.
    """
    value = text.strip()
    if value.startswith("every "):
        interval = parse_duration(value.removeprefix("every "))
        if interval <= timedelta(0):
            raise ValueError(f"an interval must be positive, found {text!r}")
        return Schedule(value, interval)
    try:
        CronTrigger.from_crontab(value, timezone=UTC)
    except ValueError as exc:
        raise ValueError(
            f"expected a cron expression ('*/15 * * * *') or 'every 15m', found {text!r} ({exc})"
        ) from exc
    return Schedule(value)
