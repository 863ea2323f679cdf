"""The compiled mapper: values, paths, templates, value maps, defaults, required, match."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from crmsync.mapping import compile_map
from crmsync.sdk.errors import RecordRejectedError
from crmsync.sdk.records import Match

from .helpers import field_map, map_one, mapper, rejection

RECORD: dict[str, Any] = {
    "email": "ada@example.com",
    "customer": {"email": "billing@example.com", "address": {"city": "Paris"}},
    "items": [{"sku": "A-1"}, {"sku": "B-2"}],
    "tags": ["vip"],
}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("email", "ada@example.com"),
        ("customer.email", "billing@example.com"),
        ("customer.address.city", "Paris"),
        ("items.1.sku", "B-2"),
        ("items.0", {"sku": "A-1"}),
        ("items.2.sku", None),
        ("items.x", None),
        ("customer.phone", None),
        ("customer.email.domain", None),
        ("missing.deeper", None),
        ("tags", ["vip"]),
    ],
)
def test_source_paths(path: str, expected: Any) -> None:
    assert map_one(path, RECORD) == expected


def test_digit_keys_of_mappings_are_keys() -> None:
    assert map_one("by_year.2024", {"by_year": {"2024": 12}}) == 12


def test_constant() -> None:
    assert map_one("{constant: Affiliate}", {}) == "Affiliate"
    assert map_one("{constant: 2024-01-31}", {}) == date(2024, 1, 31)


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"first": "Ada", "last": "Lovelace"}, "Ada Lovelace"),
        ({"first": "Ada"}, "Ada"),
        ({"last": "Lovelace", "first": "  "}, "Lovelace"),
        ({}, None),
        ({"first": 7, "last": True}, "7 true"),
    ],
)
def test_templates_render_missing_parts_as_nothing(
    record: dict[str, Any], expected: str | None
) -> None:
    assert map_one('{template: "{first} {last}"}', record) == expected


def test_templates_read_nested_paths_and_keep_literal_braces() -> None:
    template = '{template: "{{{customer.address.city}}} #{items.0.sku}"}'
    assert map_one(template, RECORD) == "{Paris} #A-1"


def test_a_template_with_no_values_takes_the_default() -> None:
    assert map_one('{template: "{first} {last}", default: Anonymous}', {}) == "Anonymous"


def test_template_placeholders_must_be_text() -> None:
    mapping = mapper('out: {template: "{customer}"}')
    assert rejection(mapping, RECORD) == "out: expected text, found a mapping"


STATUS = "{source: state, map: {active: Active, disabled: Inactive}"


@pytest.mark.parametrize(
    ("state", "expected"),
    [("active", "Active"), ("disabled", "Inactive"), ("paused", "Unknown"), (None, "Unknown")],
)
def test_value_map_with_default(state: str | None, expected: str) -> None:
    assert map_one(STATUS + ", default: Unknown}", {"state": state}) == expected


def test_value_map_without_default_rejects_unmapped_values() -> None:
    mapping = mapper(f"status: {STATUS}}}")
    assert rejection(mapping, {"email": "a@b.co", "state": "paused"}) == (
        "status: 'paused' is not in the value map ('active', 'disabled') and there is no default"
    )


def test_value_map_without_default_passes_missing_values() -> None:
    assert map_one(STATUS + "}", {}) is None


def test_value_map_lists_at_most_five_keys() -> None:
    mapping = mapper("n: {source: n, map: {1: a, 2: b, 3: c, 4: d, 5: e, 6: f}}")
    assert rejection(mapping, {"email": "a@b.co", "n": 9}) == (
        "n: 9 is not in the value map (1, 2, 3, 4, 5, ...) and there is no default"
    )


@pytest.mark.parametrize("tier", [1, "1", 1.0, Decimal("1.00")])
def test_value_map_keys_compare_numbers_by_value(tier: Any) -> None:
    assert map_one("{source: tier, map: {1: Gold, 2: Silver}}", {"tier": tier}) == "Gold"


def test_value_map_keeps_yaml_12_text_keys() -> None:
    field = "{source: country, map: {NO: Norway, yes: Affirmative}}"
    assert map_one(field, {"country": "NO"}) == "Norway"
    assert map_one(field, {"country": "yes"}) == "Affirmative"


@pytest.mark.parametrize("blank", [None, "", "   ", []])
def test_default_fills_missing_and_blank_values(blank: Any) -> None:
    assert map_one("{source: value, default: n/a}", {"value": blank}) == "n/a"


def test_evaluation_order() -> None:
    # transforms -> map -> default -> type: " GOLD " is lowered before the map sees it,
    # "bronze" falls to the default, and the default is coerced like any value.
    field = (
        "{source: tier, transforms: [strip, lower], map: {gold: 3, silver: 2},"
        " default: '1', type: integer}"
    )
    assert map_one(field, {"tier": " GOLD "}) == 3
    assert map_one(field, {"tier": "bronze"}) == 1


def test_required_rejects_missing_values_after_everything_else() -> None:
    mapping = mapper("phone: {source: phone, transforms: [strip], required: true}")
    for record in ({}, {"phone": "  "}):
        assert rejection(mapping, {"email": "a@b.co", **record}) == (
            "phone: required, but there is no value"
        )
    assert mapping.map({"email": "a@b.co", "phone": " 1 "}).fields["phone"] == "1"


def test_required_is_met_by_a_default() -> None:
    assert map_one("{source: x, required: true, default: 0}", {}) == 0


def test_all_problems_of_a_record_are_reported_together() -> None:
    mapping = mapper(
        "email: {source: email, transforms: [email]}\n"
        "rate: {source: rate, type: decimal}\n"
        "name: {source: name, required: true}"
    )
    with pytest.raises(RecordRejectedError) as caught:
        mapping.map({"email": "not-an-address", "rate": "high"})
    assert caught.value.message == (
        "email: transform 'email': 'not-an-address' is not an email address; "
        "rate: expected a decimal number, found 'high'; "
        "name: required, but there is no value"
    )
    assert caught.value.code == "MAPPING_ERROR"
    assert caught.value.hint == "fix the source record, or the field map map.yaml"


MATCHED = """\
version: 1
match: {source: contact.email, target: email, transforms: [strip, lower]}
fields:
  firstname: {source: name, transforms: [{split_name: first}]}
