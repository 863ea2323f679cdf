"""HubSpot's rate limits: rolling windows per app, and a daily budget per account.

From the contract (§1.6): private apps get a rolling ten-second window per app
(``TEN_SECONDLY_ROLLING``) and a daily budget per account (``DAILY``, reset at midnight);
search has its own limit per token (``SECONDLY``) and sends no rate-limit headers. Other
responses carry ``X-HubSpot-RateLimit-*`` headers; the daily ones only for private apps.
Times are the emulator's clock, in whole microseconds so that a fake clock's sums of
floats land exactly on window edges.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import date

WINDOW_US = 10_000_000
SECOND_US = 1_000_000


@dataclass(frozen=True, slots=True)
class Limits:
    """The limits the emulator enforces (defaults: a Free or Starter private app).

    Attributes:
        ten_secondly: requests per rolling ten seconds, per app.
        search_secondly: searches per rolling second, per token.
        daily: requests per day, per account.
    """

    ten_secondly: int = 100
    search_secondly: int = 4
    daily: int = 250_000


class Window:
    """Requests admitted in the last ``length_us`` microseconds."""

    def __init__(self, size: int, length_us: int) -> None:
        self.size = size
        self.length_us = length_us
        self._times: deque[int] = deque()

    def admit(self, now_us: int) -> bool:
        """Count a request at ``now_us`` if the window has room; False when it is full."""
        while self._times and self._times[0] <= now_us - self.length_us:
            self._times.popleft()
        if len(self._times) >= self.size:
            return False
        self._times.append(now_us)
        return True

    def remaining(self) -> int:
        return max(0, self.size - len(self._times))


class Budget:
    """Requests left today; the day rolls over at midnight of the emulator's clock."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.used = 0
        self._day: date | None = None

    def has_room(self, today: date) -> bool:
        if today != self._day:
            self._day, self.used = today, 0
        return self.used < self.size

    @property
    def remaining(self) -> int:
        return max(0, self.size - self.used)


class RateLimits:
    """The windows of one portal: per app (private app or OAuth client) and per token."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.daily = Budget(limits.daily)
        self._bursts: dict[str, Window] = {}
        self._searches: dict[str, Window] = {}

    def admit(self, app: str, token: str, *, search: bool, now_us: int, today: date) -> str | None:
        """None if the request may proceed, else the ``policyName`` that refuses it."""
        if search:
            window = self._searches.setdefault(
                token, Window(self.limits.search_secondly, SECOND_US)
            )
            policy = "SECONDLY"
        else:
            window = self.burst(app)
            policy = "TEN_SECONDLY_ROLLING"
        if not self.daily.has_room(today):
            return "DAILY"
        if not window.admit(now_us):
            return policy
        self.daily.used += 1
        return None

    def burst(self, app: str) -> Window:
        return self._bursts.setdefault(app, Window(self.limits.ten_secondly, WINDOW_US))

    def headers(self, app: str, *, private: bool) -> dict[str, str]:
        """The ``X-HubSpot-RateLimit-*`` headers of a non-search response."""
        burst = self.burst(app)
        headers = {
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(WINDOW_US // 1000),
            "X-HubSpot-RateLimit-Max": str(burst.size),
            "X-HubSpot-RateLimit-Remaining": str(burst.remaining()),
        }
        if private:
            headers["X-HubSpot-RateLimit-Daily"] = str(self.daily.size)
            headers["X-HubSpot-RateLimit-Daily-Remaining"] = str(self.daily.remaining)
        return headers
