"""Rewardful's own signals in its responses: the rate-limit budget, and why a write failed.

Every response may carry the ``RateLimit-*`` fields of draft-polli-ratelimit-headers-02:
``RateLimit-Remaining`` (requests left in the window) and ``RateLimit-Reset`` (seconds
until it resets). They feed the credential's limiter, so a spent budget pauses every
client of the API secret before Rewardful has to refuse. A 429 documents no
``Retry-After``; its wait is the ``RateLimit-Reset``. The single ``RateLimit`` field of
later drafts (``limit=45, remaining=0, reset=12``) is read too.

A 422 carries ``{"error", "details"}``: it becomes a :class:`RecordRejectedError` with
Rewardful's own words, which the object types turn into a FAILED result for that record.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

import requests

from crmsync.sdk import Clock, CrmsyncError, RateLimitedError, RateLimiter, RecordRejectedError

VALIDATION_ERROR = "VALIDATION_ERROR"
# A reset this large is a Unix time, not a number of seconds (some servers send that).
_EPOCH_THRESHOLD = 1_000_000_000
_PARAMETER = re.compile(r"\b(remaining|reset)\s*=\s*([0-9.]+)")
_SNIPPET = 200


@dataclass(frozen=True, slots=True)
class Budget:
    """What a response says about the rate-limit window; None where it says nothing."""

    remaining: int | None
    reset_after: float | None


def budget(headers: Mapping[str, str], now: datetime) -> Budget:
    """The budget announced by ``headers``, read from the draft-02 fields or ``RateLimit``."""
    remaining = headers.get("RateLimit-Remaining")
    reset = headers.get("RateLimit-Reset")
    combined = dict(_PARAMETER.findall(headers.get("RateLimit", "")))
    remaining = remaining if remaining is not None else combined.get("remaining")
    reset = reset if reset is not None else combined.get("reset")
    return Budget(_whole(remaining), _seconds(reset, now))


class RewardfulSignals:
    """The HTTP client's classify hook for Rewardful (see the module docstring).

    Args:
        limiter: the API secret's shared limiter, told about the budget left.
        clock: the time, to read a reset given as a Unix time.
    """

    def __init__(self, limiter: RateLimiter, clock: Clock) -> None:
        self._limiter = limiter
        self._clock = clock

    def __call__(self, response: requests.Response) -> CrmsyncError | None:
        left = budget(response.headers, self._clock.now())
        self._limiter.observe(left.remaining, left.reset_after)
        status = response.status_code
        if status == 429 and "Retry-After" not in response.headers:
            reset = "" if left.reset_after is None else f" for {left.reset_after:g} s"
            return RateLimitedError(
                f"{_label(response)} returned 429: the API secret's request budget is spent{reset}",
                retry_after=left.reset_after,
                hint="lower rate_limit if other tools use the same API secret",
            )
        if status == 422:
            return RecordRejectedError(
                vendor_message(response) or f"{_label(response)} returned 422",
                code=VALIDATION_ERROR,
            )
        return None


def vendor_message(response: requests.Response) -> str | None:
    """Rewardful's explanation in an error body: ``error``, then its ``details``."""
    try:
        body = response.json()
    except ValueError:  # not JSON: a proxy's page, say
        text = " ".join(response.text.split())[:_SNIPPET]
        return text or None
    if not isinstance(body, dict):
        return None
    error = str(body.get("error") or "").strip()
    details = [str(d) for d in body.get("details") or () if str(d).strip()]
    if details and not all(d in error for d in details):
        return f"{error}: {'; '.join(details)}" if error else "; ".join(details)
    return error or None


def _label(response: requests.Response) -> str:
    request = response.request
    path = urlsplit(request.url or "").path or "/"
    return f"{request.method} {path}"


def _whole(text: str | None) -> int | None:
    try:
        return None if text is None else int(float(text))
    except ValueError:
        return None


def _seconds(text: str | None, now: datetime) -> float | None:
    try:
        value = None if text is None else float(text)
    except ValueError:
        return None
    if value is None or value < 0:
        return None
    if value >= _EPOCH_THRESHOLD:
        return max(0.0, value - now.timestamp())
    return value
