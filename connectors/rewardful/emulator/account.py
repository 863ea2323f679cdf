"""The emulated Rewardful account: its records, and the writes its API accepts.

``add_*`` methods seed records for tests and examples; they trust their input. The
``create_*``/``update_*`` methods are what the HTTP API calls: they validate form fields as
Rewardful does and raise :class:`Invalid` with its 422 details, or :class:`Missing` for a
404. Nothing here locks: the WSGI app serialises every call.
"""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

from crmsync.sdk.clock import Clock
from crmsync_connectors.rewardful.emulator.model import (
    AFFILIATE_STATES,
    Affiliate,
    AffiliateState,
    Campaign,
    Commission,
    CommissionState,
    ConversionState,
    Customer,
    Link,
    Referral,
    Sale,
    to_millis,
)

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
TOKEN = re.compile(r"[A-Za-z0-9-]+")
_FALSE = frozenset({"0", "f", "false", "off", "no"})
_NAMES = (("first_name", "First name"), ("last_name", "Last name"), ("email", "Email"))
_OPTIONAL_EMAILS = (("paypal_email", "Paypal email"), ("wise_email", "Wise email"))
KINDS = ("campaigns", "affiliates", "links", "referrals", "commissions")

Stored = TypeVar("Stored", Campaign, Affiliate, Link, Referral, Commission)


class Invalid(Exception):
    """A write Rewardful refuses with 422 ``{error, details}``."""

    def __init__(self, details: list[str]) -> None:
        super().__init__("; ".join(details))
        self.details = details


class Missing(Exception):
    """A record the request names does not exist (404 ``{error}``)."""


