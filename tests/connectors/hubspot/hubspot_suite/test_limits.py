"""Rate limits: calls paced under HubSpot's rolling windows; its 429s and headers obeyed."""

from __future__ import annotations

import pytest
import requests

from crmsync.sdk import Cursor, Rate, RateLimitedError, RateLimiter, ReadRequest
from crmsync.testing import FakeClock
from crmsync_connectors.hubspot.emulator import Limits
from crmsync_connectors.hubspot.errors import DAILY_RESET_UNKNOWN, HubSpotSignals

from .helpers import T0, contacts, minutes, read, rig

EMAIL = frozenset({"email"})


def test_listing_300_pages_stays_inside_the_rolling_ten_second_window() -> None:
    hub = rig(settings={"page_size": 10})
    hub.emulator.seed("contacts", contacts(3000))
    started = hub.clock.monotonic()

    pages = read(hub.object("contacts"), ReadRequest(fields=EMAIL))

    assert len(pages) == 300
    assert hub.emulator.statuses == {200: 300}, "no 429: the window of 100 was never full"
    elapsed = hub.clock.monotonic() - started
    assert 29.5 <= elapsed <= 31, f"300 calls at 100/10s took {elapsed:.1f} s of fake time"


def test_searches_stay_inside_their_own_limit_of_four_a_second() -> None:
    hub = rig(settings={"search_page_size": 10})
    hub.emulator.seed("contacts", contacts(400), modified=minutes(T0, 400))
    started = hub.clock.monotonic()

    pages = read(hub.object("contacts"), ReadRequest(since=Cursor(T0), fields=EMAIL))

    searches = hub.emulator.count("POST /crm/v3/objects/contacts/search")
    assert sum(len(p.records) for p in pages) == 400
    assert hub.emulator.statuses == {200: searches}
    assert hub.clock.monotonic() - started >= (searches - 1) / 4


def test_two_connections_with_one_token_share_one_budget() -> None:
    first = rig(settings={"page_size": 10})
    first.emulator.seed("contacts", contacts(600))
    second = rig(settings={"page_size": 10}, emulator=first.emulator, clock=first.clock)
    readers = [
        iter(first.object("contacts").read(ReadRequest(fields=EMAIL))),
        iter(second.object("contacts").read(ReadRequest(fields=EMAIL))),
    ]

    for _ in range(60):  # interleaved: 120 calls from two clients on one token
        for reader in readers:
            next(reader)

    assert first.emulator.statuses == {200: 120}


def test_a_ten_secondly_429_waits_out_the_window_then_retries() -> None:
    hub = rig()
    hub.emulator.seed("contacts", contacts(3))
    hub.emulator.inject(429, {"X-HubSpot-RateLimit-Interval-Milliseconds": "10000"})

    pages = read(hub.object("contacts"), ReadRequest(fields=EMAIL))

    assert len(pages[0].records) == 3
    assert 10.0 in hub.clock.sleeps
    assert hub.emulator.count() == 2


def test_a_secondly_429_from_search_waits_a_second() -> None:
    hub = rig(limits=Limits(search_secondly=1))  # a portal that allows fewer than configured
    hub.emulator.seed("contacts", contacts(3), modified=T0)
    source = hub.object("contacts")
    read(source, ReadRequest(since=Cursor(T0), fields=EMAIL))
    hub.emulator.reset_counts()
    hub.clock.sleeps.clear()

    read(source, ReadRequest(since=Cursor(T0), fields=EMAIL))  # within the same second

    assert hub.emulator.statuses[429] >= 1
    assert 1.0 in hub.clock.sleeps


def test_the_daily_limit_fails_the_call_at_once_with_a_clear_message() -> None:
    hub = rig(limits=Limits(daily=0))

    with pytest.raises(RateLimitedError, match="daily API limit") as raised:
        read(hub.object("contacts"), ReadRequest(fields=EMAIL))

    assert raised.value.retry_after == DAILY_RESET_UNKNOWN
    assert "midnight" in (raised.value.hint or "")
    assert hub.emulator.count() == 1, "a spent daily limit is not retried"
    assert not [s for s in hub.clock.sleeps if s > 60], "it did not wait for the reset"


def test_a_spent_window_in_the_headers_pauses_the_credentials_callers() -> None:
    clock = FakeClock()
    limiter = RateLimiter([Rate.parse("1000/s")], clock)
    signals = HubSpotSignals(limiter)
    response = requests.Response()
    response.status_code = 200
    response.headers.update(
        {
            "X-HubSpot-RateLimit-Remaining": "0",
            "X-HubSpot-RateLimit-Max": "100",
            "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
        }
    )

    assert signals(response) is None
    limiter.acquire()

    assert clock.sleeps == [pytest.approx(0.1)]  # one slot of a 100-per-10s window
