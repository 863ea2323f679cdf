"""Failure notifications, posted to a local webhook receiver."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from crmsync.scheduler.firings import Firer
from crmsync.scheduler.notify import Notifier
from crmsync.state import FiringOutcome
from crmsync.testing.clock import FakeClock
from crmsync.workspace import Workspace

from .conftest import SYNC, Project, Receiver, make_firer, open_workspace

FIRED = datetime(2026, 1, 1, tzinfo=UTC)
# Secrets of this module alone: the redactor is process-wide, and must not have learnt
# them from another test.
TOKEN = f"notify-token-{uuid.uuid4().hex}"
HOOK_PATH = f"/hooks/{uuid.uuid4().hex}"
TEAM_SECRET = f"team-{uuid.uuid4().hex}"


def _notify_section(receiver: Receiver, headers: str, extra: str) -> str:
    return f"""\
notify:
  webhook:
    url: {receiver.base}${{HOOK_PATH}}
    headers: {headers}
{extra}"""


@pytest.fixture
def notify_extra() -> str:
    """More keys for the ``notify`` section; tests parametrize it."""
    return ""


@pytest.fixture
def headers() -> str:
    """The webhook's headers; tests parametrize them."""
    return '{Authorization: "Bearer ${NOTIFY_TOKEN}"}'


@pytest.fixture
def notified(
    project: Project,
    receiver: Receiver,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    notify_extra: str,
    headers: str,
) -> Iterator[tuple[Workspace, Firer]]:
    """The project with a ``notify`` section, its workspace and a firer that notifies."""
    monkeypatch.setenv("NOTIFY_TOKEN", TOKEN)
    monkeypatch.setenv("HOOK_PATH", HOOK_PATH)
    monkeypatch.setenv("TEAM_SECRET", TEAM_SECRET)
    project.add(_notify_section(receiver, headers, notify_extra))
    workspace = open_workspace(project, clock)
    notifier = Notifier.for_config(workspace.loaded, clock=clock)
    try:
        yield workspace, make_firer(workspace, notifier=notifier)
    finally:
        assert notifier is not None
        notifier.close()
        workspace.close()


def test_a_failed_run_posts_its_summary(
    notified: tuple[Workspace, Firer], project: Project, receiver: Receiver
) -> None:
    workspace, firer = notified
    (project.folder / "data" / "contacts.csv").unlink()

    firer.fire(SYNC, FIRED)

    [run] = workspace.store.runs(SYNC)
    [summary] = receiver.received
    assert summary["text"].startswith(f"crmsync: sync {SYNC} run {run.id} failed: ")
    assert {k: summary[k] for k in ("sync", "reasons", "run_id", "kind", "outcome")} == {
        "sync": SYNC,
        "reasons": ["failed"],
        "run_id": run.id,
        "kind": "run",
        "outcome": "failed",
    }
    assert summary["message"] == run.message
    assert "contacts.csv" in summary["message"]
    assert summary["fire_time"] == "2026-01-01T00:00:00+00:00"
    assert summary["counts"]["created"] == 0
    assert "failures" not in summary
    assert receiver.headers[0]["Authorization"] == f"Bearer {TOKEN}"


def test_runs_that_need_no_human_notify_nothing(
    notified: tuple[Workspace, Firer], project: Project, receiver: Receiver
) -> None:
    _, firer = notified
    firer.fire(SYNC, FIRED)  # succeeded
    project.contacts([("1", "ada@example.com"), ("2", "not-an-email")])
    firer.fire(SYNC, FIRED + timedelta(seconds=1))  # partial: not in notify.on by default

    assert receiver.received == []


