"""HTTP behaviour every connector must show against its emulator.

Subclass :class:`HttpConformance` in a connector's test module and provide a pytest
fixture named ``http_harness`` that returns an :class:`HttpHarness`::

    class TestHubSpotHttp(HttpConformance):
        @pytest.fixture
        def http_harness(self) -> Iterator[HttpHarness]:
            ...

The checks prove that the connector's calls really go through the SDK client: the
vendor's Retry-After is honoured on the injected clock, a 5xx is retried, and no secret
leaks into logs or into the error a 401 produces.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping
from typing import Any, Protocol

import pytest

from crmsync.sdk.connector import Connector
from crmsync.sdk.errors import AuthError
from crmsync.sdk.usage import RequestCounter
from crmsync.testing.clock import FakeClock


class HttpHarness(Protocol):
    """A connector wired to its emulator, as the conformance checks need it."""

    @property
    def connector(self) -> Connector[Any]:
        """The connector, built with a ConnectorContext that uses ``clock`` and ``counter``."""
        ...

    @property
    def clock(self) -> FakeClock:
        """The context's clock."""
        ...

    @property
    def counter(self) -> RequestCounter:
        """The context's request counter."""
        ...

    @property
    def secrets(self) -> list[str]:
        """Every credential value in the connector's settings (tokens, keys, passwords)."""
        ...

    def inject(self, status: int, headers: Mapping[str, str], count: int) -> None:
        """Make the emulator answer the next ``count`` requests with ``status``/``headers``.

        The body should be the vendor's own error body for that status; for a 401 that
        is the case worth testing, as vendors often repeat the rejected credential.
        """
        ...

    def exercise(self) -> None:
        """Make one representative read (e.g. the first page of an object type).

        A read the connector sends as POST (a search) must pass ``idempotent=True``.
        """
        ...


class HttpConformance:
    """Test methods that any connector test class gets by subclassing.

    Requires the fixture ``http_harness`` (see :class:`HttpHarness`).
    """

    def test_retry_after_is_honoured_on_the_clock(self, http_harness: HttpHarness) -> None:
        harness = http_harness
        per_call = _requests_per_exercise(harness)
        sleeps_before, sent_before = len(harness.clock.sleeps), harness.counter.total()
        harness.inject(429, {"Retry-After": "7"}, 1)

        started = time.monotonic()
        harness.exercise()

        assert time.monotonic() - started < 7, "the retry slept for real instead of on the clock"
        assert 7 in harness.clock.sleeps[sleeps_before:]
        assert harness.counter.total() - sent_before == per_call + 1

    def test_server_error_is_retried(self, http_harness: HttpHarness) -> None:
        harness = http_harness
        per_call = _requests_per_exercise(harness)
        sleeps_before, sent_before = len(harness.clock.sleeps), harness.counter.total()
        harness.inject(503, {}, 1)

        harness.exercise()

        assert harness.clock.sleeps[sleeps_before:], "no backoff before the retry"
        assert harness.counter.total() - sent_before == per_call + 1

    def test_secrets_stay_out_of_logs_and_errors(
        self, http_harness: HttpHarness, caplog: pytest.LogCaptureFixture
    ) -> None:
        harness = http_harness
        assert harness.secrets, "the harness must list the connector's secrets"
        caplog.set_level(logging.DEBUG)
        harness.inject(503, {}, 1)
        harness.exercise()
        harness.inject(401, {}, 10)

        with pytest.raises(AuthError) as raised:
            harness.exercise()

        assert caplog.records, "the HTTP client logged nothing at DEBUG"
        logged = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
        shown = "\n".join(repr(e) + str(e) for e in _exception_chain(raised.value))
        for secret in harness.secrets:
            assert secret not in logged, "a secret appeared in the logs"
            assert secret not in shown, "a secret appeared in the 401 error"


def _requests_per_exercise(harness: HttpHarness) -> int:
    """How many requests one exercise makes once warmed up (tokens fetched, caches full)."""
    harness.exercise()
    before = harness.counter.total()
    harness.exercise()
    return harness.counter.total() - before


def _exception_chain(error: BaseException) -> Iterator[BaseException]:
    seen: BaseException | None = error
    while seen is not None:
        yield seen
        seen = seen.__cause__ or seen.__context__
