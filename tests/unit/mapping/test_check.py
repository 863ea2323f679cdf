"""check_map: what the source and target schemas say a map cannot do."""

from __future__ import annotations

import pytest

from crmsync.mapping import Finding, Severity, check_map
from crmsync.sdk.schema import FieldSchema, FieldType, ObjectSchema

from .helpers import MATCH, field_map

T = FieldType

SOURCE = ObjectSchema.of(
    [
        FieldSchema("id"),
        FieldSchema("email"),
        FieldSchema("name"),
        FieldSchema("state", T.ENUM, options=("active", "disabled")),
        FieldSchema("commission", T.OBJECT),
        FieldSchema("sales_cents", T.INTEGER),
        FieldSchema("created_at", T.DATETIME),
        FieldSchema("vip", T.BOOLEAN),
    ]
)
TARGET = ObjectSchema.of(
    [
        FieldSchema("email", unique=True),
        FieldSchema("firstname"),
        FieldSchema("lastname", required=True),
        FieldSchema("hs_object_id", read_only=True, unique=True),
        FieldSchema("lead_source", T.ENUM, options=("Affiliate", "Referral", "Organic")),
        FieldSchema("referral_status", T.ENUM, options=("Active", "Inactive", "Unknown")),
        FieldSchema("commission_rate", T.DECIMAL),
        FieldSchema("signed_up", T.DATE),
        FieldSchema("vip_since", T.DATE),
        FieldSchema("phone"),
        FieldSchema("createdate", T.DATETIME, required=True, read_only=True),
    ]
)


def findings(
    text: str, *, source: ObjectSchema = SOURCE, target: ObjectSchema = TARGET
) -> list[tuple[Severity, str, str, str | None]]:
    found = check_map(field_map(text), source=source, target=target, map_name="map.yaml")
    return [(f.severity, f.location, f.message, f.hint) for f in found]


def fields(body: str, extra: str = "") -> str:
    lines = "".join(f"  {line}\n" for line in body.strip().splitlines())
    return f"{MATCH}{extra}fields:\n  lastname: name\n{lines}"


def test_a_map_that_fits_has_no_findings() -> None:
    text = fields(
        """
email: {source: email, transforms: [email]}
firstname: {source: name, transforms: [{split_name: first}]}
lead_source: {constant: Affiliate}
referral_status: {source: state, map: {active: Active, disabled: Inactive}, default: Unknown}
commission_rate: {source: commission.rate, type: decimal}
signed_up: {source: created_at, type: date}
""",
        extra="filter: {field: vip, equals: true}\n",
    )
    assert findings(text) == []


def test_unknown_target_field_suggests_the_closest() -> None:
    assert findings(fields("emial: email")) == [
        (
            Severity.ERROR,
            "fields.emial",
            "the target has no field 'emial'",
            "did you mean 'email'?",
        ),
    ]


def test_an_open_target_takes_new_fields_but_a_likely_typo_is_a_warning() -> None:
    target = ObjectSchema(TARGET.fields, open=True)
    text = fields("nickname: name\nlastnmae: name")
    assert findings(text, target=target) == [
        (
            Severity.WARNING,
            "fields.lastnmae",
            "the target has no field 'lastnmae'",
            "did you mean 'lastname'?",
        ),
    ]


def test_read_only_target_fields_cannot_be_written() -> None:
    assert findings(fields("hs_object_id: id")) == [
        (Severity.ERROR, "fields.hs_object_id", "'hs_object_id' is read-only in the target", None),
    ]


def test_unknown_source_roots_anywhere_in_the_map() -> None:
    text = fields(
        """
firstname: nmae
phone: {template: "{phone_number} ext. {extension}"}
commission_rate: commission.rate
""",
        extra="filter: {all: [{field: stat, equals: active}]}\n",
    )
    assert findings(text) == [
        (
            Severity.ERROR,
            "filter.all[0].field",
            "the source has no field 'stat'",
            "did you mean 'state'?",
        ),
        (
            Severity.ERROR,
            "fields.firstname.source",
            "the source has no field 'nmae'",
            "did you mean 'name'?",
        ),
        (Severity.ERROR, "fields.phone.template", "the source has no field 'phone_number'", None),
        (Severity.ERROR, "fields.phone.template", "the source has no field 'extension'", None),
    ]


def test_an_open_source_may_hold_more_but_a_likely_typo_is_a_warning() -> None:
    source = ObjectSchema(SOURCE.fields, open=True)
    text = fields("phone: mobile\nfirstname: nmae")
    assert findings(text, source=source) == [
        (
            Severity.WARNING,
            "fields.firstname.source",
            "the source has no field 'nmae'",
            "did you mean 'name'?",
        ),
    ]


