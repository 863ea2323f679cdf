"""Rewardful, the affiliate platform, as a crmsync source and target (``rewardful``)."""

from crmsync_connectors.rewardful.connector import RewardfulConnector
from crmsync_connectors.rewardful.settings import RewardfulSettings

__all__ = ["RewardfulConnector", "RewardfulSettings"]
