"""The toy connector passes the HTTP conformance checks, and reads through its emulator."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import pytest
from pydantic import SecretStr, ValidationError

from crmsync.sdk.context import ConnectorContext
from crmsync.sdk.ratelimit import Rate
from crmsync.sdk.records import ReadRequest
from crmsync.sdk.redact import Redactor
from crmsync.sdk.usage import RequestCounter
from crmsync.testing.clock import FakeClock
from crmsync.testing.emulator import serve_wsgi, wsgi_session
from crmsync.testing.http_conformance import HttpConformance

from .connector import ToyConnector, ToySettings
from .emulator import ToyEmulator

TOKEN = "toy_live_0123456789abcdef"
CONTACTS = [
    {"id": str(n), "email": f"c{n}@example.com", "updatedAt": f"2026-01-0{n}T00:00:00+00:00"}
    for n in range(1, 6)
]


@dataclass
class ToyHarness:
    connector: ToyConnector
    emulator: ToyEmulator
    clock: FakeClock
    counter: RequestCounter
    secrets: list[str] = field(default_factory=lambda: [TOKEN])

    def inject(self, status: int, headers: Mapping[str, str], count: int) -> None:
        self.emulator.inject(status, headers, count)

    def exercise(self) -> None:
        next(iter(self.connector.object_type("contacts").read(ReadRequest())))


class TestToyHttp(HttpConformance):
    @pytest.fixture
    def http_harness(self) -> Iterator[ToyHarness]:
        emulator = ToyEmulator(TOKEN, CONTACTS)
        clock, counter = FakeClock(), RequestCounter()
        context = ConnectorContext("toy", clock=clock, counter=counter, redactor=Redactor())
        with serve_wsgi(emulator) as server:
            settings = ToySettings(token=SecretStr(TOKEN), base_url=server.url, page_size=2)
            connector = ToyConnector(settings, context)
            with connector:
                yield ToyHarness(connector, emulator, clock, counter)


def test_reads_every_page_in_process() -> None:
    counter = RequestCounter()
    context = ConnectorContext(
        "toy",
        clock=FakeClock(),
        counter=counter,
        session=wsgi_session(ToyEmulator(TOKEN, CONTACTS)),
    )
    settings = ToySettings(token=SecretStr(TOKEN), page_size=2)

    with ToyConnector(settings, context) as connector:
        pages = list(connector.object_type("contacts").read(ReadRequest()))

    assert [[r.id for r in p.records] for p in pages] == [["1", "2"], ["3", "4"], ["5"]]
    assert counter.by_connection() == {"toy": 3}


def test_settings_accept_a_rate_string_and_refuse_unknown_keys() -> None:
    settings = ToySettings.model_validate({"token": TOKEN, "rate_limit": "100/10s"})

    assert settings.rate_limit == Rate.parse("100/10s")
    assert settings.model_dump(mode="json")["rate_limit"] == "100/10s"
    with pytest.raises(ValidationError, match="extra"):
        ToySettings.model_validate({"token": TOKEN, "tokne": TOKEN})