def test_the_match_field_should_be_unique() -> None:
    text = "version: 1\nmatch: {source: name, target: firstname}\nfields: {lastname: name}\n"
    assert findings(text) == [
        (
            Severity.WARNING,
            "match.target",
            "the target does not mark 'firstname' as unique",
            "upserts may update several records, or create duplicates; match on a unique "
            "field such as the email or an external id",
        )
    ]


def test_a_read_only_match_field_is_written_unless_mapped() -> None:
    text = "version: 1\nmatch: {source: id, target: hs_object_id}\nfields: {lastname: name}\n"
    assert findings(text) == [
        (
            Severity.ERROR,
            "match.target",
            "'hs_object_id' is read-only in the target, and mapped records include the match field",
            None,
        )
    ]


def test_an_unknown_match_field() -> None:
    text = "version: 1\nmatch: {source: email, target: mail}\nfields: {lastname: name}\n"
    assert findings(text) == [
        (Severity.ERROR, "match.target", "the target has no field 'mail'", "did you mean 'email'?")
    ]


def test_required_target_fields_left_unmapped() -> None:
    text = f"{MATCH}fields: {{firstname: name}}\n"
    assert findings(text) == [
        (
            Severity.WARNING,
            "fields",
            "the target requires 'lastname', which the map does not set",
            "creates will fail unless the target has a default for it",
        )
    ]


def test_enum_values_the_map_spells_out_must_be_options() -> None:
    text = fields(
        """
lead_source: {constant: Afiliate}
referral_status: {source: state, map: {active: Active, disabled: Disabled}, default: Unkown}
"""
    )
    options = "options: Active, Inactive, Unknown"
    assert findings(text) == [
        (
            Severity.ERROR,
            "fields.lead_source.constant",
            "'Afiliate' is not an option of 'lead_source'",
            "did you mean 'Affiliate'? options: Affiliate, Referral, Organic",
        ),
        (
            Severity.ERROR,
            "fields.referral_status.map.disabled",
            "'Disabled' is not an option of 'referral_status'",
            options,
        ),
        (
            Severity.ERROR,
            "fields.referral_status.default",
            "'Unkown' is not an option of 'referral_status'",
            f"did you mean 'Unknown'? {options}",
        ),
    ]


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("vip_since: vip", "a boolean value cannot be written to the date field 'vip_since'"),
        (
            "signed_up: {source: name, type: boolean}",
            "a boolean value cannot be written to the date field 'signed_up'",
        ),
        (
            "commission_rate: {source: created_at, transforms: [{format_date: '%Y'}], type: date}",
            "a date value cannot be written to the decimal field 'commission_rate'",
        ),
        (
            "signed_up: {constant: true}",
            "a boolean value cannot be written to the date field 'signed_up'",
        ),
        (
            "commission_rate: {source: sales_cents, transforms: [{prefix: x}], type: boolean}",
            "a boolean value cannot be written to the decimal field 'commission_rate'",
        ),
        (
            "signed_up: sales_cents",
            "an integer value cannot be written to the date field 'signed_up'",
        ),
        (
            "signed_up: commission",
            "an object value cannot be written to the date field 'signed_up'",
        ),
    ],
)
def test_type_mismatches_that_cannot_work(field: str, message: str) -> None:
    assert findings(fields(field)) == [
        (
            Severity.WARNING,
            f"fields.{field.split(':', maxsplit=1)[0]}",
            message,
            "add or change `type:`, or map another field",
        )
    ]


@pytest.mark.parametrize(
    "field",
    [
        "signed_up: created_at",
        "commission_rate: {source: sales_cents, transforms: [cents_to_amount]}",
        "phone: vip",
        "signed_up: {template: '{created_at}'}",
        "commission_rate: {source: vip, map: {true: 1, false: 0}}",
        "signed_up: {source: name, type: date}",
    ],
)
def test_types_that_can_work_are_not_reported(field: str) -> None:
    assert findings(fields(field)) == []


def test_findings_carry_the_map_name_and_line() -> None:
    found = check_map(
        field_map(fields("\n\nemial: email")), source=SOURCE, target=TARGET, map_name="map.yaml"
    )
    assert [(f.source, f.line) for f in found] == [("map.yaml", 5)]
    assert str(found[0]) == (
        "error: map.yaml:5: fields.emial: the target has no field 'emial'\n"
        "  hint: did you mean 'email'?"
    )
    error = found[0].to_error()
    assert (error.source, error.line, error.location) == ("map.yaml", 5, "fields.emial")


def test_finding_without_a_line() -> None:
    finding = Finding(Severity.WARNING, "fields", "something", source="m.yaml")
    assert str(finding) == "warning: m.yaml: fields: something"


def test_list_values_of_enum_fields_are_left_to_the_target() -> None:
    assert findings(fields("lead_source: {constant: [Affiliate, Partner]}")) == []
