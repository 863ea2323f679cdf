"""Reading commissions, campaigns and affiliates: filters, expansions, unreadable items."""

from __future__ import annotations

from typing import Any

import pytest

from crmsync.sdk import ReadRequest, Rejected
from crmsync.testing import FakeClock
from crmsync_connectors.rewardful import RewardfulConnector
from crmsync_connectors.rewardful.emulator import RewardfulEmulator, add_examples
from crmsync_connectors.rewardful.records import page_of

from .helpers import connect, records


@pytest.fixture
def programme(emulator: RewardfulEmulator) -> RewardfulEmulator:
    with emulator.data() as account:
        add_examples(account)
    return emulator


def test_commissions_are_read_in_the_configured_states_only(
    programme: RewardfulEmulator, clock: FakeClock
) -> None:
    connector = connect(programme, clock, commission_states=["due", "paid", "due"])

    read = records(connector.object_type("commissions"))

    every = programme.listed("commissions")
    assert {r.id for r in read} == {c["id"] for c in every if c["state"] in ("due", "paid")}
    assert {r.fields["state"] for r in read} == {"due", "paid"}


def test_commissions_come_with_their_sale_in_cents(
    programme: RewardfulEmulator, connector: RewardfulConnector
) -> None:
    commission = records(connector.object_type("commissions"))[0].fields

    sale = commission["sale"]
    assert isinstance(commission["amount"], int)
    assert isinstance(sale["sale_amount_cents"], int)
    assert sale["affiliate"]["email"].endswith("@example.com")
    assert "name" in commission["campaign"]


def test_expansions_are_asked_for_only_when_the_map_reads_them(
    programme: RewardfulEmulator, connector: RewardfulConnector
) -> None:
    request = ReadRequest(fields=frozenset({"id", "amount", "state"}))

    commission = records(connector.object_type("commissions"), request)[0].fields

    assert set(commission["sale"]) == {"id"}
    assert set(commission["campaign"]) == {"id"}


def test_affiliates_come_with_campaign_links_and_commission_stats(
    programme: RewardfulEmulator, connector: RewardfulConnector
) -> None:
    affiliate = records(connector.object_type("affiliates"))[0].fields

    assert affiliate["campaign"]["commission_percent"] in ("20.0", "30.0")
    assert affiliate["links"][0]["url"].startswith("https://www.example.com/?via=")
    assert "currencies" in affiliate["commission_stats"]


def test_campaigns_are_read(programme: RewardfulEmulator, connector: RewardfulConnector) -> None:
    names = {r.fields["name"] for r in records(connector.object_type("campaigns"))}

    assert names == {"Partner program", "Influencer program"}


@pytest.mark.parametrize(
    ("item", "rejected"),
    [
        (
            {"id": "r1", "updated_at": "yesterday"},
            Rejected("r1", "updated_at 'yesterday' is not an ISO 8601 time"),
        ),
        (
            {"updated_at": "2025-01-01T00:00:00.000Z"},
            Rejected("item 1", "a referrals record has no id"),
        ),
        ("r1", Rejected("item 1", "a referrals record must be a JSON object, not 'r1'")),
    ],
)
def test_an_item_that_cannot_be_read_is_rejected_alone(item: Any, rejected: Rejected) -> None:
    page = page_of([item, {"id": "r2", "updated_at": "2025-01-01T00:00:00.000Z"}], "referrals")

    assert [r.id for r in page.records] == ["r2"]
    assert [(r.id, r.reason) for r in page.rejected] == [(rejected.id, rejected.reason)]
