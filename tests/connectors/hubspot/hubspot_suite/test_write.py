"""Writing: batch calls, 207 answers, merged duplicates, create conflicts, encodings."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from crmsync.sdk import ConfigError, Match, Outcome, WriteAction, WriteOp, WriteResult
from crmsync_connectors.hubspot.values import property_text
from crmsync_connectors.hubspot.write import readable

from .helpers import Rig, contacts, rig

UPSERTS = "POST /crm/v3/objects/contacts/batch/upsert"
CREATES = "POST /crm/v3/objects/contacts/batch/create"
READS = "POST /crm/v3/objects/contacts/batch/read"


def upsert(ref: str, email: str, **fields: str) -> WriteOp:
    return WriteOp(WriteAction.UPSERT, ref, {"email": email, **fields}, match=Match("email", email))


def create(ref: str, email: str, **fields: str) -> WriteOp:
    return WriteOp(WriteAction.CREATE, ref, {"email": email, **fields}, match=Match("email", email))


def write(hub: Rig, ops: list[WriteOp], object_name: str = "contacts") -> dict[str, WriteResult]:
    results = hub.object(object_name).write(ops)
    assert sorted(r.ref for r in results) == sorted(op.ref for op in ops)
    return {r.ref: r for r in results}


def test_a_batch_of_upserts_is_one_call_and_reports_created_or_updated() -> None:
    hub = rig()
    (existing,) = hub.emulator.seed("contacts", [{"email": "ada@example.com"}])

    results = write(
        hub, [upsert("a", "ada@example.com", firstname="Ada"), upsert("b", "bo@example.com")]
    )

    assert results["a"] == WriteResult("a", Outcome.UPDATED, existing)
    assert results["b"].outcome is Outcome.CREATED
    assert results["b"].target_id
    assert hub.emulator.calls == {UPSERTS: 1}
    assert (hub.emulator.record("contacts", existing) or {}).get("firstname") == "Ada"


def test_an_invalid_record_fails_alone_with_hubspots_reason() -> None:
    hub = rig()

    results = write(hub, [upsert("good", "good@example.com"), upsert("bad", "not-an-email")])

    assert results["good"].outcome is Outcome.CREATED
    assert results["bad"] == WriteResult.failed(
        "bad",
        "Property values were not valid: email: Email address not-an-email is invalid",
        code="VALIDATION_ERROR",
    )
    assert [r["email"] for r in hub.emulator.records("contacts")] == ["good@example.com"]


def test_ops_naming_one_record_are_merged_into_one_input_and_each_gets_its_result() -> None:
    """HubSpot refuses a batch naming a record twice; emails differ only in case here."""
    hub = rig()
    ops = [
        upsert("first", "Ada@Example.com", firstname="Ada"),
        upsert("second", "ada@example.com", lastname="Lovelace"),
    ]

    results = write(hub, ops)

    assert results["first"].outcome is Outcome.CREATED
    assert results["second"].target_id == results["first"].target_id
    (held,) = hub.emulator.records("contacts")
    assert (held["firstname"], held["lastname"]) == ("Ada", "Lovelace")
    assert hub.emulator.calls == {UPSERTS: 1}


def test_later_ops_win_when_merged_ops_set_the_same_property() -> None:
    hub = rig()

    write(
        hub,
        [
            upsert("1", "ada@example.com", firstname="Old"),
            upsert("2", "ada@example.com", firstname="New"),
        ],
    )

    assert hub.emulator.records("contacts")[0]["firstname"] == "New"


def test_creating_records_that_exist_finds_them_with_one_lookup() -> None:
    hub = rig()
    existing = hub.emulator.seed("contacts", contacts(2))
    ops = [
        create("old-0", "person0@example.com"),
        create("new", "new@example.com"),
        create("old-1", "person1@example.com"),
    ]

    results = write(hub, ops)

    assert results["old-0"] == WriteResult("old-0", Outcome.UNCHANGED, existing[0])
    assert results["old-1"] == WriteResult("old-1", Outcome.UNCHANGED, existing[1])
    assert results["new"].outcome is Outcome.CREATED
    assert len(hub.emulator.records("contacts")) == 3
    assert hub.emulator.calls == {CREATES: 2, READS: 1}  # 409, lookup, the rest


def test_creating_one_record_that_exists_reads_its_id_from_the_conflict() -> None:
    hub = rig()
    (existing,) = hub.emulator.seed("contacts", contacts(1))

    results = write(hub, [create("again", "person0@example.com")])

    assert results["again"] == WriteResult("again", Outcome.UNCHANGED, existing)
    assert hub.emulator.calls == {CREATES: 1}


def test_a_batch_refused_whole_over_one_invalid_record_is_halved_until_it_stands_alone() -> None:
    hub = rig(whole_batch_errors=True)
    ops = [create(str(n), f"p{n}@example.com") for n in range(8)]
    ops[5] = create("5", "not-an-email")

    results = write(hub, ops)

    assert results["5"].outcome is Outcome.FAILED
    assert "Email address not-an-email is invalid" in (results["5"].reason or "")
    assert {r.outcome for ref, r in results.items() if ref != "5"} == {Outcome.CREATED}
    assert len(hub.emulator.records("contacts")) == 7
    assert hub.emulator.count(CREATES) == 7  # 8 -> 4+4 -> 2+2 -> 1+1: log2 extra calls


def test_an_update_by_id_changes_the_given_properties_and_reports_missing_records() -> None:
    hub = rig()
    (known,) = hub.emulator.seed("contacts", contacts(1))
    ops = [
        WriteOp(WriteAction.UPDATE, "known", {"firstname": "Grace"}, target_id=known),
        WriteOp(WriteAction.UPDATE, "gone", {"firstname": "Nobody"}, target_id="999999"),
    ]

    results = write(hub, ops)

    assert results["known"] == WriteResult("known", Outcome.UPDATED, known)
    assert results["gone"] == WriteResult("gone", Outcome.NOT_FOUND, "999999")
    held = hub.emulator.record("contacts", known) or {}
    assert (held["firstname"], held["lastname"]) == ("Grace", "Last0")


def test_an_update_without_an_id_finds_its_record_by_the_match_value() -> None:
    hub = rig()
    (known,) = hub.emulator.seed("contacts", contacts(1))
    ops = [
        WriteOp(
            WriteAction.UPDATE,
            "known",
            {"firstname": "G"},
            match=Match("email", "PERSON0@example.com"),
        ),
        WriteOp(
            WriteAction.UPDATE, "absent", {"firstname": "X"}, match=Match("email", "x@example.com")
        ),
    ]

    results = write(hub, ops)

    assert results["known"] == WriteResult("known", Outcome.UPDATED, known)
    assert results["absent"].outcome is Outcome.NOT_FOUND
    assert len(hub.emulator.records("contacts")) == 1


def test_archives_are_one_call_and_already_archived_records_count_as_archived() -> None:
    hub = rig()
    seeded = hub.emulator.seed("contacts", contacts(2))
    hub.emulator.archive("contacts", seeded[1:])
    ops = [WriteOp(WriteAction.ARCHIVE, str(n), target_id=i) for n, i in enumerate(seeded)]

    results = write(hub, ops)

    assert {r.outcome for r in results.values()} == {Outcome.ARCHIVED}
    assert hub.emulator.records("contacts") == []
    assert hub.emulator.count("POST /crm/v3/objects/contacts/batch/archive") == 1


def test_matching_on_a_property_without_unique_values_is_a_configuration_error() -> None:
    hub = rig()
    op = WriteOp(WriteAction.UPSERT, "1", {"firstname": "Ada"}, match=Match("firstname", "Ada"))

    with pytest.raises(ConfigError, match="non-unique") as raised:
        hub.object("contacts").write([op])

    assert "unique values" in str(raised.value.hint)


def test_upserting_by_the_record_id_fails_with_a_reason() -> None:
    hub = rig()
    op = WriteOp(WriteAction.UPSERT, "1", {"firstname": "A"}, match=Match("hs_object_id", "5"))

    (result,) = hub.object("contacts").write([op])

    assert result.outcome is Outcome.FAILED
    assert "hs_object_id" in (result.reason or "")
    assert hub.emulator.calls == {}


def test_deals_upsert_by_a_custom_unique_property() -> None:
    hub = rig()
    hub.emulator.add_property("deals", "crmsync_external_id", unique=True)
    op = WriteOp(
        WriteAction.UPSERT,
        "c1",
        {
            "crmsync_external_id": "commission-1",
            "dealname": "Commission 1",
            "amount": Decimal("12.50"),
        },
        match=Match("crmsync_external_id", "commission-1"),
    )

    first, second = (write(hub, [op], "deals")["c1"] for _ in range(2))

    assert (first.outcome, second.outcome) == (Outcome.CREATED, Outcome.UPDATED)
    assert first.target_id == second.target_id
    (deal,) = hub.emulator.records("deals")
    assert deal["amount"] == "12.50"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (True, "true"),
        (7, "7"),
        (Decimal("1E+2"), "100"),
        (Decimal("12500.50"), "12500.50"),
        (date(2024, 3, 1), "2024-03-01"),
        (datetime(2024, 3, 1, 12, 30, tzinfo=UTC), "2024-03-01T12:30:00.000Z"),
        (["a", "b"], "a;b"),
        ({"b": 1, "a": 2}, '{"a": 2, "b": 1}'),
    ],
)
def test_mapped_values_become_hubspot_text(value: object, text: str) -> None:
    assert property_text(value) == text


def test_hubspots_invalid_values_message_is_made_readable() -> None:
    raw = (
        'Property values were not valid: [{"isValid":false,"message":"x was not a valid '
        'number.","error":"INVALID_DECIMAL","name":"amount"}]'
    )

    assert readable(raw) == "Property values were not valid: amount: x was not a valid number."
    assert readable("Property values were not valid: garbled") == (
        "Property values were not valid: garbled"
    )
