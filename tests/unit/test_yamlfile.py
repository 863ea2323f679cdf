"""YAML loading with lines, and pydantic errors turned into file:line: key: messages."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from crmsync import yamlfile
from crmsync.sdk.errors import ConfigError
from crmsync.yamlfile import InvalidValue

CONFIG = """\
# a comment
connections:
  crm:
    connector: hubspot
  program:
    settings: {api_key: abc}
syncs:
  - name: one
    mode: upsert
  - name: two
    mode: upset
    batch_size: ten
"""


def error_of(text: str, model: type[BaseModel] | None = None) -> ConfigError:
    """The error loading ``text`` (and validating it as ``model``, if given) raises."""

    def load() -> None:
        doc = yamlfile.loads(text, "crmsync.yaml")
        if model is not None:
            yamlfile.validate(model, doc)

    with pytest.raises(ConfigError) as caught:
        load()
    return caught.value


# --- loading -------------------------------------------------------------------------


def test_lines_of_keys_and_items() -> None:
    doc = yamlfile.loads(CONFIG, "crmsync.yaml")
    assert doc.source == "crmsync.yaml"
    assert doc.line(()) == 2
    assert doc.line(("connections", "crm", "connector")) == 4
    assert doc.line(("connections", "program", "settings", "api_key")) == 6
    assert doc.line(("syncs", 0)) == 8
    assert doc.line(("syncs", 1, "mode")) == 11
    assert doc.line(("syncs", 1, "batch_size")) == 12


def test_a_missing_key_takes_the_line_of_its_nearest_ancestor() -> None:
    doc = yamlfile.loads(CONFIG, "crmsync.yaml")
    assert doc.line(("connections", "crm", "settings", "token")) == 3
    assert doc.line(("syncs", 7, "mode")) == 7
    assert doc.line(("nowhere",)) == 2


def test_data_is_plain_python() -> None:
    doc = yamlfile.loads(CONFIG, "crmsync.yaml")
    assert doc.data["syncs"][1] == {"name": "two", "mode": "upset", "batch_size": "ten"}


def test_only_true_and_false_are_booleans() -> None:
    doc = yamlfile.loads(
        "a: NO\nb: yes\nc: off\nd: true\ne: FALSE\nf: True\ng: 2024-05-01\n", "x.yaml"
    )
    assert doc.data == {
        "a": "NO",
        "b": "yes",
        "c": "off",
        "d": True,
        "e": False,
        "f": True,
        "g": date(2024, 5, 1),
    }


def test_anchors_aliases_and_merge_keys_are_not_duplicates() -> None:
    text = "base: &base {a: 1, b: 2}\nderived:\n  <<: *base\n  b: 3\nsame: *base\n"
    doc = yamlfile.loads(text, "x.yaml")
    assert doc.data["derived"] == {"a": 1, "b": 3}
    assert doc.data["same"] == {"a": 1, "b": 2}


def test_duplicate_key_names_both_lines() -> None:
    error = error_of("syncs:\n  - name: one\n    mode: upsert\n    mode: create-only\n")
    assert str(error) == (
        "crmsync.yaml:4: syncs[0].mode: duplicate key (first defined on line 3)\n"
        "  hint: YAML keeps only one of them; remove or merge the other"
    )
    assert error.line == 4
    assert error.location == "syncs[0].mode"


def test_every_duplicate_key_is_reported() -> None:
    error = error_of("a: 1\nb: {x: 1, x: 2}\na: 3\n")
    assert [(p.location, p.line) for p in error.problems] == [("b.x", 2), ("a", 3)]
    assert str(error).startswith("2 problems:\n- crmsync.yaml:2: b.x: duplicate key")


def test_syntax_error_gives_the_line_and_the_problem() -> None:
    error = error_of('a: 1\nb: "unclosed\nc: 3\n')
    assert str(error) == (
        "crmsync.yaml:4: invalid YAML: found unexpected end of stream\n"
        "  hint: while scanning a quoted scalar that starts on line 2"
    )


def test_syntax_error_in_a_flow_mapping() -> None:
    error = error_of("a:\n  b: {x: 1\nc: 2\n")
    assert error.line == 3
    assert error.message.startswith("invalid YAML: ")


def test_tabs_get_a_hint() -> None:
    error = error_of("a:\n\t- b\n")
    assert str(error) == (
        "crmsync.yaml:2: invalid YAML: found character '\\t' that cannot start any token\n"
        "  hint: use spaces instead of tabs"
    )


def test_unsafe_tags_are_refused() -> None:
    error = error_of("a: !!python/object/apply:os.system [echo]\n")
    assert error.line == 1
    assert "could not determine a constructor" in error.message


@pytest.mark.parametrize("text", ["", "# only a comment\n", "---\n", "~\n"])
def test_an_empty_file_is_an_error(text: str) -> None:
    assert str(error_of(text)) == (
        "crmsync.yaml: the file is empty; expected a mapping of keys to values"
    )


@pytest.mark.parametrize(
    ("text", "found"), [("- a\n- b\n", "a list"), ("just text\n", "'just text'"), ("42\n", "42")]
)
def test_the_top_level_must_be_a_mapping(text: str, found: str) -> None:
    assert str(error_of(text)) == (
        f"crmsync.yaml:1: expected a mapping of keys to values at the top level, found {found}"
    )


def test_load_names_the_path_as_given(tmp_path: Path) -> None:
    path = tmp_path / "crmsync.yaml"
    path.write_text("a:\n  b: 1\n", encoding="utf-8")
    doc = yamlfile.load(path)
    assert doc.source == str(path)
    assert doc.data == {"a": {"b": 1}}
    assert doc.line(("a", "b")) == 2


def test_load_reports_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError) as caught:
        yamlfile.load(path)
    assert str(caught.value) == f"{path}: file not found"


def test_load_reports_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: Zoë\n".encode("latin-1"))
    with pytest.raises(ConfigError) as caught:
        yamlfile.load(path)
    assert str(caught.value) == f"{path}: not UTF-8 text\n  hint: save it as UTF-8"


def test_with_data_keeps_source_and_lines() -> None:
    doc = yamlfile.loads("a:\n  b: ${X}\n", "x.yaml")
    changed = doc.with_data({"a": {"b": "value"}})
    assert changed.data == {"a": {"b": "value"}}
    assert (changed.source, changed.line(("a", "b"))) == ("x.yaml", 2)


# --- validation ----------------------------------------------------------------------


class Tier(StrEnum):
    GOLD = "gold"
    SILVER = "silver"


class Connection(BaseModel):
    model_config = ConfigDict(extra="forbid")
    connector: str
    settings: dict[str, Any] = {}


class Sync(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    mode: Literal["upsert", "update-only", "create-only"] = "upsert"
    batch_size: int = Field(100, gt=0)
    tier: Tier | None = None
    retries: int | list[int] = 0
    tags: list[str] = Field(default_factory=list, min_length=1)
    start: date | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str, info: ValidationInfo) -> str:
        reserved = (info.context or {}).get("reserved", ())
        if value in reserved:
            raise InvalidValue(f"{value!r} is reserved", hint="pick another name")
        if value.startswith("-"):
            raise ValueError("a name cannot start with '-'")
        return value


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")
    connections: dict[str, Connection]
    syncs: list[Sync] = []


def config_error(text: str, **kwargs: Any) -> str:
    with pytest.raises(ConfigError) as caught:
        yamlfile.validate(Config, yamlfile.loads(text, "crmsync.yaml"), **kwargs)
    return str(caught.value)


def test_valid_documents_become_models() -> None:
    config = yamlfile.validate(
        Config, yamlfile.loads("connections: {crm: {connector: hubspot}}\n", "c.yaml")
    )
    assert config.connections["crm"].connector == "hubspot"


def test_literal_lists_the_choices_and_suggests_one() -> None:
    text = "connections: {}\nsyncs:\n  - name: a\n  - name: b\n    mode: upset\n"
    assert config_error(text) == (
        "crmsync.yaml:5: syncs[1].mode: expected one of 'upsert', 'update-only', "
        "'create-only', found 'upset'\n  hint: did you mean 'upsert'?"
    )


def test_literal_without_a_close_choice_has_no_hint() -> None:
    text = "connections: {}\nsyncs: [{name: a, mode: sideways}]\n"
    assert config_error(text).endswith("found 'sideways'")


def test_enum_values_are_listed() -> None:
    text = "connections: {}\nsyncs: [{name: a, tier: gld}]\n"
    assert config_error(text) == (
        "crmsync.yaml:2: syncs[0].tier: expected one of 'gold', 'silver', found 'gld'\n"
        "  hint: did you mean 'gold'?"
    )


def test_unknown_key_suggests_and_lists_the_allowed_keys() -> None:
    text = "connections:\n  crm:\n    connector: hubspot\n    setings: {}\n"
    assert config_error(text) == (
        "crmsync.yaml:4: connections.crm.setings: unknown key\n"
        "  hint: did you mean 'settings'? allowed keys: connector, settings"
    )


def test_unknown_key_without_a_close_name_lists_the_allowed_keys() -> None:
    text = "connections: {}\nsyncs: [{name: a, zzz: 1}]\n"
    assert config_error(text) == (
        "crmsync.yaml:2: syncs[0].zzz: unknown key\n"
        "  hint: allowed keys: name, mode, batch_size, tier, retries, tags, start"
    )


def test_missing_key_points_at_its_parent() -> None:
    text = "connections:\n  crm:\n    settings: {}\n"
    assert (
        config_error(text) == "crmsync.yaml:2: connections.crm.connector: required key is missing"
    )


def test_missing_top_level_key_has_no_line_but_its_location() -> None:
    error = error_of("syncs: []\n", Config)
    assert (error.location, error.line, error.message) == (
        "connections",
        1,
        "required key is missing",
    )


@pytest.mark.parametrize(
    ("sync", "message"),
    [
        ("{name: a, batch_size: ten}", "batch_size: expected an integer, found 'ten'"),
        ("{name: a, batch_size: 2.5}", "batch_size: expected an integer, found 2.5"),
        ("{name: a, batch_size: -1}", "batch_size: expected a number greater than 0, found -1"),
        ("{name: [a]}", "name: expected a string, found a list"),
        ("{name: a, tags: []}", "tags: expected a non-empty list, found an empty list"),
        ("{name: a, tags: {x: 1}}", "tags: expected a list, found a mapping"),
        ("{name: a, start: someday}", "start: expected a date (YYYY-MM-DD), found 'someday'"),
        ("{name: a, retries: often}", "retries: expected an integer or a list, found 'often'"),
        (
            "{name: a, mode: 3}",
            "mode: expected one of 'upsert', 'update-only', 'create-only', found 3",
        ),
        ("{name: a, batch_size: }", "batch_size: expected an integer, found nothing"),
    ],
)
def test_wrong_types_say_what_was_expected_and_found(sync: str, message: str) -> None:
    text = f"connections: {{}}\nsyncs:\n  - {sync}\n"
    assert config_error(text) == f"crmsync.yaml:3: syncs[0].{message}"


def test_a_list_where_a_mapping_belongs() -> None:
    text = "connections:\n  - crm\n"
    assert config_error(text) == "crmsync.yaml:1: connections: expected a mapping, found a list"


def test_found_values_are_truncated() -> None:
    text = "connections: {}\nsyncs: [{name: a, batch_size: " + "x" * 100 + "}]\n"
    assert config_error(text).endswith(f"found '{'x' * 37}...'")


def test_own_validator_errors_keep_their_text_and_hint() -> None:
    text = "connections: {}\nsyncs: [{name: main}, {name: -x}]\n"
    assert config_error(text, context={"reserved": ["main"]}) == (
        "2 problems:\n"
        "- crmsync.yaml:2: syncs[0].name: 'main' is reserved\n"
        "  hint: pick another name\n"
        "- crmsync.yaml:2: syncs[1].name: a name cannot start with '-'"
    )


def test_problems_are_sorted_by_line_and_kept_individually() -> None:
    text = "syncs:\n  - name: a\n    mode: x\nconnections:\n  crm: {connector: hubspot, extra: 1}\n"
    error = error_of(text, Config)
    assert [(p.line, p.location) for p in error.problems] == [
        (3, "syncs[0].mode"),
        (5, "connections.crm.extra"),
    ]


def test_validate_at_checks_one_section_with_full_locations() -> None:
    doc = yamlfile.loads(CONFIG, "crmsync.yaml")
    with pytest.raises(ConfigError) as caught:
        yamlfile.validate_at(Sync, doc, ("syncs", 1))
    assert [str(p) for p in caught.value.problems] == [
        "crmsync.yaml:11: syncs[1].mode: expected one of 'upsert', 'update-only', "
        "'create-only', found 'upset'\n  hint: did you mean 'upsert'?",
        "crmsync.yaml:12: syncs[1].batch_size: expected an integer, found 'ten'",
    ]


def test_validate_at_treats_an_empty_section_as_empty() -> None:
    doc = yamlfile.loads("connections:\n  crm:\n  files: {}\n", "c.yaml")
    with pytest.raises(ConfigError) as caught:
        yamlfile.validate_at(Connection, doc, ("connections", "crm"))
    assert str(caught.value) == "c.yaml:2: connections.crm.connector: required key is missing"


class _Optional(BaseModel):
    connector: str = "files"


def test_validate_at_of_an_absent_section_uses_defaults() -> None:
    doc = yamlfile.loads("a: 1\n", "c.yaml")
    assert yamlfile.validate_at(_Optional, doc, ("b", "c")).connector == "files"


@pytest.mark.parametrize(
    ("loc", "rendered"),
    [
        (("syncs", 1, "mapping"), "syncs[1].mapping"),
        (("fields", "email", "transforms", 0), "fields.email.transforms[0]"),
        (("fields", "Lead Source"), "fields['Lead Source']"),
        (("map", "a.b"), "map['a.b']"),
        ((3, "x"), "[3].x"),
        (("first_name-2",), "first_name-2"),
        ((), ""),
    ],
)
def test_format_location(loc: tuple[str | int, ...], rendered: str) -> None:
    assert yamlfile.format_location(loc) == rendered


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "nothing"),
        (True, "true"),
        ("ten", "'ten'"),
        (12, "12"),
        ([1], "a list"),
        ([], "an empty list"),
        ({"a": 1}, "a mapping"),
        ({}, "an empty mapping"),
        (date(2024, 1, 31), "2024-01-31"),
        ("y" * 41, f"'{'y' * 37}...'"),
    ],
)
def test_brief(value: Any, shown: str) -> None:
    assert yamlfile.brief(value) == shown
