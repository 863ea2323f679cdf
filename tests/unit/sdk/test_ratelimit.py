"""Rates, token buckets, limiters and the per-credential registry, on a FakeClock."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from pydantic import BaseModel, ValidationError

from crmsync.sdk import ratelimit
from crmsync.sdk.ratelimit import Rate, RateLimiter, RateSpec, TokenBucket, shared_limiter
from crmsync.testing.clock import FakeClock


@pytest.mark.parametrize(
    ("text", "calls", "seconds"),
    [
        ("100/10s", 100, 10),
        ("4/s", 4, 1),
        (" 100 / 10 s ", 100, 10),
        ("60/m", 60, 60),
        ("40000/1h", 40_000, 3_600),
        ("250000/d", 250_000, 86_400),
        ("1/0.5s", 1, 0.5),
        ("5/S", 5, 1),
    ],
)
def test_rates_parse(text: str, calls: int, seconds: float) -> None:
    assert Rate.parse(text) == Rate(calls, timedelta(seconds=seconds))


@pytest.mark.parametrize("text", ["100", "x/s", "10/10w", "-1/s", "10/-1s", "0/s", "5/0s"])
def test_bad_rates_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="rate"):
        Rate.parse(text)


@pytest.mark.parametrize("text", ["100/10s", "4/s", "60/m", "1/90s", "250000/d", "1/0.5s", "7/2h"])
def test_rates_print_as_they_parse(text: str) -> None:
    assert str(Rate.parse(text)) == text


class Settings(BaseModel):
    limit: RateSpec


def test_rate_spec_accepts_text_or_fields_and_serializes_as_text() -> None:
    from_text = Settings.model_validate({"limit": "100/10s"})
    from_fields = Settings.model_validate({"limit": {"calls": 100, "per": 10}})

    assert from_text.limit == from_fields.limit == Rate(100, timedelta(seconds=10))
    assert from_text.model_dump() == {"limit": "100/10s"}
    assert from_fields.model_dump_json() == '{"limit":"100/10s"}'


@pytest.mark.parametrize("value", ["ten per second", {"calls": 0, "per": 1}])
def test_rate_spec_reports_bad_values(value: object) -> None:
    with pytest.raises(ValidationError, match="rate"):
        Settings.model_validate({"limit": value})


def test_rate_spec_json_schema_allows_both_forms() -> None:
    schema = Settings.model_json_schema()["properties"]["limit"]

    assert [alternative["type"] for alternative in schema["anyOf"]] == ["string", "object"]


def test_the_101st_call_at_100_per_10s_waits_a_tenth_of_a_second() -> None:
    clock = FakeClock()
    bucket = TokenBucket(Rate.parse("100/10s"), clock)

    for _ in range(100):
        bucket.acquire()
    assert clock.sleeps == []

    bucket.acquire()
    assert clock.sleeps == [pytest.approx(0.1)]


def test_a_bucket_refills_up_to_its_capacity_only() -> None:
    clock = FakeClock()
    bucket = TokenBucket(Rate.parse("10/s"), clock)
    for _ in range(10):
        bucket.acquire()

    clock.advance(60)
    for _ in range(10):
        bucket.acquire()
    assert clock.sleeps == []
    bucket.acquire()
    assert clock.sleeps == [pytest.approx(0.1)]


def test_a_bucket_refuses_more_tokens_than_it_holds() -> None:
    with pytest.raises(ValueError, match="bucket of 10"):
        TokenBucket(Rate.parse("10/s"), FakeClock()).acquire(11)


def calls_take(limiter: RateLimiter, clock: FakeClock, calls: int) -> float:
    start = clock.monotonic()
    for _ in range(calls):
        limiter.acquire()
    return clock.monotonic() - start


@pytest.mark.parametrize(
    ("calls", "seconds"),
    [
        (12, 0.2),  # the 10/s limit binds: 2 calls beyond its burst
        (30, 10.0),  # the 15/10s limit binds: 15 calls beyond its burst at 1.5/s
    ],
)
def test_every_limit_must_allow_a_call(calls: int, seconds: float) -> None:
    clock = FakeClock()
    limiter = RateLimiter([Rate.parse("10/s"), Rate.parse("15/10s")], clock)

    assert calls_take(limiter, clock, calls) == pytest.approx(seconds)


def test_a_pause_holds_callers_until_its_deadline() -> None:
    clock = FakeClock()
    limiter = RateLimiter([Rate.parse("10/s")], clock)

    limiter.pause(7)
    limiter.pause(2)  # a shorter pause does not cut the first one short
    limiter.acquire()

    assert clock.slept == pytest.approx(7)
    limiter.acquire()
    assert clock.slept == pytest.approx(7)


def test_observing_a_spent_budget_pauses_until_the_reset() -> None:
    clock = FakeClock()
    limiter = RateLimiter([Rate.parse("10/s")], clock)

    limiter.observe(remaining=3, reset_after=5)
    limiter.observe(remaining=None, reset_after=None)
    limiter.acquire()
    assert clock.sleeps == []

    limiter.observe(remaining=0, reset_after=5)
    limiter.acquire()
    assert clock.sleeps == [pytest.approx(5)]


def test_observing_a_spent_budget_without_a_reset_empties_the_buckets() -> None:
    clock = FakeClock()
    limiter = RateLimiter([Rate.parse("10/s")], clock)

    limiter.observe(remaining=0, reset_after=None)
    limiter.acquire()

    assert clock.sleeps == [pytest.approx(0.1)]


def test_a_spent_budget_without_a_reset_empties_only_the_shortest_window() -> None:
    clock = FakeClock()
    limiter = RateLimiter([Rate.parse("10/s"), Rate.parse("86400/d")], clock)

    limiter.observe(remaining=0, reset_after=None)
    limiter.acquire()

    assert clock.sleeps == [pytest.approx(0.1)]  # not the daily bucket's 1 s per call
    limiter.acquire()
    assert clock.sleeps == [pytest.approx(0.1), pytest.approx(0.1)]


def test_a_spaced_rate_is_one_call_per_share_of_its_window_plus_slack() -> None:
    assert Rate.parse("100/10s").spaced() == Rate(1, timedelta(milliseconds=101))
    assert Rate.parse("4/s").spaced() == Rate(1, timedelta(milliseconds=275))
    assert Rate.parse("4/s").spaced(timedelta(0)) == Rate(1, timedelta(milliseconds=250))


def test_spaced_calls_never_put_more_than_the_rate_in_any_window() -> None:
    clock = FakeClock()
    limiter = RateLimiter([Rate.parse("10/s").spaced()], clock)
    stamps = []
    for _ in range(40):
        limiter.acquire()
        stamps.append(clock.monotonic())

    assert max(sum(1 for t in stamps if start <= t < start + 1) for start in stamps) <= 10


def test_one_limiter_per_credential_and_rates() -> None:
    clock = FakeClock()
    rates = [Rate.parse("100/10s"), Rate.parse("250000/d")]

    first = shared_limiter("token-aaaaaa", rates, clock)

    assert shared_limiter("token-aaaaaa", list(reversed(rates)), clock) is first
    assert shared_limiter("token-bbbbbb", rates, clock) is not first
    assert shared_limiter("token-aaaaaa", rates[:1], clock) is not first
    assert shared_limiter("token-aaaaaa", rates, FakeClock()) is not first


def test_the_registry_keeps_no_raw_credential() -> None:
    shared_limiter("raw-credential-value", [Rate.parse("1/s")], FakeClock())

    assert "raw-credential-value" not in repr(ratelimit._SHARED)


def test_concurrent_callers_get_the_same_limiter() -> None:
    clock = FakeClock()
    rates = [Rate.parse("5/s")]
    barrier = threading.Barrier(8)
    found: list[RateLimiter] = []

    def look_up() -> None:
        barrier.wait()
        found.append(shared_limiter("token-concurrent", rates, clock))

    threads = [threading.Thread(target=look_up) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len({id(limiter) for limiter in found}) == 1
