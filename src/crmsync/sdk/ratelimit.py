"""Client-side rate limiting, shared by every client that uses the same credential.

Vendors count requests per app, token or account, so a limiter is keyed by the
credential (hashed) rather than owned by one client: two syncs reading HubSpot with one
token in the same process share one budget (see :func:`shared_limiter`).
"""

from __future__ import annotations

import hashlib
import math
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

from crmsync.sdk.clock import Clock

_UNIT_SECONDS = {"d": 86_400, "h": 3_600, "m": 60, "s": 1}
_RATE_TEXT = re.compile(r"(\d+)\s*/\s*(\d+(?:\.\d+)?)?\s*([smhd])")
_RATE_PATTERN = r"^\s*\d+\s*/\s*(\d+(\.\d+)?)?\s*[smhdSMHD]\s*$"

# Refill arithmetic in floats can leave a hair below a whole token; ignore such dust.
_EPSILON = 1e-9
SPACING_SLACK = timedelta(milliseconds=100)


@dataclass(frozen=True, slots=True)
class Rate:
    """At most ``calls`` requests in any window of length ``per``.

    Written as ``"100/10s"``, ``"4/s"`` or ``"250000/d"`` in settings (units s, m, h, d).
    """

    calls: int
    per: timedelta

    def __post_init__(self) -> None:
        if self.calls < 1 or self.per <= timedelta(0):
            raise ValueError(f"a rate needs at least 1 call per positive period, got {self!r}")

    @classmethod
    def parse(cls, text: str) -> Rate:
        """Read ``"<calls>/<count><unit>"``, e.g. ``"100/10s"``; the count defaults to 1.

        Raises:
            ValueError: ``text`` is not a rate.
        """
        match = _RATE_TEXT.fullmatch(text.strip().lower())
        if match is None:
            raise ValueError(f"expected a rate like '100/10s' or '4/s', got {text!r}")
        calls, count, unit = match.groups()
        seconds = float(count or 1) * _UNIT_SECONDS[unit]
        return cls(int(calls), timedelta(seconds=seconds))

    @property
    def per_second(self) -> float:
        """The sustained rate, in calls per second."""
        return self.calls / self.per.total_seconds()

    def spaced(self, slack: timedelta = SPACING_SLACK) -> Rate:
        """This rate as one call every ``(per + slack) / calls``: no bursts.

        A limiter's bucket lets a burst of ``calls`` through and then refills at the same
        rate, so a vendor that counts calls in *rolling* windows (HubSpot) could see up
        to twice ``calls`` in one window. Evenly spaced calls never put more than
        ``calls`` in any window; the slack keeps network jitter from bunching the last
        call of one window into the next.
        """
        return Rate(1, (self.per + slack) / self.calls)

    def __str__(self) -> str:
        seconds = self.per.total_seconds()
        unit = next(u for u, size in _UNIT_SECONDS.items() if seconds % size == 0 or u == "s")
        count = seconds / _UNIT_SECONDS[unit]
        return f"{self.calls}/{'' if count == 1 else f'{count:g}'}{unit}"


def _rate_from_text(value: Any) -> Any:
    return Rate.parse(value) if isinstance(value, str) else value


RateSpec = Annotated[
    Rate,
    BeforeValidator(_rate_from_text),
    PlainSerializer(str, return_type=str),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": _RATE_PATTERN, "examples": ["100/10s", "4/s"]},
                {
                    "type": "object",
                    "properties": {
                        "calls": {"type": "integer", "minimum": 1},
                        "per": {"type": "number", "exclusiveMinimum": 0},
                    },
                    "required": ["calls", "per"],
                    "additionalProperties": False,
                },
            ]
        }
    ),
]
"""A :class:`Rate` in a settings model: accepts ``"100/10s"`` or ``{calls, per}``;
serializes back to the string form."""


