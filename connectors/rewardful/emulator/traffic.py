"""How the emulator throttles and fails: Rewardful's rate limit, and faults tests ask for.

Rewardful allows about 45 requests per 30-second window and answers a request over the
limit with 429 and the ``RateLimit-*`` header fields of draft-polli-ratelimit-headers-02
(``RateLimit-Limit``, ``RateLimit-Remaining``, ``RateLimit-Reset`` in seconds). It
documents no ``Retry-After``. The emulator sends the fields with every answer to an
authenticated request.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field

from crmsync.sdk.clock import Clock
from crmsync.sdk.ratelimit import Rate

SERVER_ERRORS = (500, 502, 503)


class FixedWindow:
    """At most ``rate.calls`` requests per window of ``rate.per``, counted from the first.

    Not thread-safe: the app calls it under its lock.
    """

    def __init__(self, rate: Rate, clock: Clock) -> None:
        self.rate = rate
        self.clock = clock
        self._start = -math.inf
        self._used = 0

    def admit(self) -> bool:
        """Count a request; False when the window's budget is already spent."""
        now = self.clock.monotonic()
        if now >= self._start + self.rate.per.total_seconds():
            self._start, self._used = now, 0
        if self._used >= self.rate.calls:
            return False
        self._used += 1
        return True

    def headers(self) -> dict[str, str]:
        """The budget as draft-02 header fields: limit (and policy), remaining, reset."""
        window = self.rate.per.total_seconds()
        reset = max(0, math.ceil(self._start + window - self.clock.monotonic()))
        return {
            "RateLimit-Limit": f"{self.rate.calls}, {self.rate.calls};w={window:g}",
            "RateLimit-Remaining": str(max(0, self.rate.calls - self._used)),
            "RateLimit-Reset": str(reset),
        }


@dataclass(frozen=True, slots=True)
class Fault:
    """An error to answer instead of the real response.

    Attributes:
        status: the HTTP status, e.g. 429 or 503; the body is the vendor's for it.
        headers: headers to send with it.
        after_write: for a POST or PUT, apply the write first and then answer the error,
            like a response lost on its way back.
    """

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    after_write: bool = False


@dataclass(slots=True)
class Faults:
    """Random faults on a share of requests, reproducible from ``seed``.

    Attributes:
        throttled: the share of requests answered 429, as if another client of the
            account had spent the budget (``RateLimit-Reset`` of 1 to 5 seconds).
        failing: the share answered 500, 502 or 503. Half of the failed writes are applied
            before the error is returned.
    """

    throttled: float = 0.0
    failing: float = 0.0
    seed: int = 0
    _rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        if min(self.throttled, self.failing) < 0 or self.throttled + self.failing > 1:
            raise ValueError("the shares of throttled and failing requests must sum to 0..1")
        self._rng = random.Random(self.seed)

    def draw(self, budget: Mapping[str, str]) -> Fault | None:
        """The fault for the next request, if it gets one; ``budget`` are its headers."""
        roll = self._rng.random()
        if roll < self.throttled:
            reset = str(self._rng.randint(1, 5))
            return Fault(429, {**budget, "RateLimit-Remaining": "0", "RateLimit-Reset": reset})
        if roll < self.throttled + self.failing:
            status = self._rng.choice(SERVER_ERRORS)
            return Fault(status, after_write=self._rng.random() < 0.5)
        return None


@dataclass(slots=True)
class Injected:
    """``fault`` for each of the next ``count`` requests (or writes, with ``writes_only``)."""

    fault: Fault
    count: int
    writes_only: bool = False
