"""describe(): the Properties API as crmsync field schemas, with association pseudo-fields."""

from __future__ import annotations

from crmsync.sdk import FieldType

from .helpers import rig


def test_properties_become_fields_with_types_options_and_flags() -> None:
    hub = rig()
    hub.emulator.add_property("contacts", "affiliate_id", label="Affiliate ID")
    hub.emulator.add_property("contacts", "vip", type="bool", field_type="booleancheckbox")
    hub.emulator.add_property("contacts", "external_id", unique=True)

    schema = hub.object("contacts").describe()

    assert schema.fields["affiliate_id"].label == "Affiliate ID"
    assert schema.fields["vip"].type is FieldType.BOOLEAN
    assert schema.fields["external_id"].unique
    assert schema.fields["email"].unique, "HubSpot keeps contact emails unique"
    assert not schema.fields["firstname"].unique
    assert schema.fields["lastmodifieddate"].type is FieldType.DATETIME
    assert schema.fields["lastmodifieddate"].read_only
    assert schema.fields["hs_object_id"].read_only
    stage = schema.fields["lifecyclestage"]
    assert stage.type is FieldType.ENUM
    assert "customer" in stage.options


def test_deals_list_their_association_pseudo_fields() -> None:
    hub = rig()
    hub.emulator.add_property("companies", "crmsync_external_id", unique=True)

    schema = hub.object("deals").describe()

    pseudo = sorted(name for name in schema.fields if name.startswith("associations."))
    assert pseudo == [
        "associations.companies.crmsync_external_id",
        "associations.companies.id",
        "associations.contacts.email",
        "associations.contacts.id",
    ]
    assert schema.fields["amount"].type is FieldType.DECIMAL
    assert schema.fields["closedate"].type is FieldType.DATETIME


def test_properties_are_fetched_once_per_connection() -> None:
    hub = rig()

    hub.object("deals").describe()
    hub.object("deals").describe()
    hub.object("contacts").describe()

    assert hub.emulator.calls == {
        "GET /crm/v3/properties/deals": 1,
        "GET /crm/v3/properties/contacts": 1,
        "GET /crm/v3/properties/companies": 1,
    }
