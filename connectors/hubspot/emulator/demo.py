"""An emulator with example data, for ``crmsync sandbox`` and ``crmsync demo``.

A small referral programme's portal: contacts (some opted in to the programme, some
already affiliates), companies, and deals associated with both, plus the custom
properties the shipped field maps write (``affiliate_id``, ``referral_status``, ...)
and a unique ``crmsync_external_id`` on companies and deals to upsert them by.
"""

from __future__ import annotations

from datetime import timedelta

from crmsync.sdk import SYSTEM_CLOCK, Clock
from crmsync_connectors.hubspot.emulator.app import HubSpotEmulator, OAuthApp

DEMO_TOKEN = "pat-na1-crmsync-demo-token"
DEMO_OAUTH = OAuthApp("crmsync-demo-client", "crmsync-demo-secret", "crmsync-demo-refresh")

_FIRST = ("Ada", "Grace", "Alan", "Radia", "Edsger", "Barbara", "Dennis", "Frances", "Ken", "Anita")
_LAST = ("Lovelace", "Hopper", "Turing", "Perlman", "Dijkstra", "Liskov", "Ritchie", "Allen")
_COMPANIES = ("Hooli", "Initech", "Stark Software", "Tyrell Systems", "Globex")
_STAGES = ("subscriber", "lead", "customer", "evangelist")


def demo_emulator(clock: Clock = SYSTEM_CLOCK, *, contacts: int = 30) -> HubSpotEmulator:
    """A HubSpot emulator seeded with a referral programme's portal.

    It accepts :data:`DEMO_TOKEN` as a private-app token, and :data:`DEMO_OAUTH`'s
    client and refresh token at its OAuth token endpoint.
    """
    emulator = HubSpotEmulator(clock, token=DEMO_TOKEN, oauth=DEMO_OAUTH, first_id=1001)
    _add_properties(emulator)
    now = clock.now().replace(microsecond=0)
    companies = emulator.seed(
        "companies",
        [
            {
                "name": name,
                "domain": f"{name.lower().replace(' ', '')}.example",
                "crmsync_external_id": f"company-{n}",
            }
            for n, name in enumerate(_COMPANIES, start=1)
        ],
        modified=now - timedelta(days=2),
    )
    rows = [_contact(n) for n in range(contacts)]
    people = emulator.seed(
        "contacts", rows, modified=[now - timedelta(hours=contacts - n) for n in range(contacts)]
    )
    deals = emulator.seed(
        "deals",
        [
            {
                "dealname": f"Referral deal {n}",
                "amount": str(500 + 250 * n),
                "pipeline": "default",
                "dealstage": "closedwon" if n % 3 == 0 else "qualifiedtobuy",
                "crmsync_external_id": f"deal-{n}",
                "referral_source": "Affiliate",
            }
            for n in range(1, 11)
        ],
        modified=now - timedelta(hours=1),
    )
    for n, deal in enumerate(deals):
        emulator.link("deals", deal, "contacts", people[n * 2 % len(people)])
        emulator.link("deals", deal, "companies", companies[n % len(companies)])
    return emulator


def _contact(n: int) -> dict[str, str]:
    first, last = _FIRST[n % len(_FIRST)], _LAST[n % len(_LAST)]
    stage = _STAGES[n % len(_STAGES)]
    row = {
        "email": f"{first}.{last}{n}@example.com".lower(),
        "firstname": first,
        "lastname": last,
        "company": _COMPANIES[n % len(_COMPANIES)],
        "lifecyclestage": stage,
        "referral_opt_in": "true" if n % 3 else "false",
        "lead_source": ("Affiliate", "Partner", "Organic Search")[n % 3],
    }
    if stage == "evangelist":
        row |= {"affiliate_id": f"aff_{n:04d}", "referral_status": "active"}
    return row


def _add_properties(emulator: HubSpotEmulator) -> None:
    for name in ("affiliate_id", "referral_link", "lead_source", "referred_by_affiliate"):
        emulator.add_property("contacts", name)
    emulator.add_property(
        "contacts",
        "referral_status",
        type="enumeration",
        field_type="select",
        options=("pending", "active", "inactive", "under_review"),
    )
    emulator.add_property("contacts", "referral_opt_in", type="bool", field_type="booleancheckbox")
    for name in ("commission_rate", "referral_sales", "referral_visitors", "referral_leads"):
        emulator.add_property("contacts", name, type="number", field_type="number")
    emulator.add_property("contacts", "referral_conversions", type="number", field_type="number")
    emulator.add_property("contacts", "affiliate_since", type="date", field_type="date")
    emulator.add_property("deals", "referral_source")
    emulator.add_property("deals", "commission_amount", type="number", field_type="number")
    emulator.add_property(
        "deals",
        "commission_state",
        type="enumeration",
        field_type="select",
        options=("pending", "due", "paid", "voided"),
    )
    for object_type in ("companies", "deals"):
        emulator.add_property(object_type, "crmsync_external_id", unique=True)
