"""The HubSpot connector against crmsync's conformance suites, through its emulator.

The read and write checks run for contacts (upserted by email) and for deals (upserted
by a custom property with unique values). The HTTP checks run over real sockets, with
a private-app token and with OAuth.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from pydantic import SecretStr

from crmsync.sdk import ConnectorContext, ReadRequest, Redactor
from crmsync.sdk.usage import RequestCounter
from crmsync.testing import (
    ConnectorConformance,
    FakeClock,
    HttpConformance,
    SeedRecord,
    serve_wsgi,
)
from crmsync_connectors.hubspot import HubSpotConnector, HubSpotSettings
from crmsync_connectors.hubspot.emulator import HubSpotEmulator

from .helpers import OAUTH, TOKEN, rig

PAGE_SIZE = 10


@dataclass(frozen=True)
class Shape:
    """How one object type's records look for the suite."""

    name: str
    match_field: str
    invalid: Mapping[str, Any]

    def row(self, seed: SeedRecord) -> dict[str, str]:
        if self.name == "contacts":
            first, _, last = seed.name.partition(" ")
            return {"email": seed.email, "firstname": first, "lastname": last}
        return {"dealname": seed.name, "crmsync_external_id": seed.key, "amount": "100"}

    def valid(self, n: int) -> dict[str, Any]:
        if self.name == "contacts":
            return {"email": f"person{n}@example.com", "firstname": f"Ada{n}", "lastname": f"L{n}"}
        return {"crmsync_external_id": f"deal-{n}", "dealname": f"Deal {n}", "amount": str(n)}


SHAPES = [
    Shape("contacts", "email", {"email": "not-an-email", "firstname": "Bad"}),
    Shape("deals", "crmsync_external_id", {"crmsync_external_id": "deal-bad", "amount": "lots"}),
]


class HubSpotHarness:
    """An empty portal (plus a unique ``crmsync_external_id`` on deals)."""

    page_size = PAGE_SIZE

    def __init__(self, shape: Shape) -> None:
        self.shape = shape
        self.read_object = self.write_object = shape.name
        self.match_field = shape.match_field
        # Ids cross from two digits to three, so text and numeric id order differ.
        self.rig = rig(
            settings={"page_size": PAGE_SIZE, "search_page_size": PAGE_SIZE}, first_id=95
        )
        self.rig.emulator.add_property("deals", "crmsync_external_id", unique=True)
        self.connector = self.rig.connector
        self._ids: dict[str, str] = {}

    def seed(self, records: Sequence[SeedRecord]) -> list[str]:
        rows = [self.shape.row(r) for r in records]
        found = self.rig.emulator.seed(
            self.shape.name, rows, modified=[r.updated_at for r in records]
        )
        self._ids.update(zip((r.key for r in records), found, strict=True))
        return found

    def touch(self, keys: Sequence[str], at: datetime) -> None:
        self.rig.emulator.touch(self.shape.name, [self._ids[k] for k in keys], at)

    def remote(self, object_name: str) -> list[Mapping[str, Any]]:
        return list(self.rig.emulator.records(object_name))

    def valid_fields(self, n: int) -> dict[str, Any]:
        return self.shape.valid(n)

    def invalid_fields(self) -> dict[str, Any]:
        return dict(self.shape.invalid)


class TestHubSpotConformance(ConnectorConformance):
    @pytest.fixture(params=SHAPES, ids=[s.name for s in SHAPES])
    def harness(self, request: pytest.FixtureRequest) -> HubSpotHarness:
        return HubSpotHarness(request.param)


@dataclass
class HttpHarness:
    connector: HubSpotConnector
    emulator: HubSpotEmulator
    clock: FakeClock
    counter: RequestCounter
    oauth: bool

    @property
    def secrets(self) -> list[str]:
        if not self.oauth:
            return [TOKEN]
        return [OAUTH.client_secret, OAUTH.refresh_token, *self.emulator.access_tokens]

    def inject(self, status: int, headers: Mapping[str, str], count: int) -> None:
        self.emulator.inject(status, headers, count)

    def exercise(self) -> None:
        contacts = self.connector.object_type("contacts")
        next(iter(contacts.read(ReadRequest(fields=frozenset({"email"})))))


class TestHubSpotHttp(HttpConformance):
    @pytest.fixture(params=["private-app", "oauth"])
    def http_harness(self, request: pytest.FixtureRequest) -> Iterator[HttpHarness]:
        oauth = request.param == "oauth"
        clock, counter = FakeClock(), RequestCounter()
        emulator = HubSpotEmulator(clock, token=TOKEN, oauth=OAUTH)
        emulator.seed("contacts", [{"email": f"c{n}@example.com"} for n in range(3)])
        context = ConnectorContext("hubspot", clock=clock, counter=counter, redactor=Redactor())
        with serve_wsgi(emulator) as server:
            credentials: dict[str, Any] = {"access_token": SecretStr(TOKEN)}
            if oauth:
                credentials = {
                    "oauth": {
                        "client_id": OAUTH.client_id,
                        "client_secret": OAUTH.client_secret,
                        "refresh_token": OAUTH.refresh_token,
                    }
                }
            settings = HubSpotSettings.model_validate({**credentials, "base_url": server.url})
            connector = HubSpotConnector(settings, context)
            with connector:
                yield HttpHarness(connector, emulator, clock, counter, oauth)
