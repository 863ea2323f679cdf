"""Example data for demos and the sandbox: a small referral programme, the same every time.

Two campaigns; 36 affiliates (a few disabled or suspicious), each with a link; referrals
in every conversion state, with customers for leads and conversions; commissions in every
state on the sales of converted customers. Everything happens in the year before
``as_of``, drawn from a seeded random generator.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from crmsync_connectors.rewardful.emulator.account import Account
from crmsync_connectors.rewardful.emulator.model import (
    Affiliate,
    CommissionState,
    ConversionState,
)

EXAMPLES_AS_OF = datetime(2026, 1, 1, tzinfo=UTC)

FIRST_NAMES = (
    "Ada", "Grace", "Alan", "Katherine", "Linus", "Margaret", "Dennis", "Barbara",
    "Edsger", "Frances", "Donald", "Radia", "Ken", "Hedy", "Tim", "Shafi",
    "John", "Sophie", "Guido", "Annie", "Niklaus", "Karen", "Bjarne", "Lynn",
    "Vint", "Mary", "Leslie", "Evelyn", "Yukihiro", "Joan", "Brian", "Adele",
    "James", "Ida", "Whitfield", "Jean",
)  # fmt: skip
LAST_NAMES = (
    "Lovelace", "Hopper", "Turing", "Johnson", "Torvalds", "Hamilton", "Ritchie", "Liskov",
    "Dijkstra", "Allen", "Knuth", "Perlman", "Thompson", "Lamarr", "Berners-Lee", "Goldwasser",
    "McCarthy", "Wilson", "van Rossum", "Easley", "Wirth", "Sparck Jones", "Stroustrup",
    "Conway", "Cerf", "Keller", "Lamport", "Boyd", "Matsumoto", "Clarke", "Kernighan",
    "Goldberg", "Gosling", "Rhodes", "Diffie", "Sammet",
)  # fmt: skip
PRICES_CENTS = (2900, 4900, 9900, 19900)
_SUSPICIOUS = frozenset({15})
_DISABLED = frozenset({7, 23})


def add_examples(account: Account, *, as_of: datetime = EXAMPLES_AS_OF, seed: int = 7) -> None:
    """Fill ``account`` with the example programme (see the module docstring)."""
    rng = random.Random(seed)
    started = as_of - timedelta(days=400)
    partners = account.default_campaign()
    partners.name, partners.created_at, partners.updated_at = "Partner program", started, started
    influencers = account.add_campaign(
        "Influencer program", commission_percent="30.0", created_at=started
    )
    customers = _customer_names(rng)
    for n, (first, last) in enumerate(zip(FIRST_NAMES, LAST_NAMES, strict=True)):
        created = as_of - timedelta(days=rng.randint(120, 365), minutes=rng.randint(0, 1439))
        affiliate = account.add_affiliate(
            f"{first}.{last.replace(' ', '')}@example.com".lower(),
            first,
            last,
            state="disabled" if n in _DISABLED else "suspicious" if n in _SUSPICIOUS else "active",
            campaign_id=(influencers if n % 3 == 0 else partners).id,
            created_at=created,
            updated_at=created + timedelta(days=rng.randint(0, 60)),
        )
        for _ in range(rng.randint(0, 5)):
            _add_referral(account, affiliate, rng, as_of, customers)


def _add_referral(
    account: Account,
    affiliate: Affiliate,
    rng: random.Random,
    as_of: datetime,
    customers: list[tuple[str, str]],
) -> None:
    span = (as_of - affiliate.created_at).days
    created = affiliate.created_at + timedelta(days=rng.randint(1, span - 90))
    state: ConversionState = rng.choice(("visitor", "lead", "lead", "conversion", "conversion"))
    customer = customers.pop() if state != "visitor" else None
    referral = account.add_referral(
        affiliate.id,
        conversion_state=state,
        customer=customer,
        visits=rng.randint(1, 6),
        created_at=created,
        updated_at=created + timedelta(days=rng.randint(0, 14), minutes=rng.randint(0, 600)),
    )
    if state != "conversion":
        return
    price = rng.choice(PRICES_CENTS)
    months = rng.randint(1, 3)
    for month in range(months):
        charged = referral.updated_at + timedelta(days=30 * month)
        account.add_commission(
            referral.id,
            sale_amount_cents=price,
            tax_amount_cents=price // 5 if rng.random() < 0.3 else 0,
            state=_commission_state(rng, newest=month == months - 1),
            created_at=charged,
            updated_at=min(charged + timedelta(days=rng.randint(0, 45)), as_of),
        )


def _commission_state(rng: random.Random, *, newest: bool) -> CommissionState:
    """Older commissions are mostly paid; the newest is usually still pending or due."""
    if newest:
        return rng.choice(("pending", "pending", "due", "paid", "voided"))
    return rng.choice(("paid", "paid", "paid", "voided"))


def _customer_names(rng: random.Random) -> list[tuple[str, str]]:
    """(name, email) for referred customers: the name lists paired up another way."""
    pairs = [(f, s) for f in FIRST_NAMES for s in LAST_NAMES[::7]]
    rng.shuffle(pairs)
    return [
        (f"{first} {last}", f"{first}.{last.replace(' ', '')}@customers.example.org".lower())
        for first, last in pairs
    ]
