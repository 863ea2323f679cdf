"""The ``rewardful`` connector: Rewardful's affiliates, links, referrals, commissions and
campaigns, through its REST API v1."""

from __future__ import annotations

from collections.abc import Sequence

from crmsync.sdk import BasicAuth, Connector, ConnectorContext, ObjectType
from crmsync_connectors.rewardful.affiliates import Affiliates
from crmsync_connectors.rewardful.api import RewardfulApi
from crmsync_connectors.rewardful.links import AffiliateLinks
from crmsync_connectors.rewardful.listings import Campaigns, Commissions
from crmsync_connectors.rewardful.referrals import Referrals
from crmsync_connectors.rewardful.settings import RewardfulSettings
from crmsync_connectors.rewardful.signals import RewardfulSignals


class RewardfulConnector(Connector[RewardfulSettings]):
    """Rewardful, the affiliate platform: see docs/connectors/rewardful.md.

    Every call goes through the SDK's HTTP client with Basic auth (the API secret as the
    user name, no password) and the secret's shared rate limiter, which Rewardful's
    ``RateLimit-*`` headers keep in step with its own count.
    """

    name = "rewardful"
    title = "Rewardful"
    settings_model = RewardfulSettings

    def __init__(self, settings: RewardfulSettings, context: ConnectorContext) -> None:
        super().__init__(settings, context)
        secret = settings.api_secret.get_secret_value()
        limiter = context.limiter(secret, [settings.rate_limit])
        self._http = context.http(
            settings.base_url,
            auth=BasicAuth(settings.api_secret, "", context.redactor),
            limiter=limiter,
            classify=RewardfulSignals(limiter, context.clock),
        )
        api = RewardfulApi(self._http, settings.page_size)
        self._objects: list[ObjectType] = [
            Affiliates(api),
            AffiliateLinks(api, settings.link_token_prefix),
            Referrals(api),
            Commissions(api, settings.commission_states),
            Campaigns(api),
        ]
        self._api = api

    def object_types(self) -> Sequence[ObjectType]:
        return self._objects

    def check(self) -> None:
        """One request (the first campaign) that proves the API secret works."""
        self._api.probe()

    def close(self) -> None:
        self._http.close()
