"""Every transform: what it makes of good input, and how it rejects bad input."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from crmsync.mapping import TRANSFORMS
from crmsync.mapping.transforms import parse_call, transforms_json_schema
from crmsync.yamlfile import InvalidValue

from .helpers import mapper, rejection


def apply(spec: Any, value: Any) -> Any:
    return parse_call(spec).build()(value)


@pytest.mark.parametrize(
    ("spec", "value", "expected"),
    [
        ("lower", "Ada@Example.COM", "ada@example.com"),
        ("lower", 42, "42"),
        ("upper", "gold tier", "GOLD TIER"),
        ("strip", "  padded \t", "padded"),
        ("title", "ada LOVELACE", "Ada Lovelace"),
        ("title", "mary-jane o'neil", "Mary-Jane O'neil"),
        ("email", "  Ada@Example.COM ", "ada@example.com"),
        ("email", "first.last+tag@sub.example.co.uk", "first.last+tag@sub.example.co.uk"),
        ("email", "   ", None),
        ("e164", "+1 (650) 253-0000", "+16502530000"),
        ({"e164": "US"}, "(650) 253-0000", "+16502530000"),
        ({"e164": "fr"}, "01 42 68 53 00", "+33142685300"),
        ({"e164": "FR"}, "+44 20 7946 0018", "+442079460018"),
        ({"e164": "US"}, 6502530000, "+16502530000"),
        ({"e164": "US"}, "", None),
        ({"split_name": "first"}, "Jane van Doe", "Jane"),
        ({"split_name": "last"}, "Jane van Doe", "van Doe"),
        ({"split_name": "first"}, "  Jane   Doe ", "Jane"),
        ({"split_name": "first"}, "Doe, Jane", "Jane"),
        ({"split_name": "last"}, "Doe, Jane", "Doe"),
        ({"split_name": "last"}, "Cher", None),
        ({"join": " | "}, ["vip", "gold"], "vip | gold"),
        ("join", ["vip", None, "", 3], "vip, 3"),
        ("join", "already text", "already text"),
        ({"truncate": 5}, "affiliate", "affil"),
        ({"truncate": 50}, "short", "short"),
        ({"prefix": "AFF-"}, 123, "AFF-123"),
        ({"suffix": "@partners"}, "jane", "jane@partners"),
        ("cents_to_amount", 1250, Decimal("12.50")),
        ("cents_to_amount", " -5 ", Decimal("-0.05")),
        ("cents_to_amount", "1e3", Decimal("10.00")),
        ("cents_to_amount", "", None),
        ("amount_to_cents", "12.50", 1250),
        ("amount_to_cents", 19.99, 1999),
        ("amount_to_cents", Decimal("0.1"), 10),
        ("amount_to_cents", 7, 700),
        ({"format_date": "%d/%m/%Y"}, "2024-03-01", "01/03/2024"),
        ({"format_date": "%d/%m/%Y %H:%M"}, "2024-03-01T09:05:00Z", "01/03/2024 09:05"),
        ({"format_date": "%Y-%m-%d %H:%M"}, "2024-03-01T23:30:00-05:00", "2024-03-01 23:30"),
        ({"format_date": "%Y"}, date(1999, 12, 31), "1999"),
        ({"format_date": "%H:%M"}, datetime(2024, 1, 1, 7, 45), "07:45"),
        ({"format_date": "%Y-%m-%d"}, 1_700_000_000, "2023-11-14"),
    ],
)
def test_transform(spec: Any, value: Any, expected: Any) -> None:
    result = apply(spec, value)
    assert result == expected
    assert type(result) is type(expected)


def test_amounts_keep_their_exact_decimal_places() -> None:
    assert str(apply("cents_to_amount", 1250)) == "12.50"
    assert str(apply("cents_to_amount", 100)) == "1.00"


@pytest.mark.parametrize(
    ("spec", "value", "reason"),
    [
        ("email", "ada at example.com", "'ada at example.com' is not an email address"),
        ("email", "ada@example", "'ada@example' is not an email address"),
        ("email", "a@b@c.com", "'a@b@c.com' is not an email address"),
        ("email", ["a@b.co"], "expected text, found a list"),
        ("lower", {"a": 1}, "expected text, found a mapping"),
        (
            "e164",
            "650 253 0000",
            "'650 253 0000' has no country code (+...) and there is no default region",
        ),
        ({"e164": "US"}, "call me", "'call me' is not a phone number"),
        ({"e164": "US"}, "12", "'12' is not a valid phone number"),
        ("cents_to_amount", "12.5", "expected an integer, found '12.5'"),
        ("cents_to_amount", "ten", "expected an integer, found 'ten'"),
        ("amount_to_cents", "12.505", "'12.505' has a fraction of a cent"),
        ("amount_to_cents", "12,50", "expected a decimal number, found '12,50'"),
        (
            {"format_date": "%d/%m/%Y"},
            "yesterday",
            "expected an ISO 8601 date or time, found 'yesterday'",
        ),
        ({"format_date": "%d/%m/%Y"}, True, "expected a date or time, found true"),
        ({"round_robin": ["a", "b"]}, ["x"], "expected text, found a list"),
    ],
)
def test_bad_input_rejects_the_record_naming_field_and_transform(
    spec: Any, value: Any, reason: str
) -> None:
    name = spec if isinstance(spec, str) else next(iter(spec))
    mapping = mapper(f"out: {{source: value, transforms: [{json.dumps(spec)}]}}")
    assert rejection(mapping, {"email": "a@b.co", "value": value}) == (
        f"out: transform {name!r}: {reason}"
    )


def test_transforms_skip_missing_values() -> None:
    mapping = mapper("out: {source: nothing, transforms: [email, {e164: US}, cents_to_amount]}")
    assert mapping.map({"email": "a@b.co"}).fields["out"] is None


def test_transforms_apply_in_order() -> None:
    mapping = mapper("out: {source: name, transforms: [strip, {prefix: '  '}, upper, strip]}")
    assert mapping.map({"email": "a@b.co", "name": " x "}).fields["out"] == "X"


def test_round_robin_is_a_stable_hash_of_the_value() -> None:
    owners = {"round_robin": ["111", "222", "333"]}
    # Fixed expectations: a run in any process, on any machine, picks the same owner.
    assert [
        apply(owners, e) for e in ("ada@example.com", "bob@example.com", "dee@example.com")
    ] == [
        "111",
        "222",
        "333",
    ]
    assert apply({"round_robin": [7, 8]}, 42) in (7, 8)


def test_round_robin_spreads_values_evenly() -> None:
    owners = {"round_robin": ["111", "222", "333"]}
    counts = Counter(apply(owners, f"user{n}@example.com") for n in range(3000))
    assert set(counts) == {"111", "222", "333"}
    assert min(counts.values()) > 900


# --- the transforms: list when the map loads -----------------------------------------


@pytest.mark.parametrize(
    ("raw", "message", "hint"),
    [
        (
            "lowr",
            "unknown transform 'lowr'",
            "did you mean 'lower'? transforms: " + ", ".join(sorted(TRANSFORMS)),
        ),
        (
            {"lower": True},
            "transform 'lower' takes no argument",
            "write it as a plain list item: - lower",
        ),
        (
            "split_name",
            "transform 'split_name' needs an argument: 'first' or 'last'",
            "write it as {split_name: ...}",
        ),
        (
            {"split_name": "middle"},
            "transform 'split_name' takes 'first' or 'last', found 'middle'",
            None,
        ),
        ({"truncate": 0}, "transform 'truncate' takes a positive integer, found 0", None),
        ({"truncate": "x"}, "transform 'truncate' takes a positive integer, found 'x'", None),
        (
            {"e164": "XX"},
            "transform 'e164' takes a region code such as 'US' or 'FR', found 'XX'",
            None,
        ),
        (
            {"round_robin": []},
            "transform 'round_robin' takes a non-empty list of values, found an empty list",
            None,
        ),
        (
            {"round_robin": "111"},
            "transform 'round_robin' takes a non-empty list of values, found '111'",
            None,
        ),
        (
            {"format_date": ""},
            "transform 'format_date' takes a strftime pattern such as '%d/%m/%Y', found ''",
            None,
        ),
        ({"prefix": 5}, "transform 'prefix' takes a string, found 5", None),
        (
            {"lower": None, "upper": None},
            "expected a transform name or {name: argument}, found a mapping",
            "write `- lower` or `- {split_name: first}`; one transform per list item",
        ),
        (
            7,
            "expected a transform name or {name: argument}, found 7",
            "write `- lower` or `- {split_name: first}`; one transform per list item",
        ),
    ],
)
def test_invalid_transform_entries(raw: Any, message: str, hint: str | None) -> None:
    with pytest.raises(InvalidValue) as caught:
        parse_call(raw)
    assert (str(caught.value), caught.value.hint) == (message, hint)


def test_optional_arguments_may_be_left_out() -> None:
    assert parse_call("e164").arg is None
    assert parse_call("join").build()(["a", "b"]) == "a, b"


def test_json_schema_lists_every_transform() -> None:
    *bare, keyed = transforms_json_schema()["anyOf"]
    assert {entry["const"] for entry in bare} | set(keyed["properties"]) == set(TRANSFORMS)
    assert {"lower", "e164"} <= {entry["const"] for entry in bare}
    split_name = keyed["properties"]["split_name"]
    assert split_name["enum"] == ["first", "last"]
    assert split_name["description"].endswith("takes 'first' or 'last'")
    assert "split_name" not in {entry["const"] for entry in bare}