@pytest.mark.parametrize("notify_extra", ["  failures_threshold: 2\n"])
def test_failures_crossing_the_threshold_notify_once(
    notified: tuple[Workspace, Firer], project: Project, receiver: Receiver, clock: FakeClock
) -> None:
    _, firer = notified
    bad = [("1", "bad-1"), ("2", "bob@example.com")]
    project.contacts(bad)
    firer.fire(SYNC, FIRED)  # one failure: below the threshold
    project.contacts([*bad, ("3", "bad-3"), ("4", "bad-4")])
    firer.fire(SYNC, FIRED + timedelta(seconds=1))  # three: crosses it
    firer.fire(SYNC, FIRED + timedelta(seconds=2))  # still three: no news

    [summary] = receiver.received
    assert summary["reasons"] == ["failures_threshold"]
    assert summary["outcome"] == "partial"
    assert summary["failures"] == {"before": 1, "stored": 3, "threshold": 2}
    assert summary["text"].endswith("(3 records failing, 1 before this run)")
    assert "bad-3" not in str(summary)  # record data stays out of notifications


@pytest.mark.parametrize("notify_extra", ["  on: [partial]\n"])
def test_notify_on_chooses_the_outcomes(
    notified: tuple[Workspace, Firer], project: Project, receiver: Receiver
) -> None:
    _, firer = notified
    project.contacts([("1", "bad-1")])
    firer.fire(SYNC, FIRED)
    (project.folder / "data" / "contacts.csv").unlink()
    firer.fire(SYNC, FIRED + timedelta(seconds=1))  # failed: not chosen

    assert [s["outcome"] for s in receiver.received] == ["partial"]


def test_a_firing_that_cannot_run_notifies_as_failed(
    notified: tuple[Workspace, Firer], project: Project, receiver: Receiver
) -> None:
    _, firer = notified
    (project.folder / "people.yaml").unlink()

    outcome = firer.fire(SYNC, FIRED)

    [summary] = receiver.received
    assert outcome == FiringOutcome.ERROR
    assert (summary["run_id"], summary["outcome"]) == (None, "failed")
    assert "field map 'people.yaml' does not exist" in summary["message"]
    assert summary["text"].startswith(f"crmsync: sync {SYNC} failed to run: ")


def test_an_undeliverable_notification_is_logged_without_its_secrets(
    notified: tuple[Workspace, Firer],
    project: Project,
    receiver: Receiver,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, firer = notified
    receiver.status = "503 Service Unavailable"
    (project.folder / "data" / "contacts.csv").unlink()

    with caplog.at_level(logging.WARNING, logger="crmsync"):
        outcome = firer.fire(SYNC, FIRED)

    assert outcome == FiringOutcome.RAN  # the scheduler carries on
    assert len(receiver.received) == 3  # retried, waiting on the fake clock
    assert len(clock.sleeps) == 2
    exposition = firer.metrics.exposition().decode()
    assert 'crmsync_notifications_total{outcome="failed"} 1.0' in exposition
    [warning] = [r.getMessage() for r in caplog.records if "could not notify" in r.getMessage()]
    assert warning.startswith("could not notify 127.0.0.1: POST *** returned 503")
    assert HOOK_PATH not in caplog.text
    assert TOKEN not in caplog.text


@pytest.mark.parametrize("headers", ["{X-Team: '${TEAM_SECRET}'}"])
def test_header_values_from_the_environment_are_masked(
    notified: tuple[Workspace, Firer],
    project: Project,
    receiver: Receiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, firer = notified
    receiver.status = "400 Bad Request"
    receiver.echo = "X-Team"  # a receiver that repeats a header in its error
    (project.folder / "data" / "contacts.csv").unlink()

    with caplog.at_level(logging.WARNING, logger="crmsync"):
        firer.fire(SYNC, FIRED)

    assert receiver.headers[0]["X-Team"] == TEAM_SECRET
    assert "returned 400: unknown team ***" in caplog.text
    assert TEAM_SECRET not in caplog.text


def test_without_a_notify_section_there_is_no_notifier(workspace: Workspace) -> None:
    assert Notifier.for_config(workspace.loaded, clock=FakeClock()) is None