"""


def test_match_value_is_normalised_and_added_to_the_fields() -> None:
    mapped = compile_map(field_map(MATCHED)).map(
        {"contact": {"email": "  Ada@Example.COM "}, "name": "Ada Lovelace"}
    )
    assert mapped.match == Match("email", "ada@example.com")
    assert mapped.fields == {"firstname": "Ada", "email": "ada@example.com"}


def test_an_explicit_mapping_of_the_match_field_wins() -> None:
    mapping = compile_map(field_map(MATCHED + "  email: {constant: fixed@example.com}\n"))
    mapped = mapping.map({"contact": {"email": "ada@example.com"}})
    assert mapped.fields["email"] == "fixed@example.com"
    assert mapped.match.value == "ada@example.com"


@pytest.mark.parametrize("contact", [{}, {"email": None}, {"email": "   "}])
def test_a_missing_match_value_rejects_the_record(contact: dict[str, Any]) -> None:
    mapping = compile_map(field_map(MATCHED), source="affiliates.yaml")
    assert rejection(mapping, {"contact": contact}) == (
        "match (email): the match value (contact.email) is missing"
    )


def test_numeric_match_values_become_text() -> None:
    text = "version: 1\nmatch: {source: id, target: affiliate_id}\nfields: {x: x}\n"
    assert compile_map(field_map(text)).map({"id": 42}).match == Match("affiliate_id", "42")


def test_source_and_target_fields() -> None:
    text = """\
version: 1
match: {source: contact.email, target: email}
filter: {any: [{field: state, equals: active}, {not: {field: flags.spam, equals: true}}]}
fields:
  full_name: {template: "{first} {profile.last}"}
  status: state
  source: {constant: Affiliate}
"""
    mapping = compile_map(field_map(text))
    assert mapping.source_fields == frozenset({"contact", "state", "flags", "first", "profile"})
    assert mapping.target_fields == ("full_name", "status", "source", "email")
    assert tuple(mapping.map({"contact": {"email": "a@b.co"}}).fields) == mapping.target_fields
