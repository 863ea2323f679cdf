"""crmsync.yaml: every mistake is reported with its file, line, key path and a way out.

Messages are compared whole: they are the product here, and a test that only looked
for a fragment would let the rest of the sentence rot.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from crmsync.config import Share, load_config
from crmsync.sdk import registry
from crmsync.sdk.errors import ConfigError
from crmsync.workspace import Workspace

# Line numbers matter below: the sync starts on line 14 and text appended to BASE
# (keys of that sync, indented by four spaces) starts on line 18.
BASE = """\
version: 1
connections:
  crm:
    connector: files
    settings:
      objects:
        contacts: {path: contacts.csv, key: id}
  program:
    connector: files
    settings:
      objects:
        affiliates: {path: affiliates.csv, key: email}
syncs:
  - name: enrol
    source: {connection: crm, object: contacts}
    target: {connection: program, object: affiliates}
    mapping: enrol.yaml
"""
SECOND_SYNC = """\
  - name: payouts
    source: {connection: program, object: affiliates}
    target: {connection: crm, object: contacts}
"""


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Work in a scratch folder so that messages name plain ``crmsync.yaml``."""
    monkeypatch.chdir(tmp_path)


def write(text: str) -> Path:
    path = Path("crmsync.yaml")
    path.write_text(text, encoding="utf-8")
    return path


def open_workspace(text: str, environ: dict[str, str] | None = None) -> Workspace:
    """Load ``text`` as crmsync.yaml and validate its connector settings, as the CLI does."""
    workspace = Workspace(load_config(write(text), environ=environ or {}))
    workspace.validate_connections()
    return workspace