class TokenBucket:
    """A bucket of ``rate.calls`` tokens refilled continuously at ``rate.per_second``.

    Callers reserve tokens and then wait off any shortfall, so concurrent callers queue in
    the order they arrived instead of racing for each refilled token. Thread-safe.
    """

    def __init__(self, rate: Rate, clock: Clock) -> None:
        self.rate = rate
        self._clock = clock
        self._tokens = float(rate.calls)
        self._stamp = clock.monotonic()
        self._lock = threading.Lock()

    def acquire(self, n: int = 1) -> None:
        """Take ``n`` tokens, waiting on the clock until the bucket can supply them."""
        delay = self.reserve(n)
        if delay > 0:
            self._clock.sleep(delay)

    def reserve(self, n: int = 1) -> float:
        """Take ``n`` tokens now, owing any shortfall; return the seconds until it is repaid.

        Raises:
            ValueError: ``n`` exceeds the bucket's capacity, so it could never be served.
        """
        if not 0 < n <= self.rate.calls:
            raise ValueError(f"cannot take {n} tokens from a bucket of {self.rate.calls}")
        with self._lock:
            self._refill()
            self._tokens -= n
            owed = -self._tokens
        return owed / self.rate.per_second if owed > _EPSILON else 0.0

    def drain(self) -> None:
        """Empty the bucket (the vendor says the budget is spent)."""
        with self._lock:
            self._refill()
            self._tokens = min(self._tokens, 0.0)

    def _refill(self) -> None:
        now = self._clock.monotonic()
        elapsed = now - self._stamp
        self._tokens = min(float(self.rate.calls), self._tokens + elapsed * self.rate.per_second)
        self._stamp = now


class RateLimiter:
    """Admits a request only when every one of its rates allows it; honours vendor pauses.

    Args:
        rates: the published limits, e.g. ``[Rate.parse("100/10s"), Rate.parse("250000/d")]``.
        clock: where waits happen; tests pass a FakeClock.
    """

    def __init__(self, rates: Sequence[Rate], clock: Clock) -> None:
        self.rates = tuple(rates)
        self.clock = clock
        self._buckets = [TokenBucket(rate, clock) for rate in self.rates]
        self._paused_until = -math.inf
        self._lock = threading.Lock()

    def acquire(self) -> None:
        """Wait until one more request is allowed by every rate and by any pause."""
        delay = max((bucket.reserve() for bucket in self._buckets), default=0.0)
        if delay > 0:
            self.clock.sleep(delay)
        while (remaining := self._pause_remaining()) > 0:
            self.clock.sleep(remaining)

    def pause(self, seconds: float) -> None:
        """Hold every caller for ``seconds`` from now (a vendor's Retry-After).

        A pause never shortens one already in force.
        """
        with self._lock:
            self._paused_until = max(self._paused_until, self.clock.monotonic() + seconds)

    def observe(self, remaining: int | None, reset_after: float | None) -> None:
        """Feed the vendor's own budget headers (e.g. ``X-HubSpot-RateLimit-Remaining``).

        Args:
            remaining: requests left in the vendor's current window, if it said.
            reset_after: seconds until that window resets, if it said.

        When the vendor reports the budget spent, callers pause until the reset, or, when
        the reset is unknown, wait for the shortest window's bucket to refill from empty
        (per-window headers describe the short window, not a daily budget).
        """
        if remaining is None or remaining > 0:
            return
        if reset_after is not None:
            self.pause(reset_after)
            return
        if self._buckets:
            min(self._buckets, key=lambda bucket: bucket.rate.per).drain()

    def _pause_remaining(self) -> float:
        with self._lock:
            return self._paused_until - self.clock.monotonic()


# Keyed by (id(clock), credential digest, rates). The limiter holds its clock, so an id in
# a live key cannot be reused by another clock; tests with their own FakeClock get their
# own limiters.
_SHARED: dict[tuple[int, str, tuple[Rate, ...]], RateLimiter] = {}
_SHARED_LOCK = threading.Lock()


def shared_limiter(credential: str, rates: Sequence[Rate], clock: Clock) -> RateLimiter:
    """The process-wide limiter for ``credential`` at ``rates``; created on first use.

    Only a SHA-256 digest of ``credential`` is kept, never the credential itself.
    """
    digest = hashlib.sha256(credential.encode()).hexdigest()
    ordered = tuple(sorted(set(rates), key=lambda r: (r.per, r.calls)))
    key = (id(clock), digest, ordered)
    with _SHARED_LOCK:
        limiter = _SHARED.get(key)
        if limiter is None:
            limiter = _SHARED[key] = RateLimiter(ordered, clock)
        return limiter
