"""The commands that check, plan, run and inspect a sync, with their exit codes."""

from __future__ import annotations

import json
import os
from datetime import timedelta

import pytest

from crmsync.state import StateStore

from .conftest import SYNC, Cli, Project

pytestmark = pytest.mark.e2e

BAD_EMAIL = ("4", "not-an-email", "Dee", "2026-01-04T00:00:00Z")


def _people_by_email(project: Project) -> dict[str, str]:
    return {row["email"]: row["name"] for row in project.people()}


# --- check and describe ---------------------------------------------------------------


def test_check_passes_a_sound_project(cli: Cli) -> None:
    result = cli("check")

    assert (result.exit_code, result.stdout) == (0, "all syncs check out\n")
    assert json.loads(cli("check", "--json").stdout) == []


def test_check_finds_a_field_the_target_does_not_have(cli: Cli, project: Project) -> None:
    project.edit("people.yaml", "  name: name\n", "  name: name\n  nickname: name\n")

    table = cli("check")
    found = json.loads(cli("check", "--json").stdout)

    assert table.exit_code == 2
    assert "people.yaml:6: fields.nickname" in table.stdout
    assert found == [
        {
            "sync": SYNC,
            "severity": "error",
            "where": "people.yaml:6: fields.nickname",
            "message": "the target has no field 'nickname'",
            "hint": "did you mean 'name'?",
        }
    ]


@pytest.mark.parametrize(
    ("old", "new", "where", "message", "hint"),
    [
        (
            "object: people",
            "object: peeple",
            "crmsync.yaml:19: syncs[0].target.object",
            "files has no object type 'peeple'",
            "did you mean 'people'? available: people",
        ),
        (
            "mapping: people.yaml",
            "mapping: peple.yaml",
            "crmsync.yaml:20: syncs[0].mapping",
            "field map 'peple.yaml' does not exist",
            "a relative path starts from the folder of the config file",
        ),
    ],
)
def test_check_and_run_place_a_broken_sync_in_crmsync_yaml(
    cli: Cli, project: Project, old: str, new: str, where: str, message: str, hint: str
) -> None:
    project.edit("crmsync.yaml", old, new)

    [found] = json.loads(cli("check", "--json").stdout)
    run = cli("run", SYNC)

    assert found == {
        "sync": SYNC,
        "severity": "error",
        "where": f"{project.folder}/{where}",
        "message": message,
        "hint": hint,
    }
    assert run.exit_code == 2
    assert run.stderr == f"error: {project.folder}/{where}: {message}\n  hint: {hint}\n"


def test_describe_shows_the_fields_of_an_object(cli: Cli) -> None:
    table = cli("describe", "book", "people")
    described = json.loads(cli("describe", "book", "people", "--json").stdout)

    assert table.exit_code == 0
    assert table.stdout.startswith("book.people  key: email  cursor: -  batch: 1000  can: read")
    assert "contact_id" in table.stdout
    assert {k: described[k] for k in ("connection", "object", "key", "open_schema")} == {
        "connection": "book",
        "object": "people",
        "key": "email",
        "open_schema": False,
    }
    assert [(f["name"], f["type"]) for f in described["fields"]] == [
        ("email", "string"),
        ("name", "string"),
        ("contact_id", "string"),
    ]


def test_describe_suggests_the_closest_object_and_connection(cli: Cli, project: Project) -> None:
    unknown_object = cli("describe", "crm", "contact")
    unknown_connection = cli("describe", "cmr", "contacts")

    assert unknown_object.exit_code == unknown_connection.exit_code == 2
    assert unknown_object.stderr == (
        "error: files has no object type 'contact'\n"
        "  hint: did you mean 'contacts'? available: contacts\n"
    )
    assert unknown_connection.stderr == (
        f"error: {project.config}: no connection named 'cmr'\n"
        "  hint: did you mean 'crm'? connections: crm, book\n"
    )


# --- plan and run ---------------------------------------------------------------------


