"""The shipped HubSpot <-> Rewardful maps, end to end against both emulators.

config.example.yaml's four syncs run twice over the sandboxes' example data; then the
same project is checked against a HubSpot portal that lacks the custom properties.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from crmsync.cli.scaffold import copy_example
from crmsync.engine.reports import RunReport
from crmsync.state import RunOutcome
from crmsync.testing import serve_wsgi
from crmsync.workspace import Workspace
from crmsync_connectors.hubspot.emulator import HubSpotEmulator
from crmsync_connectors.hubspot.emulator.demo import DEMO_TOKEN, demo_emulator
from crmsync_connectors.rewardful.emulator import RewardfulEmulator
from crmsync_connectors.rewardful.sandbox import SANDBOX_SECRET, sandbox

pytestmark = pytest.mark.e2e


@pytest.fixture
def rewardful() -> RewardfulEmulator:
    emulator = sandbox().app
    assert isinstance(emulator, RewardfulEmulator)
    return emulator


@contextmanager
def _project(
    folder: Path, hubspot: HubSpotEmulator, rewardful: RewardfulEmulator, env: pytest.MonkeyPatch
) -> Iterator[Workspace]:
    with ExitStack() as stack:
        hubspot_url = stack.enter_context(serve_wsgi(hubspot)).url
        rewardful_url = stack.enter_context(serve_wsgi(rewardful)).url
        env.setenv("HUBSPOT_BASE_URL", hubspot_url)
        env.setenv("HUBSPOT_TOKEN", DEMO_TOKEN)
        env.setenv("REWARDFUL_BASE_URL", f"{rewardful_url}/v1")
        env.setenv("REWARDFUL_API_SECRET", SANDBOX_SECRET)
        workspace = Workspace.open(copy_example(folder, overwrite=False))
        stack.callback(workspace.close)
        yield workspace


def _run_all(workspace: Workspace) -> list[RunReport]:
    return [workspace.run(sync.name) for sync in workspace.loaded.config.syncs]


def test_the_shipped_maps_check_out_and_sync_both_ways(
    tmp_path: Path, rewardful: RewardfulEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    hubspot = demo_emulator()
    with _project(tmp_path, hubspot, rewardful, monkeypatch) as workspace:
        findings = list(workspace.check())
        first, second = _run_all(workspace), _run_all(workspace)

    assert findings == []
    assert all(r.outcome is RunOutcome.SUCCEEDED and r.counts.created for r in first), first
    assert all(r.counts.created + r.counts.updated == 0 for r in second), second
    with rewardful.data() as account:
        enrolled = {a.email for a in account.affiliates.values()}
        commissions = set(account.commissions)
    contacts = {c["email"]: c for c in hubspot.records("contacts")}
    assert all(contacts[email]["affiliate_id"] for email in enrolled)  # onboarded, every one
    deals = [d for d in hubspot.records("deals") if d.get("crmsync_external_id") in commissions]
    assert len(deals) == len(commissions)
    for deal in deals:
        [contact_id] = hubspot.associations("deals", deal["hs_object_id"], "contacts")
        contact = hubspot.record("contacts", contact_id)
        assert contact is not None
        assert contact["affiliate_id"]  # the referrer's contact


def test_check_names_the_custom_properties_a_portal_lacks(
    tmp_path: Path, rewardful: RewardfulEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    bare = HubSpotEmulator(token=DEMO_TOKEN)  # a portal with HubSpot's own properties only
    with _project(tmp_path, bare, rewardful, monkeypatch) as workspace:
        findings = [(f.sync, f.severity, f.message) for f in workspace.check()]

    missing = {message for _, severity, message in findings if severity == "error"}
    for name in ("affiliate_id", "referral_status", "referral_sales", "affiliate_since"):
        assert f"the target has no field {name!r}" in missing
    assert "the target has no field 'commission_amount'" in missing
    assert ("referral-sales", "error", "the target has no field 'crmsync_external_id'") in findings
