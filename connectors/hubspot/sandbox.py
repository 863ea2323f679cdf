"""HubSpot's sandbox: the emulator with an example portal, for `crmsync sandbox`/`demo`."""

from __future__ import annotations

from crmsync.sdk.serving import Sandbox
from crmsync_connectors.hubspot.emulator.demo import DEMO_TOKEN, demo_emulator


def sandbox() -> Sandbox:
    """A HubSpot emulator holding a referral programme's portal, at HubSpot's real limits."""
    return Sandbox(
        demo_emulator(), lambda url: {"HUBSPOT_BASE_URL": url, "HUBSPOT_TOKEN": DEMO_TOKEN}
    )
