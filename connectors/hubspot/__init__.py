"""HubSpot CRM contacts, companies and deals (the ``hubspot`` connector).

The emulator, :mod:`crmsync_connectors.hubspot.emulator`, is imported separately.
"""

from crmsync_connectors.hubspot.connector import HubSpotConnector
from crmsync_connectors.hubspot.settings import HubSpotSettings, OAuthSettings

__all__ = ["HubSpotConnector", "HubSpotSettings", "OAuthSettings"]
