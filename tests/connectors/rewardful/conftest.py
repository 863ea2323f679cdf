from __future__ import annotations

import pytest

from crmsync.testing import FakeClock
from crmsync_connectors.rewardful import RewardfulConnector
from crmsync_connectors.rewardful.emulator import RewardfulEmulator

from .helpers import SECRET, connect


@pytest.fixture
def emulator(clock: FakeClock) -> RewardfulEmulator:
    """An account with only its default campaign, on the test's fake clock."""
    return RewardfulEmulator(SECRET, clock=clock)


@pytest.fixture
def connector(emulator: RewardfulEmulator, clock: FakeClock) -> RewardfulConnector:
    return connect(emulator, clock, page_size=10)
