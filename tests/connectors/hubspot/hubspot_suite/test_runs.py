"""The connector under the real engine: call budgets, a flaky HubSpot, associations.

Each test runs ``run_sync`` with a ``files`` connection on the other side and a SQLite
state store, on the fake clock the connector and the emulator share.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from crmsync import yamlfile
from crmsync.engine.job import DeletePolicy, RunKind, RunOptions, SyncJob
from crmsync.engine.reports import RunReport
from crmsync.engine.runner import run_sync
from crmsync.mapping import parse_field_map
from crmsync.mapping.check import Severity, check_map
from crmsync.sdk import ObjectSchema
from crmsync.state import RunOutcome, StateStore
from crmsync_connectors.hubspot.emulator import Flakiness

from .helpers import (
    T0,
    Rig,
    contacts,
    files_object,
    job,
    minutes,
    read_jsonl,
    rig,
    state,
    write_jsonl,
)

PEOPLE_TO_CONTACTS = """\
version: 1
match: {source: email, target: email, transforms: [strip, lower]}
fields:
  email: {source: email, required: true}
  firstname: first
  lastname: last
"""

CONTACTS_TO_FILE = """\
version: 1
match: {source: email, target: email}
fields:
  name: {template: "{firstname} {lastname}"}
"""

COMMISSIONS_TO_DEALS = """\
version: 1
match: {source: id, target: crmsync_external_id}
fields:
  dealname: {template: "Commission {id}"}
  amount: {source: amount_cents, transforms: [cents_to_amount], type: decimal}
  pipeline: {constant: default}
  dealstage: {source: state, map: {paid: closedwon, due: contractsent}, default: qualifiedtobuy}
  associations.contacts.email: affiliate_email