def test_plan_shows_samples_and_exits_3_until_a_run_writes_them(cli: Cli, project: Project) -> None:
    planned = cli("plan", SYNC)

    assert planned.exit_code == 3
    assert planned.stdout.startswith(f"{SYNC}: changes to write (run, dry run)\n")
    assert "  upsert 1\n      email: 'ada@example.com'\n      name: 'Ada'\n" in planned.stdout
    assert project.people() == []

    assert cli("run", SYNC).exit_code == 0
    replanned = cli("plan", SYNC)
    assert (replanned.exit_code, replanned.stdout.splitlines()[0]) == (
        0,
        f"{SYNC}: nothing to write (run, dry run)",
    )


def test_plan_json_has_counts_samples_and_a_verdict(cli: Cli) -> None:
    result = cli("plan", SYNC, "--json")
    plan = json.loads(result.stdout)

    assert result.exit_code == 3
    assert {k: plan[k] for k in ("sync", "kind", "read", "to_create", "has_changes")} == {
        "sync": SYNC,
        "kind": "run",
        "read": 3,
        "to_create": 3,
        "has_changes": True,
    }
    assert plan["samples"]["upsert"][0] == {
        "source_id": "1",
        "target_id": None,
        "fields": {"email": "ada@example.com", "name": "Ada", "contact_id": "1"},
        "reason": None,
    }
    assert plan["guard_violations"] == []


def test_run_writes_once_and_a_second_run_writes_nothing(cli: Cli, project: Project) -> None:
    first = cli("run", SYNC, "--json")
    written = project.people()
    second = cli("run", SYNC, "--json")

    assert (first.exit_code, second.exit_code) == (0, 0)
    assert json.loads(first.stdout)["counts"]["created"] == 3
    assert json.loads(first.stdout)["outcome"] == "succeeded"
    assert written == [
        {"email": "ada@example.com", "name": "Ada", "contact_id": "1"},
        {"email": "bob@example.com", "name": "Bob", "contact_id": "2"},
        {"email": "cy@example.com", "name": "Cy", "contact_id": "3"},
    ]
    counts = json.loads(second.stdout)["counts"]
    assert counts["created"] == counts["updated"] == counts["archived"] == 0
    assert project.people() == written


def test_run_prints_a_report(cli: Cli) -> None:
    result = cli("run", SYNC)

    assert result.exit_code == 0
    assert result.stdout.startswith(f"{SYNC}: succeeded (run, run 1, ")
    assert "created" in result.stdout
    assert result.stderr == ""


def test_a_failing_record_exits_4_and_is_listed_with_its_reason(cli: Cli, project: Project) -> None:
    project.add_contact(*BAD_EMAIL)

    planned = cli("plan", SYNC)
    result = cli("run", SYNC)
    table = cli("failures")
    listed = json.loads(cli("failures", SYNC, "--json").stdout)

    assert (
        "  failure 4\n      reason: email: transform 'email': 'not-an-email' is not an email"
        in (planned.stdout)
    )
    assert result.exit_code == 4
    assert (
        f"1 record(s) failed; later runs retry them until they are parked: crmsync failures {SYNC}"
        in (result.stdout)
    )
    assert len(project.people()) == 3  # its batch-mates landed
    assert "not-an-email" in table.stdout
    assert [(f["source_id"], f["code"], f["attempts"], f["parked"]) for f in listed] == [
        ("4", "MAPPING_ERROR", 1, False)
    ]
    assert listed[0]["reason"] == (
        "email: transform 'email': 'not-an-email' is not an email address"
    )


def test_retry_replays_failed_records_after_a_fix_to_the_map(cli: Cli, project: Project) -> None:
    project.add_contact(*BAD_EMAIL)
    assert cli("run", SYNC).exit_code == 4
    project.edit("people.yaml", "transforms: [email], ", "")

    result = cli("retry", SYNC)

    assert result.exit_code == 0
    assert _people_by_email(project)["not-an-email"] == "Dee"
    assert cli("failures").stdout == "no failures\n"


