"""The HubSpot connector: contacts, companies and deals through the CRM v3 API."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from crmsync.sdk import Connector, ConnectorContext, HttpClient, ObjectType, Rate, RateLimiter
from crmsync_connectors.hubspot.api import HubSpotApi
from crmsync_connectors.hubspot.associations import Resolver
from crmsync_connectors.hubspot.auth import Credentials
from crmsync_connectors.hubspot.errors import HubSpotSignals
from crmsync_connectors.hubspot.kinds import KINDS, RECORD_ID
from crmsync_connectors.hubspot.objects import HubSpotObject
from crmsync_connectors.hubspot.schema import Catalog
from crmsync_connectors.hubspot.settings import HubSpotSettings

PACING_SLACK = timedelta(milliseconds=100)
"""How much longer than its window a paced run of ``calls`` calls takes."""


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
        limiter = context.limiter(key, [paced(settings.rate_limit), settings.daily_limit])
        search_limiter = context.limiter(key, [paced(settings.search_rate_limit)])
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


def paced(rate: Rate) -> Rate:
    """``rate`` as one call every ``(per + PACING_SLACK) / calls``.

    HubSpot counts calls in rolling windows. A bucket that allowed a burst of ``calls``
    and then refilled at the same rate would let up to twice ``calls`` into one window;
    calls spaced evenly never put more than ``calls`` in any window. The slack keeps
    network jitter from bunching the last call of a window into the previous one.
    """
    return Rate(1, (rate.per + PACING_SLACK) / rate.calls)
