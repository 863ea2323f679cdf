"""A faithful local fake of Rewardful's REST API v1, for tests, the sandbox and the demo.

Built from the API contract (shared/docs/api-contracts.md section 4), not from the
connector, so that it is a second opinion on the connector's reading of the docs::

    emulator = RewardfulEmulator("sk_test_secret", clock=FakeClock())
    with emulator.data() as account:
        add_examples(account)
    with serve_wsgi(emulator) as server:
        ...  # base_url: f"{server.url}/v1"
"""

from crmsync_connectors.rewardful.emulator.account import KINDS, Account
from crmsync_connectors.rewardful.emulator.app import RATE, RewardfulEmulator
from crmsync_connectors.rewardful.emulator.examples import EXAMPLES_AS_OF, add_examples

__all__ = ["EXAMPLES_AS_OF", "KINDS", "RATE", "Account", "RewardfulEmulator", "add_examples"]