def test_full_refresh_reads_everything_and_writes_only_differences(
    cli: Cli, project: Project
) -> None:
    cli("run", SYNC)
    project.edit("data/contacts.csv", "2,bob@example.com,Bob,", "2,bob@example.com,Robert,")

    incremental = json.loads(cli("run", SYNC, "--json").stdout)
    refreshed = json.loads(cli("run", SYNC, "--full-refresh", "--json").stdout)

    assert incremental["counts"]["updated"] == 0  # Bob's updated_at did not move
    assert refreshed["kind"] == "full-refresh"
    assert (refreshed["counts"]["read"], refreshed["counts"]["updated"]) == (3, 1)
    assert refreshed["counts"]["unchanged"] == 2
    assert _people_by_email(project)["bob@example.com"] == "Robert"


# --- backfill -------------------------------------------------------------------------


def test_backfill_resyncs_a_window(cli: Cli, project: Project) -> None:
    result = cli(
        "backfill", SYNC, "--since", "2026-01-02", "--until", "2026-01-02T12:00Z", "--json"
    )

    assert result.exit_code == 0
    assert json.loads(result.stdout)["kind"] == "backfill"
    assert _people_by_email(project) == {"bob@example.com": "Bob"}


def test_a_backfill_until_a_date_includes_that_whole_day(cli: Cli, project: Project) -> None:
    result = cli("backfill", SYNC, "--since", "2026-01-02", "--until", "2026-01-02")

    assert result.exit_code == 0
    assert _people_by_email(project) == {"bob@example.com": "Bob"}  # changed at 00:00 that day


def test_backfill_refuses_a_window_that_ends_before_it_starts(cli: Cli) -> None:
    result = cli("backfill", SYNC, "--since", "2026-02-01", "--until", "2026-01-01")

    assert result.exit_code == 2
    assert result.stderr == (
        "error: --until 2026-01-01T23:59:59.999999+00:00 is before "
        "--since 2026-02-01T00:00:00+00:00\n"
        "  hint: the window runs from --since to --until\n"
    )


def test_backfill_refuses_a_date_it_cannot_read(cli: Cli) -> None:
    result = cli("backfill", SYNC, "--since", "soon")

    assert result.exit_code == 2
    assert "Invalid value for '--since': expected an ISO date or datetime" in result.stderr
    assert "found 'soon'" in result.stderr


# --- guards and locks -----------------------------------------------------------------


def test_a_guard_stops_a_run_before_writing_unless_forced(cli: Cli, project: Project) -> None:
    project.edit(
        "crmsync.yaml", "mapping: people.yaml", "mapping: people.yaml\n    guards: {max_creates: 2}"
    )

    stopped = cli("run", SYNC)
    written_when_stopped = project.people()
    planned = cli("plan", SYNC)
    forced = cli("run", SYNC, "--force")

    assert stopped.exit_code == 6
    assert "would create 3 records, more than max_creates: 2" in stopped.stdout
    assert written_when_stopped == []
    assert "a run would stop: would create 3 records, more than max_creates: 2" in planned.stdout
    assert forced.exit_code == 0
    assert len(project.people()) == 3


def test_a_locked_sync_exits_5_naming_the_holder(cli: Cli, project: Project) -> None:
    with StateStore.connect(project.state_url) as store:
        lease = store.acquire(SYNC, lease=timedelta(minutes=5), owner="scheduler")
        result = cli("run", SYNC)
        status = json.loads(cli("status", "--json").stdout)
        store.release(lease)

    assert result.exit_code == 5
    assert result.stderr.startswith(
        f"error: sync '{SYNC}' is already running (scheduler: pid {os.getpid()} on host "
    )
    assert project.people() == []
    assert status[0]["state"]["lock"]["pid"] == os.getpid()


