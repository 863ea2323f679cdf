"""A faithful local HubSpot: the CRM v3 API subset crmsync uses, as a WSGI app.

Built from crmsync's HubSpot API contract (``api-contracts.md`` §1), not from the
connector. Run it in-process with ``crmsync.testing.wsgi_session`` or on loopback with
``crmsync.testing.serve_wsgi``; :func:`demo_emulator` gives one with example data.
"""

from crmsync_connectors.hubspot.emulator.app import (
    ACCESS_TOKEN_LIFETIME,
    Flakiness,
    HubSpotEmulator,
    OAuthApp,
)
from crmsync_connectors.hubspot.emulator.demo import DEMO_OAUTH, DEMO_TOKEN, demo_emulator
from crmsync_connectors.hubspot.emulator.limits import Limits

__all__ = [
    "ACCESS_TOKEN_LIFETIME",
    "DEMO_OAUTH",
    "DEMO_TOKEN",
    "Flakiness",
    "HubSpotEmulator",
    "Limits",
    "OAuthApp",
    "demo_emulator",
]
