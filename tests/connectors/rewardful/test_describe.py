"""describe() and the declarations of each object type, from the documented fields."""

from __future__ import annotations

from datetime import timedelta

import pytest

from crmsync.sdk import Capability, FieldType
from crmsync_connectors.rewardful import RewardfulConnector

_C = Capability


def test_the_connector_offers_the_five_objects(connector: RewardfulConnector) -> None:
    capabilities = {o.name: o.capabilities for o in connector.object_types()}

    assert capabilities == {
        "affiliates": _C.READ | _C.CREATE | _C.UPSERT | _C.UPDATE | _C.ARCHIVE,
        "affiliate_links": _C.READ | _C.CREATE,
        "referrals": _C.READ | _C.INCREMENTAL,
        "commissions": _C.READ,
        "campaigns": _C.READ,
    }


def test_only_referrals_read_incrementally(connector: RewardfulConnector) -> None:
    referrals = connector.object_type("referrals")

    assert referrals.cursor_field == "updated_at"
    assert referrals.default_lookback == timedelta(minutes=1)
    assert [o.name for o in connector.object_types() if o.cursor_field] == ["referrals"]


@pytest.mark.parametrize("name", ["affiliates", "affiliate_links"])
def test_writes_go_in_batches_of_twenty(connector: RewardfulConnector, name: str) -> None:
    assert connector.object_type(name).max_batch_size == 20


@pytest.mark.parametrize(
    "name", ["affiliates", "affiliate_links", "referrals", "commissions", "campaigns"]
)
def test_ids_are_unique_read_only_text(connector: RewardfulConnector, name: str) -> None:
    schema = connector.object_type(name).describe()

    field = schema.get("id")
    assert field is not None
    assert (field.type, field.unique, field.read_only) == (FieldType.STRING, True, True)


def test_affiliates_match_on_email_and_keep_computed_fields_read_only(
    connector: RewardfulConnector,
) -> None:
    schema = connector.object_type("affiliates").describe()

    writable = {f.name for f in schema if not f.read_only}
    assert writable == {
        "first_name",
        "last_name",
        "email",
        "paypal_email",
        "wise_email",
        "state",
        "stripe_customer_id",
        "campaign_id",
        "token",
        "receive_new_commission_notifications",
    }
    assert {f.name for f in schema if f.unique} == {"id", "email", "stripe_customer_id"}
    assert {f.name for f in schema if f.required} == {"first_name", "last_name", "email"}
    state = schema.get("state")
    assert state is not None
    assert (state.type, state.options) == (FieldType.ENUM, ("active", "disabled", "suspicious"))
    assert not schema.open


@pytest.mark.parametrize(
    ("name", "field", "kind", "options"),
    [
        ("referrals", "conversion_state", FieldType.ENUM, ("visitor", "lead", "conversion")),
        ("commissions", "state", FieldType.ENUM, ("pending", "due", "paid", "voided")),
        ("commissions", "amount", FieldType.INTEGER, ()),
        ("commissions", "sale", FieldType.OBJECT, ()),
        ("referrals", "customer", FieldType.OBJECT, ()),
        ("referrals", "updated_at", FieldType.DATETIME, ()),
        ("affiliates", "links", FieldType.ARRAY, ()),
        ("affiliates", "commission_stats", FieldType.OBJECT, ()),
        ("campaigns", "commission_percent", FieldType.DECIMAL, ()),
    ],
)
def test_field_types(
    connector: RewardfulConnector,
    name: str,
    field: str,
    kind: FieldType,
    options: tuple[str, ...],
) -> None:
    found = connector.object_type(name).describe().get(field)

    assert found is not None
    assert (found.type, found.options) == (kind, options)


def test_campaigns_are_open_as_their_fields_are_not_documented(
    connector: RewardfulConnector,
) -> None:
    assert connector.object_type("campaigns").describe().open
    assert not connector.object_type("commissions").describe().open