@pytest.mark.parametrize(
    "args",
    [
        ["status"],
        ["runs"],
        ["failures"],
        ["audit", SYNC],
        ["state", "reset", SYNC, "--yes"],
        ["run", SYNC],
        ["plan", SYNC],
    ],
    ids=" ".join,
)
def test_an_unreachable_state_store_is_an_error_without_its_password(
    cli: Cli, project: Project, args: list[str]
) -> None:
    url = "postgresql+psycopg://crmsync:hunter2-secret@127.0.0.1:1/crmsync"
    project.edit("crmsync.yaml", "version: 1", f"version: 1\nstate: {{url: '{url}'}}")

    result = cli(*args)

    assert result.exit_code == 8
    assert result.stderr.startswith(
        "error: cannot open the state store at postgresql+psycopg://crmsync:***@127.0.0.1:1/"
    )
    assert "hunter2-secret" not in result.stdout + result.stderr


# --- status, runs, audit, state reset -------------------------------------------------


def test_status_before_and_after_a_run(cli: Cli) -> None:
    before = cli("status")
    cli("run", SYNC)
    after = json.loads(cli("status", "--json").stdout)

    assert before.exit_code == 0
    assert "never run" in before.stdout
    assert [(s["sync"], s["schedule"]) for s in after] == [(SYNC, None)]
    state = after[0]["state"]
    assert (state["links"], state["failures"], state["lock"]) == (3, 0, None)
    assert state["cursor"] == {"updated_at": "2026-01-03T00:00:00Z", "id": "3"}
    assert state["last_run"]["outcome"] == "succeeded"


def test_runs_lists_runs_newest_first(cli: Cli) -> None:
    cli("run", SYNC)
    cli("run", SYNC, "--full-refresh")

    table = cli("runs")
    listed = json.loads(cli("runs", SYNC, "--limit", "1", "--json").stdout)

    assert table.exit_code == 0
    assert "full-refresh" in table.stdout
    assert [(r["id"], r["kind"], r["outcome"]) for r in listed] == [
        (2, "full-refresh", "succeeded")
    ]
    assert cli("runs", "peple").stderr.startswith(
        f"error: {cli.project.config}: no sync named 'peple'\n  hint: did you mean 'people'?"
    )


def test_audit_tells_what_changed_per_record(cli: Cli, project: Project) -> None:
    cli("run", SYNC)
    project.edit("data/contacts.csv", "Bob,2026-01-02", "Robert,2026-01-05")
    cli("run", SYNC)

    table = cli("audit", SYNC)
    history = json.loads(cli("audit", SYNC, "--record", "2", "--json").stdout)

    assert table.exit_code == 0
    assert "bob@example.com" in table.stdout
    assert [(e["source_id"], e["action"], e["fields"]) for e in history] == [
        ("2", "updated", ["name"]),
        ("2", "created", ["contact_id", "email", "name"]),
    ]


def test_state_reset_asks_first_and_forgets_on_yes(cli: Cli) -> None:
    cli("run", SYNC)

    declined = cli("state", "reset", SYNC, input="n\n")
    kept = cli("plan", SYNC).exit_code
    confirmed = cli("state", "reset", SYNC, input="y\n")
    reset = cli("state", "reset", SYNC, "--yes")

    assert declined.exit_code == 2
    assert f"forget the cursor, links and failures of '{SYNC}'? [y/N]" in declined.stdout
    assert declined.stderr == (
        f"error: nothing was reset; answer y, or pass --yes, to reset {SYNC}\n"
    )
    assert kept == 0
    assert confirmed.exit_code == reset.exit_code == 0
    assert reset.stdout == f"reset {SYNC}: the next run starts from scratch\n"
    assert json.loads(cli("status", "--json").stdout)[0]["state"]["links"] == 0
    assert json.loads(cli("plan", SYNC, "--json").stdout)["to_create"] == 3


def test_state_reset_of_a_create_only_sync_warns(cli: Cli, project: Project) -> None:
    project.edit(
        "crmsync.yaml", "mapping: people.yaml", "mapping: people.yaml\n    mode: create-only"
    )

    result = cli("state", "reset", SYNC, "--yes")

    assert result.exit_code == 0
    assert result.stderr == (
        "warning: this sync is create-only: after a reset its next run creates every record again\n"
    )