def error_of(text: str, environ: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        open_workspace(text, environ)
    return str(caught.value)


# --- the file itself ------------------------------------------------------------------


def test_a_yaml_syntax_error_names_the_line_and_where_the_construct_began() -> None:
    text = BASE.replace("{path: contacts.csv, key: id}", "{path: contacts.csv, key: id")

    assert error_of(text) == (
        "crmsync.yaml:8: invalid YAML: expected ',' or '}', but got ':'\n"
        "  hint: while parsing a flow mapping that starts on line 7"
    )


def test_the_top_level_must_be_a_mapping() -> None:
    assert error_of("- connections\n- syncs\n") == (
        "crmsync.yaml:1: expected a mapping of keys to values at the top level, found a list"
    )


def test_a_missing_file_and_a_folder_say_how_to_get_a_config() -> None:
    with pytest.raises(ConfigError) as missing:
        load_config(Path("nowhere.yaml"))
    Path("project").mkdir()
    with pytest.raises(ConfigError) as folder:
        load_config(Path("project"))

    assert str(missing.value) == (
        "config file 'nowhere.yaml' does not exist\n"
        "  hint: create one with `crmsync init`, or pass --config PATH"
    )
    assert str(folder.value) == (
        "config file 'project' is a folder\n"
        "  hint: pass the file in it: --config project/crmsync.yaml"
    )


# --- keys and values ------------------------------------------------------------------


def test_an_unknown_top_level_key_suggests_the_right_one() -> None:
    assert error_of(BASE + "synks: []\n") == (
        "crmsync.yaml:18: synks: unknown key\n"
        "  hint: did you mean 'syncs'? "
        "allowed keys: version, state, connections, syncs, scheduler, notify"
    )


def test_a_misspelt_required_key_is_one_problem_at_the_misspelt_line() -> None:
    text = BASE.replace("    target:", "    targt:")

    assert error_of(text) == (
        "crmsync.yaml:16: syncs[0].targt: unknown key, and 'target' is missing\n"
        "  hint: did you mean 'target'? allowed keys: name, description, source, target, "
        "mapping, mode, delete, schedule, lookback, batch_size, max_attempts, guards"
    )


def test_a_missing_key_stays_its_own_problem_when_no_unknown_key_resembles_it() -> None:
    text = BASE.replace("    target:", "    zzz:")

    assert error_of(text) == (
        "2 problems:\n"
        "- crmsync.yaml:14: syncs[0].target: required key is missing\n"
        "- crmsync.yaml:16: syncs[0].zzz: unknown key\n"
        "  hint: allowed keys: name, description, source, target, "
        "mapping, mode, delete, schedule, lookback, batch_size, max_attempts, guards"
    )


def test_a_wrong_mode_lists_the_modes_and_suggests_the_closest() -> None:
    assert error_of(BASE + "    mode: upset\n") == (
        "crmsync.yaml:18: syncs[0].mode: expected one of 'upsert', 'update-only', "
        "'create-only', found 'upset'\n"
        "  hint: did you mean 'upsert'?"
    )


def test_a_missing_required_key_is_placed_on_its_sync() -> None:
    assert error_of(BASE + SECOND_SYNC) == (
        "crmsync.yaml:18: syncs[1].mapping: required key is missing"
    )


def test_a_bad_sync_name_says_what_names_look_like_and_offers_one() -> None:
    text = BASE.replace("name: enrol", "name: Enrol Affiliates")

    assert error_of(text) == (
        "crmsync.yaml:14: syncs[0].name: expected lower-case letters, digits, '-' and '_', "
        "starting with a letter or a digit, found 'Enrol Affiliates'\n"
        "  hint: try 'enrol-affiliates'"
    )


def test_duplicate_sync_names_point_at_the_repeat_and_the_original() -> None:
    text = BASE + SECOND_SYNC.replace("payouts", "enrol") + "    mapping: back.yaml\n"

    assert error_of(text) == (
        "crmsync.yaml:18: syncs[1].name: sync name 'enrol' is already used by "
        "syncs[0].name (line 14)\n"
        "  hint: give each sync its own name: its cursor, links and failures are kept under it"
    )


def test_a_sync_naming_an_unknown_connection_gets_the_closest_one() -> None:
    text = BASE.replace("connection: program,", "connection: programme,")

    assert error_of(text) == (
        "crmsync.yaml:16: syncs[0].target.connection: no connection named 'programme'\n"
        "  hint: did you mean 'program'? connections: crm, program"
    )


@pytest.mark.parametrize(
    ("schedule", "hint"),
    [
        ("every day", "an interval is 'every' and a duration above zero: 30s, 15m, 2d"),
        ("'61 * * * *'", "minute '61': the last value (61) is higher than the maximum value (59)"),
        (
            "'0 9 * *'",
            "a cron expression has 5 fields (minute hour day-of-month month day-of-week); found 4",
        ),
        ("'0 9 * * 8'", "day-of-week '8': expected 0-7 or sun-sat (0 and 7 are Sunday)"),
    ],
)
def test_a_bad_schedule_shows_both_forms_and_what_is_wrong(schedule: str, hint: str) -> None:
    found = schedule.strip("'")

    assert error_of(BASE + f"    schedule: {schedule}\n") == (
        "crmsync.yaml:18: syncs[0].schedule: expected a cron expression ('*/15 * * * *') "
        f"or an interval ('every 15m'), found {found!r}\n"
        f"  hint: {hint}"
    )


def test_a_bad_duration_shows_the_accepted_form() -> None:
    assert error_of(BASE + "    lookback: 5 minutes\n") == (
        "crmsync.yaml:18: syncs[0].lookback: expected a duration such as '30s', '5m' "
        "or '1h30m', found '5 minutes'"
    )


@pytest.mark.parametrize(
    ("limit", "expected"),
    [
        (
            "10 percent",
            "expected a number of records above 0 (500) or a share of the linked records "
            "('10%'), found '10 percent'",
        ),
        (
            "0",
            "expected a number of records above 0 (500) or a share of the linked records "
            "('10%'), found 0",
        ),
        ("150%", "expected a share above 0% and up to 100%, found '150%'"),
        ("0%", "expected a share above 0% and up to 100%, found '0%'"),
    ],
)
def test_a_bad_guard_limit_shows_both_forms(limit: str, expected: str) -> None:
    text = BASE + f"    guards: {{max_creates: {limit}}}\n"

    assert error_of(text) == f"crmsync.yaml:18: syncs[0].guards.max_creates: {expected}"


def test_guard_limits_are_counts_or_shares() -> None:
    text = BASE + "    guards: {max_creates: 500, max_updates: ' 2.5 % ', max_archives: '40'}\n"

    guards = open_workspace(text).loaded.config.syncs[0].guards

    assert guards.max_creates == 500
    assert guards.max_updates == Share(percent=2.5)
    assert guards.max_archives == 40


# --- connectors and their settings ----------------------------------------------------


def test_an_unknown_connector_suggests_the_closest_installed_one() -> None:
    text = BASE.replace("connector: files", "connector: file", 1)

    installed = ", ".join(sorted(registry.available()))  # files, hubspot, rewardful, ...
    assert error_of(text) == (
        "crmsync.yaml:4: connections.crm.connector: no connector named 'file' is installed\n"
        f"  hint: did you mean 'files'? installed: {installed}"
    )


def test_connector_settings_errors_are_located_in_crmsync_yaml() -> None:
    text = BASE.replace(
        "contacts: {path: contacts.csv, key: id}",
        "contacts:\n          path: contacts.csv\n          keys: id\n          format: xml",
    )

    assert error_of(text) == (
        "2 problems:\n"
        "- crmsync.yaml:9: connections.crm.settings.objects.contacts.keys: unknown key\n"
        "  hint: did you mean 'key'? allowed keys: path, format, key, updated_at, deleted, "
        "fields, delimiter, page_size, max_batch_size\n"
        "- crmsync.yaml:10: connections.crm.settings.objects.contacts.format: "
        "expected one of 'csv', 'jsonl', found 'xml'"
    )


def test_several_problems_are_reported_at_once_in_line_order() -> None:
    text = BASE.replace("mapping: enrol.yaml", "mapping: enrol.yaml\n    mode: upset") + (
        "    lookback: 5 minutes\n"
    )
    text = text.replace("version: 1", "version: 2")

    with pytest.raises(ConfigError) as caught:
        open_workspace(text)

    error = caught.value
    assert [(p.line, p.location) for p in error.problems] == [
        (1, "version"),
        (18, "syncs[0].mode"),
        (19, "syncs[0].lookback"),
    ]
    assert str(error).startswith("3 problems:\n- crmsync.yaml:1: version: expected 1, found 2\n")


# --- ${ENV} references ----------------------------------------------------------------


def test_an_unset_environment_variable_is_located_with_a_hint() -> None:
    text = BASE.replace("path: affiliates.csv", "path: '${HUBSPOT_TOKEN}.csv'")

    assert error_of(text, environ={}) == (
        "crmsync.yaml:12: connections.program.settings.objects.affiliates.path: "
        "environment variable HUBSPOT_TOKEN is not set\n"
        "  hint: export HUBSPOT_TOKEN=... before running crmsync"
    )


def test_env_references_are_substituted_inside_nested_settings() -> None:
    text = BASE.replace(
        "contacts: {path: contacts.csv, key: id}",
        "contacts: {path: '${DATA}/contacts-${REGION}.csv', key: id, page_size: '${PAGE}'}",
    )

    workspace = open_workspace(text, {"DATA": "/srv/crm", "REGION": "eu", "PAGE": "250"})

    settings = workspace.loaded.config.connections["crm"].settings
    assert settings["objects"]["contacts"] == {
        "path": "/srv/crm/contacts-eu.csv",
        "key": "id",
        "page_size": "250",
    }


def test_env_references_may_carry_a_default_for_unset_or_empty_variables() -> None:
    text = BASE.replace(
        "contacts: {path: contacts.csv, key: id}",
        "contacts: {path: '${DATA:-/srv/default}/c.csv', key: '${KEY:-id}', delimiter: '${SEP}'}",
    )

    workspace = open_workspace(text, {"DATA": "", "SEP": ";"})

    settings = workspace.loaded.config.connections["crm"].settings
    assert settings["objects"]["contacts"] == {
        "path": "/srv/default/c.csv",
        "key": "id",
        "delimiter": ";",
    }


# --- the state store ------------------------------------------------------------------


def test_a_value_from_the_environment_is_never_shown_in_an_error() -> None:
    text = BASE.replace(
        "contacts: {path: contacts.csv, key: id}", "contacts: {path: x.csv, page_size: '${TOKEN}'}"
    )
    with pytest.raises(ConfigError) as caught:
        open_workspace(text, {"TOKEN": "sk_live_51Hsecret"})
    assert "sk_live_51Hsecret" not in str(caught.value)
    assert str(caught.value) == (
        "crmsync.yaml:7: connections.crm.settings.objects.contacts.page_size: "
        "expected an integer, found the value of ${TOKEN}"
    )


def test_the_state_store_defaults_to_a_sqlite_file_next_to_the_config() -> None:
    loaded = load_config(write(BASE))

    assert loaded.state_url == f"sqlite:///{Path.cwd().resolve() / 'crmsync-state.db'}"
    assert loaded.config.state.db_schema is None
    assert loaded.config.state.lease == timedelta(minutes=5)


def test_state_settings_map_schema_and_read_durations() -> None:
    url = "postgresql+psycopg://crmsync@db.internal/crmsync"
    text = BASE.replace(
        "connections:", f"state: {{url: '{url}', schema: x, lease: 90s}}\nconnections:"
    )

    state = load_config(write(text)).config.state

    assert (state.url, state.db_schema, state.lease) == (url, "x", timedelta(seconds=90))


def test_a_lease_too_short_to_outlive_a_batch_is_refused() -> None:
    text = BASE.replace("connections:", "state: {lease: 2s}\nconnections:")
    with pytest.raises(ConfigError) as caught:
        load_config(write(text))
    assert str(caught.value) == (
        "crmsync.yaml:2: state.lease: expected at least 10 seconds, found '2s'"
    )


# --- looking names up -----------------------------------------------------------------


def test_unknown_sync_and_connection_names_get_the_closest_one() -> None:
    loaded = load_config(write(BASE))

    with pytest.raises(ConfigError) as sync:
        loaded.sync("enroll")
    with pytest.raises(ConfigError) as connection:
        loaded.connection("crn")

    assert str(sync.value) == (
        f"{loaded.path}: no sync named 'enroll'\n  hint: did you mean 'enrol'? syncs: enrol"
    )
    assert str(connection.value) == (
        f"{loaded.path}: no connection named 'crn'\n"
        "  hint: did you mean 'crm'? connections: crm, program"
    )