"""

WRITES = "POST /crm/v3/objects/contacts/batch/"


def people(n: int, *, at: int = 0, name: str = "First") -> list[dict[str, Any]]:
    stamp = (T0 + timedelta(minutes=at)).isoformat()
    return [
        {
            "id": str(k),
            "email": f"Person{k}@Example.com ",
            "first": f"{name}{k}",
            "last": f"Last{k}",
            "updated_at": stamp,
        }
        for k in range(n)
    ]


def run(sync: SyncJob, store: StateStore, hub: Rig, kind: RunKind = RunKind.RUN) -> RunReport:
    return run_sync(sync, store, RunOptions(kind=kind), counter=hub.counter, clock=hub.clock)


def files_to_hubspot(folder: Path, hub: Rig, **options: Any) -> SyncJob:
    source = files_object(folder, "people", path="people.jsonl", updated_at="updated_at")
    return job("people-to-hubspot", source, hub.object("contacts"), PEOPLE_TO_CONTACTS, **options)


def test_upserting_1000_changed_contacts_costs_10_write_calls(tmp_path: Path) -> None:
    hub = rig()
    store = state(tmp_path, hub.clock)
    sync = files_to_hubspot(tmp_path, hub)
    write_jsonl(tmp_path / "people.jsonl", people(1000))

    created = run(sync, store, hub)
    assert created.outcome is RunOutcome.SUCCEEDED, created.message
    assert created.counts.created == 1000
    assert hub.emulator.calls == {f"{WRITES}upsert": 10}
    assert created.api_calls == {"hubspot": 10}

    hub.emulator.reset_counts()
    write_jsonl(tmp_path / "people.jsonl", people(1000, at=5, name="Changed"))
    changed = run(sync, store, hub)
    assert changed.counts.updated == 1000
    assert hub.emulator.calls == {f"{WRITES}update": 10}  # linked records: by id
    held = hub.emulator.records("contacts")
    assert len(held) == 1000
    assert {r["firstname"][:7] for r in held} == {"Changed"}

    hub.emulator.reset_counts()
    unchanged = run(sync, store, hub)
    assert unchanged.counts.unchanged + unchanged.counts.created + unchanged.counts.updated == 0
    assert hub.emulator.calls == {}


def test_a_run_with_no_changes_in_hubspot_costs_one_search(tmp_path: Path) -> None:
    hub = rig(settings={"page_size": 100})
    hub.emulator.seed("contacts", contacts(250), modified=minutes(T0, 250))
    target = files_object(tmp_path, "readers", path="readers.jsonl", key="email")
    sync = job("hubspot-to-file", hub.object("contacts"), target, CONTACTS_TO_FILE)
    store = state(tmp_path, hub.clock)

    first = run(sync, store, hub)
    assert first.outcome is RunOutcome.SUCCEEDED, first.message
    assert hub.emulator.calls == {"GET /crm/v3/objects/contacts": 3}
    assert len(read_jsonl(tmp_path / "readers.jsonl")) == 250

    hub.clock.advance(3600)
    hub.emulator.reset_counts()
    second = run(sync, store, hub)

    assert second.api_calls == {"hubspot": 1}  # the records in the lookback, unchanged
    assert hub.emulator.calls == {"POST /crm/v3/objects/contacts/search": 1}
    assert second.counts.read == 6
    assert second.counts.unchanged == 6


def test_a_run_against_a_flaky_hubspot_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    """429s, 503s, and 504s that come after the write happened, on a sixth of requests."""
    hub = rig(settings={"page_size": 10, "search_page_size": 10})
    hub.emulator.flaky(Flakiness(rate_limited=0.08, unavailable=0.04, lost=0.04, seed=11))
    store = state(tmp_path, hub.clock)
    write_jsonl(tmp_path / "people.jsonl", people(300))

    inbound = run(files_to_hubspot(tmp_path, hub, batch_size=10), store, hub)

    assert inbound.outcome is RunOutcome.SUCCEEDED, inbound.message
    emails = sorted(r["email"] for r in hub.emulator.records("contacts"))
    assert emails == sorted(f"person{k}@example.com" for k in range(300))
    assert hub.emulator.count(f"{WRITES}upsert") > 30, "no write call failed: not a test"

    target = files_object(tmp_path, "readers", path="readers.jsonl", key="email")
    outbound = run(job("out", hub.object("contacts"), target, CONTACTS_TO_FILE), store, hub)

    assert outbound.outcome is RunOutcome.SUCCEEDED, outbound.message
    written = [row["email"] for row in read_jsonl(tmp_path / "readers.jsonl")]
    assert sorted(written) == emails


def test_commissions_become_deals_associated_with_the_affiliates_contact(tmp_path: Path) -> None:
    hub = rig()
    hub.emulator.add_property("deals", "crmsync_external_id", unique=True)
    ada, grace = hub.emulator.seed(
        "contacts", [{"email": "ada@example.com"}, {"email": "grace@example.com"}]
    )
    rows = [
        {"id": "c1", "affiliate_email": "ada@example.com", "amount_cents": 1250, "state": "paid"},
        {"id": "c2", "affiliate_email": "ADA@example.com", "amount_cents": 800, "state": "due"},
        {"id": "c3", "affiliate_email": "grace@example.com", "amount_cents": 99, "state": "new"},
        {"id": "c4", "affiliate_email": "nobody@example.com", "amount_cents": 5, "state": "paid"},
    ]
    write_jsonl(tmp_path / "commissions.jsonl", rows)
    source = files_object(tmp_path, "commissions", path="commissions.jsonl")
    sync = job("commissions-to-deals", source, hub.object("deals"), COMMISSIONS_TO_DEALS)
    store = state(tmp_path, hub.clock)

    report = run(sync, store, hub)

    assert report.outcome is RunOutcome.PARTIAL
    deals = {d["crmsync_external_id"]: d for d in hub.emulator.records("deals")}
    assert sorted(deals) == ["c1", "c2", "c3"]  # c4's affiliate is not in HubSpot yet
    assert deals["c1"]["amount"] == "12.50"
    linked = {
        k: hub.emulator.associations("deals", d["hs_object_id"], "contacts")
        for k, d in deals.items()
    }
    assert linked == {"c1": [ada], "c2": [ada], "c3": [grace]}
    assert hub.emulator.associations("contacts", ada, "deals") == sorted(
        [deals["c1"]["hs_object_id"], deals["c2"]["hs_object_id"]], key=int
    )
    # one lookup of the emails, one upsert, one association call
    assert hub.emulator.calls == {
        "POST /crm/v3/objects/contacts/batch/read": 1,
        "POST /crm/v3/objects/deals/batch/upsert": 1,
        "POST /crm/v4/associations/deals/contacts/batch/associate/default": 1,
    }
    (failure,) = store.failures("commissions-to-deals")
    assert "nobody@example.com" in (failure.reason or "")

    hub.emulator.seed("contacts", [{"email": "nobody@example.com"}])
    retried = run(sync, store, hub, RunKind.RETRY)
    assert retried.outcome is RunOutcome.SUCCEEDED, retried.message
    assert len(hub.emulator.records("deals")) == 4


def test_the_association_pseudo_field_passes_the_map_check() -> None:
    hub = rig()
    field_map = parse_field_map(yamlfile.loads(COMMISSIONS_TO_DEALS, "map.yaml"))
    hub.emulator.add_property("deals", "crmsync_external_id", unique=True)
    target = hub.object("deals").describe()

    findings = check_map(
        field_map, source=ObjectSchema(open=True), target=target, map_name="map.yaml"
    )

    assert [f for f in findings if f.severity is Severity.ERROR] == []
    assert "associations.contacts.email" in target
    assert target.fields["crmsync_external_id"].unique


def test_deletions_in_hubspot_archive_linked_records_downstream(tmp_path: Path) -> None:
    hub = rig()
    seeded = hub.emulator.seed("contacts", contacts(5), modified=T0)
    target = files_object(tmp_path, "readers", path="readers.jsonl", key="email")
    sync = job("out", hub.object("contacts"), target, CONTACTS_TO_FILE, delete=DeletePolicy.ARCHIVE)
    store = state(tmp_path, hub.clock)
    run(sync, store, hub)
    hub.clock.advance(60)
    hub.emulator.archive("contacts", seeded[:2])

    report = run(sync, store, hub)

    assert report.counts.archived == 2
    assert len(read_jsonl(tmp_path / "readers.jsonl")) == 3
