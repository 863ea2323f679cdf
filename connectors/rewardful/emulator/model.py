"""What the emulated Rewardful account stores, one dataclass per kind of record.

Times are aware UTC datetimes cut to milliseconds, as Rewardful reports them. Counters the
API computes (visitors, leads, conversions, commission stats) are not stored: they are
derived from the referrals and commissions when a record is rendered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

AffiliateState = Literal["active", "disabled", "suspicious"]
ConversionState = Literal["visitor", "lead", "conversion"]
CommissionState = Literal["pending", "due", "paid", "voided"]

AFFILIATE_STATES: tuple[AffiliateState, ...] = ("active", "disabled", "suspicious")
CONVERSION_STATES: tuple[ConversionState, ...] = ("visitor", "lead", "conversion")
COMMISSION_STATES: tuple[CommissionState, ...] = ("pending", "due", "paid", "voided")


def to_millis(value: datetime) -> datetime:
    """``value`` in UTC with the microseconds cut to whole milliseconds."""
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def iso(value: datetime | None) -> str | None:
    """Rewardful's time format: ISO 8601 in UTC with milliseconds, ``...T09:30:12.000Z``."""
    if value is None:
        return None
    value = to_millis(value)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


@dataclass(slots=True)
class Campaign:
    id: str
    created_at: datetime
    updated_at: datetime
    name: str
    url: str
    commission_percent: str  # a decimal, which Rails renders as text: "20.0"
    default: bool = False
    private: bool = False
    days_before_referrals_expire: int = 60
    days_until_commissions_are_due: int = 30
    minimum_payout_cents: int = 5000


@dataclass(slots=True)
class Affiliate:
    id: str
    created_at: datetime
    updated_at: datetime
    first_name: str
    last_name: str
    email: str
    campaign_id: str
    state: AffiliateState = "active"
    paypal_email: str | None = None
    wise_email: str | None = None
    stripe_customer_id: str | None = None
    stripe_account_id: str | None = None
    receive_new_commission_notifications: bool = True


@dataclass(slots=True)
class Link:
    id: str
    created_at: datetime
    affiliate_id: str
    token: str


@dataclass(slots=True)
class Customer:
    id: str
    name: str
    email: str
    platform: str = "stripe"


@dataclass(slots=True)
class Referral:
    id: str
    created_at: datetime
    updated_at: datetime
    affiliate_id: str
    link_id: str
    conversion_state: ConversionState
    visits: int = 1
    customer: Customer | None = None
    expires_at: datetime | None = None
    deactivated_at: datetime | None = None
    stripe_account_id: str | None = None


@dataclass(slots=True)
class Sale:
    id: str
    referral_id: str
    currency: str
    charge_amount_cents: int
    sale_amount_cents: int
    tax_amount_cents: int
    charged_at: datetime
    invoiced_at: datetime
    stripe_charge_id: str
    refund_amount_cents: int = 0


@dataclass(slots=True)
class Commission:
    id: str
    created_at: datetime
    updated_at: datetime
    campaign_id: str
    sale: Sale
    amount: int  # cents
    currency: str
    state: CommissionState
    due_at: datetime | None = None
    paid_at: datetime | None = None
    voided_at: datetime | None = None
