"""A clock for tests: ``sleep`` advances time instantly and is recorded."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class FakeClock:
    """Implements :class:`crmsync.sdk.clock.Clock` without real waiting.

    Attributes:
        sleeps: every ``sleep`` call's argument, in order, so tests can assert that a
            Retry-After of 7 seconds was honoured as a 7-second wait.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 1, tzinfo=UTC)
        self._monotonic = 1000.0
        self._lock = threading.Lock()
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        with self._lock:
            return self._monotonic

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
        self.advance(max(seconds, 0.0))

    def advance(self, seconds: float) -> None:
        """Move time forward without recording a sleep (time passing elsewhere)."""
        with self._lock:
            self._now += timedelta(seconds=seconds)
            self._monotonic += seconds

    @property
    def slept(self) -> float:
        """Total seconds slept."""
        with self._lock:
            return sum(self.sleeps)
