"""Rewardful's limit (about 45 requests per 30 s): its RateLimit headers keep the client
in step, and a 429 is waited out for RateLimit-Reset seconds on the fake clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from requests.structures import CaseInsensitiveDict

from crmsync.testing import FakeClock
from crmsync_connectors.rewardful.emulator import RewardfulEmulator
from crmsync_connectors.rewardful.signals import Budget, budget

from .helpers import T0, connect, raw_get, read

LIST = "GET /v1/affiliates"


def add_affiliates(emulator: RewardfulEmulator, count: int) -> None:
    with emulator.data() as account:
        for n in range(count):
            account.add_affiliate(f"a{n}@example.com", f"A{n}", "Doe", created_at=T0)


def test_a_429_is_waited_out_for_the_rate_limit_reset_on_the_clock(
    emulator: RewardfulEmulator, clock: FakeClock
) -> None:
    add_affiliates(emulator, 1)
    for _ in range(45):  # another tool using the same API secret spends the window
        assert raw_get(emulator, "/campaigns").status_code == 200
    refused = raw_get(emulator, "/campaigns")
    assert refused.status_code == 429
    assert refused.json() == {"error": "Too many requests"}
    assert (refused.headers["RateLimit-Remaining"], refused.headers["RateLimit-Reset"]) == (
        "0",
        "30",
    )

    (page,) = read(connect(emulator, clock).object_type("affiliates"))

    assert len(page.records) == 1
    assert clock.sleeps == [30]
    assert emulator.calls()[LIST] == 2


def test_a_spent_budget_pauses_the_client_before_rewardful_refuses(
    emulator: RewardfulEmulator, clock: FakeClock
) -> None:
    add_affiliates(emulator, 60)
    affiliates = connect(emulator, clock, page_size=1, rate_limit="1000/s")

    pages = read(affiliates.object_type("affiliates"))

    assert len(pages) == 60
    assert emulator.calls() == {LIST: 60}  # no 429, so no request sent twice
    assert 30 in clock.sleeps


def test_the_default_rate_never_trips_rewardfuls_limit(
    emulator: RewardfulEmulator, clock: FakeClock
) -> None:
    add_affiliates(emulator, 100)
    started = clock.monotonic()

    pages = read(connect(emulator, clock, page_size=1).object_type("affiliates"))

    assert len(pages) == 100
    assert emulator.calls() == {LIST: 100}
    assert clock.monotonic() - started == pytest.approx(60, abs=1)  # 3 windows of 45


NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"RateLimit-Remaining": "0", "RateLimit-Reset": "12"}, Budget(0, 12.0)),
        ({"ratelimit-remaining": "44", "ratelimit-reset": "29"}, Budget(44, 29.0)),
        ({"RateLimit": "limit=45, remaining=0, reset=7"}, Budget(0, 7.0)),
        (
            {"RateLimit-Reset": str((NOW + timedelta(seconds=9)).timestamp())},
            Budget(None, 9.0),
        ),
        ({"RateLimit-Remaining": "soon", "RateLimit-Reset": "-3"}, Budget(None, None)),
        ({}, Budget(None, None)),
    ],
    ids=["draft-02", "any-case", "single-field", "unix-time", "garbage", "none"],
)
def test_the_budget_is_read_from_the_headers(headers: dict[str, str], expected: Budget) -> None:
    assert budget(CaseInsensitiveDict(headers), NOW) == expected
