"""Association pseudo-fields: resolved before the write with the fewest calls, then linked."""

from __future__ import annotations

from typing import Any

from crmsync.sdk import Match, Outcome, WriteAction, WriteOp

from .helpers import Rig, rig

LOOKUP = "POST /crm/v3/objects/contacts/batch/read"
LINK = "POST /crm/v4/associations/deals/contacts/batch/associate/default"


def deal(ref: str, **fields: Any) -> WriteOp:
    values = {"crmsync_external_id": ref, "dealname": f"Deal {ref}", **fields}
    return WriteOp(WriteAction.UPSERT, ref, values, match=Match("crmsync_external_id", ref))


def portal() -> Rig:
    hub = rig()
    hub.emulator.add_property("deals", "crmsync_external_id", unique=True)
    return hub


def test_a_batch_resolves_each_email_once_and_links_in_one_call() -> None:
    hub = portal()
    ada, grace = hub.emulator.seed(
        "contacts", [{"email": "ada@example.com"}, {"email": "grace@example.com"}]
    )
    ops = [
        deal("d1", **{"associations.contacts.email": "ada@example.com"}),
        deal("d2", **{"associations.contacts.email": "ADA@example.com"}),
        deal("d3", **{"associations.contacts.email": ["grace@example.com", "ada@example.com"]}),
    ]

    results = {r.ref: r for r in hub.object("deals").write(ops)}

    assert {r.outcome for r in results.values()} == {Outcome.CREATED}
    linked = {
        ref: hub.emulator.associations("deals", r.target_id or "", "contacts")
        for ref, r in results.items()
    }
    assert linked == {"d1": [ada], "d2": [ada], "d3": sorted([ada, grace], key=int)}
    assert hub.emulator.count(LOOKUP) == 1
    assert hub.emulator.count(LINK) == 1


def test_emails_found_before_are_not_looked_up_again() -> None:
    hub = portal()
    hub.emulator.seed("contacts", [{"email": "ada@example.com"}])
    deals = hub.object("deals")

    deals.write([deal("d1", **{"associations.contacts.email": "ada@example.com"})])
    deals.write([deal("d2", **{"associations.contacts.email": "ada@example.com"})])

    assert hub.emulator.count(LOOKUP) == 1


def test_a_record_whose_associated_record_is_missing_fails_before_it_is_written() -> None:
    hub = portal()
    hub.emulator.seed("contacts", [{"email": "ada@example.com"}])
    ops = [
        deal("ok", **{"associations.contacts.email": "ada@example.com"}),
        deal("orphan", **{"associations.contacts.email": "nobody@example.com"}),
    ]

    results = {r.ref: r for r in hub.object("deals").write(ops)}

    assert results["ok"].outcome is Outcome.CREATED
    orphan = results["orphan"]
    assert orphan.outcome is Outcome.FAILED
    assert orphan.code == "ASSOCIATION_NOT_FOUND"
    assert "contacts with email 'nobody@example.com'" in (orphan.reason or "")
    assert [d["crmsync_external_id"] for d in hub.emulator.records("deals")] == ["ok"]


def test_companies_by_id_and_contacts_to_companies() -> None:
    hub = portal()
    (company,) = hub.emulator.seed("companies", [{"name": "Hooli"}])
    (contact,) = hub.emulator.seed("contacts", [{"email": "ada@example.com"}])
    op = WriteOp(WriteAction.UPDATE, "c", {"associations.companies.id": company}, target_id=contact)

    (result,) = hub.object("contacts").write([op])

    assert result.outcome is Outcome.UPDATED
    assert hub.emulator.associations("contacts", contact, "companies") == [company]
    assert hub.emulator.associations("companies", company, "contacts") == [contact]


def test_a_pseudo_field_the_object_cannot_use_fails_its_record() -> None:
    hub = portal()
    op = WriteOp(WriteAction.UPDATE, "c", {"associations.deals.id": "1"}, target_id="1")

    (result,) = hub.object("companies").write([op])

    assert result.outcome is Outcome.FAILED
    assert result.code == "INVALID_FIELD"
    assert "companies cannot be associated" in (result.reason or "")
    assert hub.emulator.calls == {}


def test_estimated_write_calls_count_lookups_and_links() -> None:
    hub = portal()
    ops = [deal(str(n), **{"associations.contacts.email": f"p{n}@example.com"}) for n in range(150)]

    assert hub.object("deals").write_calls(ops) == 2 + 2 * 2


def test_the_record_id_property_names_records_by_id_too() -> None:
    hub = portal()
    (contact,) = hub.emulator.seed("contacts", [{"email": "ada@example.com"}])

    (result,) = hub.object("deals").write(
        [deal("d", **{"associations.contacts.hs_object_id": contact})]
    )

    assert result.outcome is Outcome.CREATED
    assert hub.emulator.associations("contacts", contact, "deals") == [result.target_id]