class Account:
    """Every record of one Rewardful account, with deterministic ids.

    Args:
        clock: the time new and changed records are stamped with.
        seed: seeds the ids, so that the same calls give the same ids.
    """

    def __init__(self, clock: Clock, seed: int = 0) -> None:
        self.clock = clock
        self._rng = random.Random(seed)
        self.campaigns: dict[str, Campaign] = {}
        self.affiliates: dict[str, Affiliate] = {}
        self.links: dict[str, Link] = {}
        self.referrals: dict[str, Referral] = {}
        self.commissions: dict[str, Commission] = {}

    def now(self) -> datetime:
        return to_millis(self.clock.now())

    def new_id(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def records(self, kind: str) -> dict[str, Any]:
        """The records of ``kind``, one of :data:`KINDS`, by id."""
        if kind not in KINDS:
            raise ValueError(f"no such kind of record: {kind!r}; use one of {', '.join(KINDS)}")
        found: dict[str, Any] = getattr(self, kind)
        return found

    # -- seeding -------------------------------------------------------------------------

    def add_campaign(
        self,
        name: str,
        *,
        url: str = "https://www.example.com/",
        commission_percent: str = "20.0",
        default: bool = False,
        created_at: datetime | None = None,
    ) -> Campaign:
        at = to_millis(created_at) if created_at else self.now()
        campaign = Campaign(self.new_id(), at, at, name, url, commission_percent, default)
        self.campaigns[campaign.id] = campaign
        return campaign

    def add_affiliate(
        self,
        email: str,
        first_name: str,
        last_name: str,
        *,
        state: AffiliateState = "active",
        campaign_id: str | None = None,
        token: str | None = None,
        created_at: datetime | None = None,
        updated_at: datetime | None = None,
    ) -> Affiliate:
        """Add an affiliate and its first link, as Rewardful creates one with each."""
        created = to_millis(created_at) if created_at else self.now()
        affiliate = Affiliate(
            self.new_id(),
            created,
            to_millis(updated_at) if updated_at else created,
            first_name,
            last_name,
            email,
            campaign_id or self.default_campaign().id,
            state,
        )
        self.affiliates[affiliate.id] = affiliate
        self.add_link(affiliate.id, token, created_at=created)
        return affiliate

    def add_link(
        self, affiliate_id: str, token: str | None = None, *, created_at: datetime | None = None
    ) -> Link:
        affiliate = self.affiliates[affiliate_id]
        at = to_millis(created_at) if created_at else self.now()
        link = Link(self.new_id(), at, affiliate_id, token or self._free_token(affiliate))
        self.links[link.id] = link
        return link

    def add_referral(
        self,
        affiliate_id: str,
        *,
        conversion_state: ConversionState = "lead",
        customer: tuple[str, str] | None = None,
        visits: int = 1,
        created_at: datetime | None = None,
        updated_at: datetime | None = None,
    ) -> Referral:
        """Add a referral through the affiliate's first link.

        Args:
            customer: (name, email) of the customer; visitors have none.
        """
        created = to_millis(created_at) if created_at else self.now()
        link = next(k for k in self.links.values() if k.affiliate_id == affiliate_id)
        person = None
        if customer is not None:
            person = Customer(f"cus_{self.new_id().replace('-', '')[:14]}", *customer)
        referral = Referral(
            self.new_id(),
            created,
            to_millis(updated_at) if updated_at else created,
            affiliate_id,
            link.id,
            conversion_state,
            visits,
            person,
            created + timedelta(days=self._campaign_of(affiliate_id).days_before_referrals_expire),
        )
        self.referrals[referral.id] = referral
        return referral

    def add_commission(
        self,
        referral_id: str,
        *,
        sale_amount_cents: int,
        state: CommissionState,
        tax_amount_cents: int = 0,
        currency: str = "USD",
        created_at: datetime | None = None,
        updated_at: datetime | None = None,
    ) -> Commission:
        """Add a sale by a referred customer and the affiliate's commission on it."""
        created = to_millis(created_at) if created_at else self.now()
        referral = self.referrals[referral_id]
        campaign = self._campaign_of(referral.affiliate_id)
        sale = Sale(
            self.new_id(),
            referral_id,
            currency,
            sale_amount_cents + tax_amount_cents,
            sale_amount_cents,
            tax_amount_cents,
            created,
            created,
            f"ch_{self.new_id().replace('-', '')[:24]}",
        )
        amount = round(sale_amount_cents * float(campaign.commission_percent) / 100)
        commission = Commission(
            self.new_id(),
            created,
            to_millis(updated_at) if updated_at else created,
            campaign.id,
            sale,
            amount,
            currency,
            state,
        )
        _stamp(commission, created, campaign.days_until_commissions_are_due)
        self.commissions[commission.id] = commission
        return commission

    def default_campaign(self) -> Campaign:
        """The account's default campaign, made on first use: every account has one."""
        for campaign in self.campaigns.values():
            if campaign.default:
                return campaign
        return self.add_campaign("Default campaign", default=True)

    def touch(self, kind: str, record_id: str, at: datetime | None = None) -> None:
        """Set a record's ``updated_at`` (to now by default), as any change would."""
        if kind == "links":
            raise ValueError("links have no updated_at")
        self.records(kind)[record_id].updated_at = to_millis(at) if at else self.now()

    def remove(self, kind: str, record_id: str) -> None:
        """Delete a record (commissions can be deleted; the others only in the app)."""
        del self.records(kind)[record_id]

    # -- the API's writes ----------------------------------------------------------------

    def create_affiliate(self, form: Mapping[str, str]) -> Affiliate:
        problems = self._affiliate_problems(form, None)
        token = form.get("token") or None
        if token is not None:
            problems += self._token_problems(token)
        if problems:
            raise Invalid(problems)
        affiliate = self.add_affiliate(
            form["email"].strip(),
            form["first_name"].strip(),
            form["last_name"].strip(),
            state=cast("AffiliateState", form.get("state") or "active"),
            campaign_id=form.get("campaign_id") or None,
            token=token,
        )
        _apply_optional(affiliate, form)
        return affiliate

    def update_affiliate(self, affiliate: Affiliate, form: Mapping[str, str]) -> None:
        """A partial update; ``state`` is reset to active unless the form gives it."""
        problems = self._affiliate_problems(form, affiliate)
        if problems:
            raise Invalid(problems)
        for name in ("first_name", "last_name", "email"):
            if name in form:
                setattr(affiliate, name, form[name].strip())
        if form.get("campaign_id"):
            affiliate.campaign_id = form["campaign_id"]
        affiliate.state = cast("AffiliateState", form.get("state") or "active")
        _apply_optional(affiliate, form)
        affiliate.updated_at = self.now()

    def create_link(self, form: Mapping[str, str]) -> Link:
        affiliate_id = form.get("affiliate_id", "")
        if not affiliate_id:
            raise Invalid(["Affiliate can't be blank"])
        if affiliate_id not in self.affiliates:
            raise Missing("Affiliate not found")
        token = form.get("token") or None
        problems = [] if token is None else self._token_problems(token)
        if problems:
            raise Invalid(problems)
        return self.add_link(affiliate_id, token)

    # -- helpers ---------------------------------------------------------------------------

    def _affiliate_problems(self, form: Mapping[str, str], current: Affiliate | None) -> list[str]:
        problems = [
            f"{label} can't be blank"
            for name, label in _NAMES
            if (current is None or name in form) and not form.get(name, "").strip()
        ]
        email = form.get("email", "").strip()
        if email and not EMAIL.fullmatch(email):
            problems.append("Email is invalid")
        elif email and self._taken(email, current):
            problems.append("Email has already been taken")
        problems += [
            f"{label} is invalid"
            for name, label in _OPTIONAL_EMAILS
            if form.get(name) and not EMAIL.fullmatch(form[name].strip())
        ]
        if "state" in form and form["state"] not in AFFILIATE_STATES:
            problems.append("State is not included in the list")
        if form.get("campaign_id") and form["campaign_id"] not in self.campaigns:
            problems.append("Campaign must exist")
        customer = form.get("stripe_customer_id")
        if customer and any(
            a.stripe_customer_id == customer and a is not current for a in self.affiliates.values()
        ):
            problems.append("Stripe customer has already been taken")
        return problems

    def _taken(self, email: str, current: Affiliate | None) -> bool:
        folded = email.casefold()
        return any(
            a.email.casefold() == folded and a is not current for a in self.affiliates.values()
        )

    def _token_problems(self, token: str) -> list[str]:
        if not TOKEN.fullmatch(token):
            return ["Token is invalid (use letters, numbers and dashes only)"]
        if any(link.token.casefold() == token.casefold() for link in self.links.values()):
            return ["Token has already been taken"]
        return []

    def _free_token(self, affiliate: Affiliate) -> str:
        """A token from the affiliate's first name, numbered until no link has it."""
        base = re.sub(r"[^a-z0-9]", "", affiliate.first_name.lower()) or "affiliate"
        taken = {link.token for link in self.links.values()}
        candidate, n = base, 1
        while candidate in taken:
            n += 1
            candidate = f"{base}{n}"
        return candidate

    def _campaign_of(self, affiliate_id: str) -> Campaign:
        return self.campaigns[self.affiliates[affiliate_id].campaign_id]


def _apply_optional(affiliate: Affiliate, form: Mapping[str, str]) -> None:
    for name in ("paypal_email", "wise_email", "stripe_customer_id"):
        if name in form:
            setattr(affiliate, name, form[name].strip() or None)
    flag = form.get("receive_new_commission_notifications")
    if flag is not None:
        affiliate.receive_new_commission_notifications = flag.strip().lower() not in _FALSE


def _stamp(commission: Commission, created: datetime, days_until_due: int) -> None:
    """Set the due, paid and voided times that the commission's state implies."""
    if commission.state in ("due", "paid"):
        commission.due_at = created + timedelta(days=days_until_due)
    if commission.state == "paid":
        commission.paid_at = created + timedelta(days=days_until_due + 3)
    if commission.state == "voided":
        commission.voided_at = created + timedelta(days=7)


def newest_first(records: Iterable[Stored]) -> list[Stored]:
    """Rewardful's list order: by creation, newest first (ids break ties)."""
    return sorted(records, key=lambda r: (r.created_at, r.id), reverse=True)
