"""The Rewardful connector against the conformance suites: reads of referrals (the
incremental object), writes of affiliates, and the HTTP behaviour of the SDK client."""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
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
from crmsync_connectors.rewardful import RewardfulConnector, RewardfulSettings
from crmsync_connectors.rewardful.emulator import RewardfulEmulator

from .helpers import SECRET, T0, connect

PAGE_SIZE = 7
_KINDS = {"affiliate_links": "links"}


class RewardfulHarness:
    """An empty account: seeds are referrals of one affiliate, created in shuffled order
    so that the list's creation order (newest first) is not the modified-time order."""

    read_object = "referrals"
    write_object = "affiliates"
    page_size = PAGE_SIZE
    match_field = "email"

    def __init__(self, emulator: RewardfulEmulator, connector: RewardfulConnector) -> None:
        self.emulator = emulator
        self.connector = connector
        self._ids: dict[str, str] = {}

    def seed(self, records: Sequence[SeedRecord]) -> list[str]:
        order = list(range(len(records)))
        random.Random(len(records)).shuffle(order)
        with self.emulator.data() as account:
            referrer = account.add_affiliate("referrer@example.com", "Rita", "Referrer")
            for position, record in zip(order, records, strict=True):
                referral = account.add_referral(
                    referrer.id,
                    customer=(record.name, record.email),
                    created_at=T0 - timedelta(days=30, minutes=position),
                    updated_at=record.updated_at,
                )
                self._ids[record.key] = referral.id
        return [self._ids[record.key] for record in records]

    def touch(self, keys: Sequence[str], at: datetime) -> None:
        with self.emulator.data() as account:
            for key in keys:
                account.touch("referrals", self._ids[key], at)

    def remote(self, object_name: str) -> list[Mapping[str, Any]]:
        listed = self.emulator.listed(_KINDS.get(object_name, object_name))
        return [r for r in listed if r.get("state") != "disabled"]

    def valid_fields(self, n: int) -> dict[str, Any]:
        return {"email": f"partner.{n}@example.com", "first_name": f"Pat{n}", "last_name": "Ng"}

    def invalid_fields(self) -> dict[str, Any]:
        return {"email": "not-an-email", "first_name": "Nova", "last_name": "Invalid"}


class TestRewardfulConformance(ConnectorConformance):
    @pytest.fixture
    def harness(self, emulator: RewardfulEmulator, clock: FakeClock) -> RewardfulHarness:
        return RewardfulHarness(emulator, connect(emulator, clock, page_size=PAGE_SIZE))


@dataclass
class RewardfulHttpHarness:
    connector: RewardfulConnector
    emulator: RewardfulEmulator
    clock: FakeClock
    counter: RequestCounter
    secrets: list[str] = field(default_factory=lambda: [SECRET])

    def inject(self, status: int, headers: Mapping[str, str], count: int) -> None:
        self.emulator.inject(status, headers, count)

    def exercise(self) -> None:
        next(iter(self.connector.object_type("referrals").read(ReadRequest())))


class TestRewardfulHttp(HttpConformance):
    @pytest.fixture
    def http_harness(self, clock: FakeClock) -> Iterator[RewardfulHttpHarness]:
        emulator = RewardfulEmulator(SECRET, clock=clock)
        with emulator.data() as account:
            affiliate = account.add_affiliate("ada@example.com", "Ada", "Lovelace")
            for n in range(3):
                account.add_referral(affiliate.id, created_at=T0 + timedelta(minutes=n))
        counter = RequestCounter()
        context = ConnectorContext("rewardful", clock=clock, counter=counter, redactor=Redactor())
        with serve_wsgi(emulator) as server:
            settings = RewardfulSettings(api_secret=SecretStr(SECRET), base_url=f"{server.url}/v1")
            connector = RewardfulConnector(settings, context)
            with connector:
                yield RewardfulHttpHarness(connector, emulator, clock, counter)
