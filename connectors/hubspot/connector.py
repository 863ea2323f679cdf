"""The HubSpot connector: contacts, companies and deals through the CRM v3 API."""

from __future__ import annotations

from collections.abc import Sequence

from crmsync.sdk import Connector, ConnectorContext, HttpClient, ObjectType, RateLimiter
from crmsync_connectors.hubspot.api import HubSpotApi
from crmsync_connectors.hubspot.associations import Resolver
from crmsync_connectors.hubspot.auth import Credentials
from crmsync_connectors.hubspot.errors import HubSpotSignals
from crmsync_connectors.hubspot.kinds import KINDS, RECORD_ID
from crmsync_connectors.hubspot.objects import HubSpotObject
from crmsync_connectors.hubspot.schema import Catalog
from crmsync_connectors.hubspot.settings import HubSpotSettings


class HubSpotConnector(Connector[HubSpotSettings]):
    """HubSpot CRM contacts, companies and deals, read and written in both directions.

    Every call goes through crmsync's HTTP client, built by hubspot-api-client's
    generated APIs. Ordinary calls and searches get separate clients because HubSpot
    limits them separately: the app's rolling ten-second window and daily budget, and
    search's own per-second limit.
    """

    name = "hubspot"
    title = "HubSpot CRM"
    settings_model = HubSpotSettings

    def __init__(self, settings: HubSpotSettings, context: ConnectorContext) -> None:
        super().__init__(settings, context)
        self._credentials = Credentials(settings, context)
        key = self._credentials.key
        # HubSpot counts calls in rolling windows: space them rather than allow bursts.
        limiter = context.limiter(key, [settings.rate_limit.spaced(), settings.daily_limit])
        search_limiter = context.limiter(key, [settings.search_rate_limit.spaced()])
        self._http = self._client(limiter)
        self._search_http = self._client(search_limiter)
        self._api = HubSpotApi(self._http, self._search_http)
        catalog, resolver = Catalog(self._api), Resolver(self._api)
        self._objects = [
            HubSpotObject(kind, self._api, catalog, resolver, settings) for kind in KINDS.values()
        ]

    def object_types(self) -> Sequence[ObjectType]:
        return self._objects

    def check(self) -> None:
        """One listing of one record per object type: the token works and can read each.

        A 401 or 403 raises an AuthError; a 403 names the scopes the app lacks.
        """
        for kind in KINDS:
            self._api.list_page(kind, [RECORD_ID], None, limit=1)

    def close(self) -> None:
        self._http.close()
        self._search_http.close()
        self._credentials.close()

    def _client(self, limiter: RateLimiter) -> HttpClient:
        return self.context.http(
            self.settings.base_url,
            auth=self._credentials.auth,
            limiter=limiter,
            classify=HubSpotSignals(limiter),
        )
