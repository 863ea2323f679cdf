"""Rewardful's sandbox: the emulator with the example programme, for `crmsync sandbox`/`demo`."""

from __future__ import annotations

from crmsync.sdk.serving import Sandbox
from crmsync_connectors.rewardful.emulator import RewardfulEmulator, add_examples

SANDBOX_SECRET = "sk_crmsync_sandbox"  # the sandbox's well-known, public secret


def sandbox() -> Sandbox:
    """A Rewardful emulator holding the example programme, at Rewardful's real rate limit."""
    emulator = RewardfulEmulator(SANDBOX_SECRET)
    with emulator.data() as account:
        add_examples(account)
    return Sandbox(
        emulator,
        lambda url: {"REWARDFUL_BASE_URL": f"{url}/v1", "REWARDFUL_API_SECRET": SANDBOX_SECRET},
    )
