"""Records as Rewardful's JSON, with the nested objects a request expands.

A nested object a request may expand (an affiliate's campaign and links, a referral's
affiliate, a commission's sale and campaign) is rendered in full when expanded and as
``{"id": ...}`` otherwise; ``commission_stats`` appears only when expanded. The contract
does not say what an unexpanded object looks like; an id alone is the strictest reading.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from functools import cached_property
from typing import Any, TypeVar

from crmsync_connectors.rewardful.emulator.account import Account
from crmsync_connectors.rewardful.emulator.model import (
    Affiliate,
    Campaign,
    Commission,
    Link,
    Referral,
    Sale,
    iso,
)

Json = dict[str, Any]
Nested = TypeVar("Nested", Affiliate, Campaign, Link, Sale)
_UNPAID = ("pending", "due")


class Renderer:
    """Renders records of ``account`` for one request.

    Args:
        account: where related records and counters come from.
        expand: the nested objects the request asked for in full.
    """

    def __init__(self, account: Account, expand: Iterable[str] = ()) -> None:
        self.account = account
        self.expand = frozenset(expand)

    def campaign(self, campaign: Campaign) -> Json:
        members = [a for a in self.account.affiliates.values() if a.campaign_id == campaign.id]
        funnel = Counter[str]()
        for affiliate in members:
            funnel.update(self._funnel_of_affiliate[affiliate.id])
        return {
            "id": campaign.id,
            "created_at": iso(campaign.created_at),
            "updated_at": iso(campaign.updated_at),
            "name": campaign.name,
            "url": campaign.url,
            "private": campaign.private,
            "default": campaign.default,
            "reward_type": "percent",
            "commission_percent": campaign.commission_percent,
            "minimum_payout_cents": campaign.minimum_payout_cents,
            "days_before_referrals_expire": campaign.days_before_referrals_expire,
            "days_until_commissions_are_due": campaign.days_until_commissions_are_due,
            "affiliates": len(members),
            **_funnel(funnel),
        }

    def affiliate(self, affiliate: Affiliate) -> Json:
        links = [k for k in self.account.links.values() if k.affiliate_id == affiliate.id]
        links.sort(key=lambda k: (k.created_at, k.id))
        campaign = self.account.campaigns[affiliate.campaign_id]
        body: Json = {
            "id": affiliate.id,
            "created_at": iso(affiliate.created_at),
            "updated_at": iso(affiliate.updated_at),
            "first_name": affiliate.first_name,
            "last_name": affiliate.last_name,
            "email": affiliate.email,
            "paypal_email": affiliate.paypal_email,
            "state": affiliate.state,
            "stripe_customer_id": affiliate.stripe_customer_id,
            "stripe_account_id": affiliate.stripe_account_id,
            **_funnel(self._funnel_of_affiliate[affiliate.id]),
            "campaign": self._nested("campaign", campaign, self.plain.campaign),
            "links": [self._nested("links", link, self.link) for link in links],
            "coupon": None,
        }
        if "commission_stats" in self.expand:
            body["commission_stats"] = self._commission_stats(affiliate.id)
        return body

    def link(self, link: Link) -> Json:
        affiliate = self.account.affiliates[link.affiliate_id]
        campaign = self.account.campaigns[affiliate.campaign_id]
        return {
            "id": link.id,
            "url": f"{campaign.url}?via={link.token}",
            "token": link.token,
            **_funnel(self._funnel_of_link[link.id]),
            "affiliate_id": link.affiliate_id,
        }

    def referral(self, referral: Referral) -> Json:
        link = self.account.links.get(referral.link_id)
        affiliate = self.account.affiliates[referral.affiliate_id]
        customer = referral.customer
        return {
            "id": referral.id,
            "link": None if link is None else _short_link(self.link(link)),
            "visits": referral.visits,
            "customer": None
            if customer is None
            else {
                "id": customer.id,
                "name": customer.name,
                "email": customer.email,
                "platform": customer.platform,
            },
            "affiliate": self._nested("affiliate", affiliate, self.plain.affiliate),
            "created_at": iso(referral.created_at),
            "updated_at": iso(referral.updated_at),
            "expires_at": iso(referral.expires_at),
            "deactivated_at": iso(referral.deactivated_at),
            "conversion_state": referral.conversion_state,
            "stripe_account_id": referral.stripe_account_id,
            "stripe_customer_id": None if customer is None else customer.id,
        }

    def commission(self, commission: Commission) -> Json:
        campaign = self.account.campaigns[commission.campaign_id]
        return {
            "id": commission.id,
            "created_at": iso(commission.created_at),
            "updated_at": iso(commission.updated_at),
            "amount": commission.amount,
            "currency": commission.currency,
            "state": commission.state,
            "due_at": iso(commission.due_at),
            "paid_at": iso(commission.paid_at),
            "voided_at": iso(commission.voided_at),
            "campaign": self._nested("campaign", campaign, self.plain.campaign),
            "sale": self._nested("sale", commission.sale, self.sale),
        }

    def sale(self, sale: Sale) -> Json:
        referral = self.account.referrals.get(sale.referral_id)
        affiliate = None if referral is None else self.account.affiliates[referral.affiliate_id]
        return {
            "id": sale.id,
            "currency": sale.currency,
            "charge_amount_cents": sale.charge_amount_cents,
            "sale_amount_cents": sale.sale_amount_cents,
            "tax_amount_cents": sale.tax_amount_cents,
            "refund_amount_cents": sale.refund_amount_cents,
            "stripe_charge_id": sale.stripe_charge_id,
            "charged_at": iso(sale.charged_at),
            "invoiced_at": iso(sale.invoiced_at),
            "referral": None if referral is None else self.plain.referral(referral),
            "affiliate": None if affiliate is None else self.plain.affiliate(affiliate),
        }

    @cached_property
    def plain(self) -> Renderer:
        """A renderer that expands nothing, for objects nested inside expanded ones."""
        return self if not self.expand else Renderer(self.account)

    def _nested(self, name: str, record: Nested, render: Callable[[Nested], Json]) -> Json:
        return render(record) if name in self.expand else {"id": record.id}

    @cached_property
    def _funnel_of_affiliate(self) -> defaultdict[str, Counter[str]]:
        funnels: defaultdict[str, Counter[str]] = defaultdict(Counter)
        for referral in self.account.referrals.values():
            funnels[referral.affiliate_id][referral.conversion_state] += 1
        return funnels

    @cached_property
    def _funnel_of_link(self) -> defaultdict[str, Counter[str]]:
        funnels: defaultdict[str, Counter[str]] = defaultdict(Counter)
        for referral in self.account.referrals.values():
            funnels[referral.link_id][referral.conversion_state] += 1
        return funnels

    def _commission_stats(self, affiliate_id: str) -> Json:
        """Amounts per currency: unpaid (pending and due), due, paid, total, revenue."""
        sums: defaultdict[str, Counter[str]] = defaultdict(Counter)
        for commission in self.account.commissions.values():
            referral = self.account.referrals.get(commission.sale.referral_id)
            if referral is None or referral.affiliate_id != affiliate_id:
                continue
            if commission.state == "voided":
                continue
            amounts = sums[commission.currency]
            amounts["total"] += commission.amount
            amounts[commission.state] += commission.amount
            amounts["unpaid"] += commission.amount if commission.state in _UNPAID else 0
            amounts["gross_revenue"] += commission.sale.sale_amount_cents
        return {
            "currencies": {
                currency: {
                    kind: {"cents": amounts[kind], "currency_iso": currency}
                    for kind in ("unpaid", "due", "paid", "total", "gross_revenue")
                }
                | {
                    "net_revenue": {
                        "cents": amounts["gross_revenue"] - amounts["total"],
                        "currency_iso": currency,
                    }
                }
                for currency, amounts in sums.items()
            }
        }


def _funnel(counts: Counter[str]) -> Json:
    """Visitors (every referral), leads (signed up or paid) and conversions (paid)."""
    return {
        "visitors": sum(counts.values()),
        "leads": counts["lead"] + counts["conversion"],
        "conversions": counts["conversion"],
    }


def _short_link(link: Json) -> Json:
    return {key: link[key] for key in ("id", "url", "token")}
