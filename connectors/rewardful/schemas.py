"""The fields of each object type, from Rewardful's documentation: the API has no schema
endpoint. Ids are unique text, money is in cents (integers), states are enums, nested
objects are OBJECT (field maps read them by path, e.g. ``sale.sale_amount_cents``)."""

from __future__ import annotations

from typing import get_args

from crmsync.sdk import FieldSchema, FieldType, ObjectSchema
from crmsync_connectors.rewardful.settings import CommissionState

_S, _I, _B, _T = FieldType.STRING, FieldType.INTEGER, FieldType.BOOLEAN, FieldType.DATETIME
_E, _O, _A = FieldType.ENUM, FieldType.OBJECT, FieldType.ARRAY

AFFILIATE_STATES = ("active", "disabled", "suspicious")
CONVERSION_STATES = ("visitor", "lead", "conversion")
COMMISSION_STATES: tuple[str, ...] = get_args(CommissionState)


def _id() -> FieldSchema:
    return FieldSchema("id", _S, read_only=True, unique=True)


def _read_only(name: str, kind: FieldType = _S, description: str | None = None) -> FieldSchema:
    return FieldSchema(name, kind, read_only=True, description=description)


def _funnel() -> list[FieldSchema]:
    return [_read_only(n, _I) for n in ("visitors", "leads", "conversions")]


def _stamps(*names: str) -> list[FieldSchema]:
    return [_read_only(name, _T) for name in names]


_WRITE_ONLY = "write-only: sent on create or update, not returned"

AFFILIATES = ObjectSchema.of(
    [
        _id(),
        *_stamps("created_at", "updated_at"),
        FieldSchema("first_name", required=True),
        FieldSchema("last_name", required=True),
        FieldSchema("email", required=True, unique=True),
        FieldSchema("paypal_email"),
        FieldSchema("wise_email", description=_WRITE_ONLY),
        FieldSchema(
            "state",
            _E,
            options=AFFILIATE_STATES,
            description="a write without it makes the affiliate active; crmsync keeps the "
            "current state unless the map sets one",
        ),
        FieldSchema("stripe_customer_id", unique=True),
        _read_only("stripe_account_id"),
        *_funnel(),
        FieldSchema("campaign_id", description=f"moves the affiliate; {_WRITE_ONLY}"),
        _read_only("campaign", _O),
        _read_only("links", _A, "the affiliate's links: id, url, token, visitors, ..."),
        _read_only("coupon", _O),
        _read_only("commission_stats", _O, "commission and revenue totals per currency"),
        FieldSchema("token", description=f"the first link's token, on create; {_WRITE_ONLY}"),
        FieldSchema("receive_new_commission_notifications", _B, description=_WRITE_ONLY),
    ]
)

AFFILIATE_LINKS = ObjectSchema.of(
    [
        _id(),
        _read_only("url"),
        FieldSchema(
            "token",
            unique=True,
            description="letters, digits and dashes; derived from affiliate_id when not mapped",
        ),
        FieldSchema("affiliate_id", required=True),
        *_funnel(),
    ]
)

REFERRALS = ObjectSchema.of(
    [
        _id(),
        _read_only("link", _O),
        _read_only("visits", _I),
        _read_only("customer", _O, "id, name, email, platform; none for visitors"),
        _read_only("affiliate", _O),
        *_stamps("created_at", "updated_at", "expires_at", "deactivated_at"),
        FieldSchema("conversion_state", _E, read_only=True, options=CONVERSION_STATES),
        _read_only("stripe_account_id"),
        _read_only("stripe_customer_id"),
    ]
)

COMMISSIONS = ObjectSchema.of(
    [
        _id(),
        *_stamps("created_at", "updated_at", "due_at", "paid_at", "voided_at"),
        _read_only("amount", _I, "the commission, in cents of currency"),
        _read_only("currency"),
        FieldSchema("state", _E, read_only=True, options=COMMISSION_STATES),
        _read_only("campaign", _O),
        _read_only("sale", _O, "amounts in cents: sale_amount_cents, charge_amount_cents, ..."),
    ]
)

# Rewardful documents campaigns without listing their fields: these are the ones known,
# and the schema is open so that maps may name others.
CAMPAIGNS = ObjectSchema.of(
    [
        _id(),
        *_stamps("created_at", "updated_at"),
        _read_only("name"),
        _read_only("url"),
        _read_only("commission_percent", FieldType.DECIMAL),
        _read_only("minimum_payout_cents", _I),
        _read_only("days_before_referrals_expire", _I),
        _read_only("days_until_commissions_are_due", _I),
    ],
    open=True,
)
