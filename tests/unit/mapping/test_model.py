"""Loading map files: the exact errors for malformed maps, and the JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crmsync.mapping import FieldMap, load_field_map
from crmsync.sdk.errors import ConfigError

from .helpers import MATCH, field_map, map_error

COMPLETE = """\
# Rewardful affiliates -> HubSpot contacts
version: 1
match:
  source: email
  target: email
  transforms: [strip, lower]
filter:
  all:
    - {field: state, in: [active, trialing]}
    - {field: email, exists: true}
    - not: {field: unsubscribed, equals: true}
    - any: [{field: score, gte: 8}, {field: tags, contains: vip}]
fields:
  email: {source: email, transforms: [email], required: true}
  firstname: {source: name, transforms: [{split_name: first}]}
  full_name: {template: "{first_name} {last_name}"}
  lead_source: {constant: Affiliate}
  referral_status: {source: state, map: {active: Active, disabled: Inactive}, default: Unknown}
  commission_rate: {source: commission.rate, type: decimal}
  last_seen: {source: seen_at, type: datetime, timezone: Europe/Paris}
  owner: {source: email, transforms: [{round_robin: ["111", "222"]}]}
  plain: email
"""


def fields_error(fields: str) -> str:
    return map_error(f"{MATCH}fields:\n  {fields}\n")


def test_a_complete_map_loads(tmp_path: Path) -> None:
    path = tmp_path / "affiliates.yaml"
    path.write_text(COMPLETE, encoding="utf-8")
    loaded = load_field_map(path)
    assert loaded.fields["plain"].source == "email"
    assert loaded.fields["referral_status"].has_default
    assert not loaded.fields["plain"].has_default
    assert loaded.line(("fields", "owner")) == 21
    assert loaded.line(("filter", "all", 3, "any", 1, "contains")) == 12


def test_a_map_built_in_code_has_no_lines() -> None:
    built = FieldMap.model_validate(
        {"version": 1, "match": {"source": "a", "target": "b"}, "fields": {"c": "d"}}
    )
    assert built.line(("fields", "c")) is None


def test_transforms_dump_back_to_their_yaml_shape() -> None:
    dumped = field_map(COMPLETE).model_dump(by_alias=True, exclude_defaults=True)
    assert dumped["match"]["transforms"] == ["strip", "lower"]
    assert dumped["fields"]["owner"]["transforms"] == [{"round_robin": ("111", "222")}]
    assert dumped["filter"]["all"][0] == {"field": "state", "in": ["active", "trialing"]}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            "email: {source: email, trnsforms: [lower]}",
            "map.yaml:4: fields.email.trnsforms: unknown key\n"
            "  hint: did you mean 'transforms'? allowed keys: source, constant, template, "
            "transforms, map, default, type, timezone, required",
        ),
        (
            "email: {source: email, transforms: [lower, lowr]}",
            "map.yaml:4: fields.email.transforms[1]: unknown transform 'lowr'\n"
            "  hint: did you mean 'lower'? transforms: amount_to_cents, cents_to_amount, e164, "
            "email, format_date, join, lower, prefix, round_robin, split_name, strip, suffix, "
            "title, truncate, upper",
        ),
        (
            "email: {source: email, constant: x}",
            "map.yaml:4: fields.email: a field takes exactly one of 'source', 'constant' or "
            "'template', found 'source' and 'constant'\n"
            "  hint: a bare string is short for source: `email: customer.email`",
        ),
        (
            "email: {transforms: [lower]}",
            "map.yaml:4: fields.email: a field takes exactly one of 'source', 'constant' or "
            "'template'\n  hint: a bare string is short for source: `email: customer.email`",
        ),
        (
            "rate: {source: rate, type: money}",
            "map.yaml:4: fields.rate.type: expected one of 'string', 'integer', 'decimal', "
            "'boolean', 'date', 'datetime', found 'money'",
        ),
        (
            "rate: {source: rate, type: int}",
            "map.yaml:4: fields.rate.type: expected one of 'string', 'integer', 'decimal', "
            "'boolean', 'date', 'datetime', found 'int'\n  hint: did you mean 'integer'?",
        ),
        (
            "seen: {source: seen, type: datetime, timezone: Europe/Pari}",
            "map.yaml:4: fields.seen.timezone: unknown time zone 'Europe/Pari'\n"
            "  hint: did you mean 'Europe/Paris'?",
        ),
        (
            "seen: {source: seen, timezone: UTC}",
            "map.yaml:4: fields.seen: timezone applies to type date or datetime only\n"
            "  hint: add `type: datetime` (or `type: date`)",
        ),
        (
            "name: {template: '{first!r}'}",
            "map.yaml:4: fields.name.template: placeholders hold a source path only, "
            "found {first!r}\n  hint: placeholders are source paths: {first_name}",
        ),
        (
            "name: {template: 'Hi {first'}",
            "map.yaml:4: fields.name.template: unbalanced braces in template 'Hi {first'; "
            "write {{ or }} for a literal brace\n"
            "  hint: placeholders are source paths: {first_name}",
        ),
        (
            "name: {template: 'Hi {}'}",
            "map.yaml:4: fields.name.template: placeholder {}: a source path cannot be empty\n"
            "  hint: placeholders are source paths: {first_name}",
        ),
        (
            "name: {template: 'Hi'}",
            "map.yaml:4: fields.name.template: template 'Hi' has no {placeholder}; "
            "use constant instead\n  hint: placeholders are source paths: {first_name}",
        ),
        (
            "city: customer..city",
            "map.yaml:4: fields.city: 'customer..city' has an empty part; "
            "write parts separated by single dots",
        ),
        (
            "city: 12",
            "map.yaml:4: fields.city: expected a source path or a mapping of field settings, "
            "found 12\n  hint: e.g. `email: customer.email` or `email: {source: customer.email}`",
        ),
        (
            "status: {source: state, map: {~: Unknown}}",
            "map.yaml:4: fields.status.map: a value map key cannot be null\n"
            "  hint: use default: for missing values",
        ),
        (
            "status: {source: state, map: {}}",
            "map.yaml:4: fields.status.map: expected a non-empty mapping, found an empty mapping",
        ),
        (
            "status: {source: state, map: {a: [1]}}",
            "map.yaml:4: fields.status.map: expected a single value, found a list",
        ),
        (
            "status: {source: state, map: {.nan: Unknown}}",
            "map.yaml:4: fields.status.map: expected a finite number, found nan",
        ),
        (
            "flag: {source: x, required: perhaps}",
            "map.yaml:4: fields.flag.required: expected true or false, found 'perhaps'",
        ),
    ],
)
def test_malformed_fields(fields: str, message: str) -> None:
    assert fields_error(fields) == message


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        (
            "{field: state, in: [a], equals: b}",
            "map.yaml:3: filter: a condition takes one operator, found 'equals' and 'in'\n"
            "  hint: operators: equals, not_equals, in, not_in, exists, contains, gt, gte, lt, "
            "lte; combine conditions with all: [...]",
        ),
        (
            "{field: state}",
            "map.yaml:3: filter: a condition takes one operator, found none\n"
            "  hint: operators: equals, not_equals, in, not_in, exists, contains, gt, gte, lt, "
            "lte; combine conditions with all: [...]",
        ),
        (
            "{equals: active}",
            "map.yaml:3: filter: a condition needs 'field' and an operator, or one of 'all', "
            "'any', 'not'\n  hint: e.g. {field: state, equals: active}",
        ),
        (
            "{all: [{field: a, exists: true}], field: b}",
            "map.yaml:3: filter: 'all' cannot be combined with 'field' in one condition\n"
            "  hint: nest them: all: [{field: ..., equals: ...}, ...]",
        ),
        (
            "{any: [{field: a, exists: true}], not: {field: b, exists: true}}",
            "map.yaml:3: filter: 'any' cannot be combined with 'not' in one condition\n"
            "  hint: nest them: any: [{field: ..., equals: ...}, ...]",
        ),
        ("{all: []}", "map.yaml:3: filter.all: expected a non-empty list, found an empty list"),
        (
            "{all: [{field: a, gte: high}]}",
            "map.yaml:3: filter.all[0].gte: expected a number or an ISO 8601 date, found 'high'",
        ),
        (
            "{field: a, in: active}",
            "map.yaml:3: filter.in: expected a list, found 'active'",
        ),
        ("{field: a, exists: }", "map.yaml:3: filter: 'exists' needs a value"),
        (
            "{field: a, equals: [1, 2]}",
            "map.yaml:3: filter.equals: expected a single value, found a list",
        ),
        (
            "{field: a, in: [1, .inf]}",
            "map.yaml:3: filter.in[1]: expected a finite number, found inf",
        ),
        (
            "{field: a, matches: '^x'}",
            "map.yaml:3: filter.matches: unknown key\n  hint: allowed keys: field, equals, "
            "not_equals, in, not_in, exists, contains, gt, gte, lt, lte, all, any, not",
        ),
        (
            "{any: [{feld: a, equals: 1}]}",
            "map.yaml:3: filter.any[0].feld: unknown key\n  hint: did you mean 'field'? allowed "
            "keys: field, equals, not_equals, in, not_in, exists, contains, gt, gte, lt, lte, "
            "all, any, not",
        ),
    ],
)
def test_malformed_filters(condition: str, message: str) -> None:
    assert map_error(f"{MATCH}filter: {condition}\nfields: {{x: x}}\n") == message


def test_malformed_match_and_version() -> None:
    assert map_error("version: 2\nmatch: {source: email, targt: email}\nfields: {x: x}\n") == (
        "2 problems:\n"
        "- map.yaml:1: version: expected 1, found 2\n"
        "- map.yaml:2: match.targt: unknown key, and 'target' is missing\n"
        "  hint: did you mean 'target'? allowed keys: source, target, transforms"
    )


def test_a_map_needs_fields() -> None:
    assert map_error(MATCH + "fields: {}\n") == (
        "map.yaml:3: fields: expected a non-empty mapping, found an empty mapping"
    )


def test_every_problem_is_reported_at_once() -> None:
    error = map_error(f"{MATCH}fields:\n  a: {{source: a, type: x}}\n  b: {{sorce: b}}\n")
    assert error.startswith("2 problems:\n- map.yaml:4: fields.a.type: expected one of")
    assert "\n- map.yaml:5: fields.b.sorce: unknown key\n  hint: did you mean 'source'?" in error


def load_error(tmp_path: Path, text: str) -> str:
    path = tmp_path / "map.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_field_map(path)
    return str(caught.value).replace(str(path), "map.yaml")


def test_yaml_syntax_errors_give_the_line(tmp_path: Path) -> None:
    assert load_error(tmp_path, MATCH + "fields:\n  email: {source: email\n  x: y\n") == (
        "map.yaml:5: invalid YAML: expected ',' or '}', but got ':'\n"
        "  hint: while parsing a flow mapping that starts on line 4"
    )


def test_duplicate_fields_are_errors(tmp_path: Path) -> None:
    assert load_error(tmp_path, MATCH + "fields:\n  email: a\n  phone: b\n  email: c\n") == (
        "map.yaml:6: fields.email: duplicate key (first defined on line 4)\n"
        "  hint: YAML keeps only one of them; remove or merge the other"
    )


def test_json_schema_for_editors() -> None:
    schema = FieldMap.model_json_schema()
    json.dumps(schema)  # serialisable as is
    assert schema["required"] == ["version", "match", "fields"]
    assert schema["additionalProperties"] is False
    entry = schema["properties"]["fields"]["additionalProperties"]
    assert entry["anyOf"][0]["type"] == "string"
    rule = schema["$defs"]["FieldRule"]
    assert rule["additionalProperties"] is False
    assert rule["properties"]["type"]["anyOf"][0]["enum"] == [
        "string",
        "integer",
        "decimal",
        "boolean",
        "date",
        "datetime",
    ]
    assert rule["properties"]["source"]["description"].startswith("The source path")
    transform = rule["properties"]["transforms"]["items"]
    assert {"const": "lower", "description": "lower-cases text"} in transform["anyOf"]
    condition = schema["$defs"]["Condition"]["properties"]
    assert {"in", "not", "all", "any"} <= set(condition)
    assert "in_" not in condition
