"""The engine writing Rewardful affiliates from a CSV of contacts, through run_sync: a
second run writes nothing, a change costs a read and a write, and a run against an
account that throttles and fails a share of requests loses and duplicates nothing."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest

from crmsync import yamlfile
from crmsync.engine.job import SyncJob
from crmsync.engine.reports import RunReport
from crmsync.engine.runner import plan_sync, run_sync
from crmsync.mapping import compile_map, parse_field_map
from crmsync.sdk import ConnectorContext
from crmsync.sdk.usage import RequestCounter
from crmsync.state import RunOutcome, StateStore
from crmsync.testing import FakeClock
from crmsync_connectors.files import FilesConnector, FilesSettings
from crmsync_connectors.rewardful.emulator import RewardfulEmulator

from .helpers import connect

SYNC = "contacts-to-affiliates"
CONTACTS = 40
MAP = """\
version: 1
match: {source: email, target: email, transforms: [strip, lower]}
fields:
  email: {source: email, transforms: [email], required: true}
  first_name: first_name
  last_name: last_name
"""
LIST, ONE, POST, PUT = (
    "GET /v1/affiliates",
    "GET /v1/affiliates/<record_id>",
    "POST /v1/affiliates",
    "PUT /v1/affiliates/<record_id>",
)


def write_contacts(path: Path, renamed: int | None = None) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "email", "first_name", "last_name", "updated_at"])
        for n in range(CONTACTS):
            changed = n == renamed
            writer.writerow(
                [
                    f"c{n}",
                    f" Contact{n}@Example.com",
                    f"Renamed{n}" if changed else f"First{n}",
                    "Doe",
                    "2025-12-01T10:00:00Z" if changed else f"2025-11-01T10:{n:02d}:00Z",
                ]
            )


class Sync:
    """One sync from contacts.csv to the emulator's affiliates, and its state store."""

    def __init__(self, folder: Path, emulator: RewardfulEmulator, clock: FakeClock) -> None:
        self.folder, self.clock = folder, clock
        self.counter = RequestCounter()
        files = FilesConnector(
            FilesSettings.model_validate(
                {"objects": {"contacts": {"path": "contacts.csv", "updated_at": "updated_at"}}}
            ),
            ConnectorContext("crm", base_dir=folder),
        )
        self.job = SyncJob(
            SYNC,
            files.object_type("contacts"),
            connect(emulator, clock, counter=self.counter).object_type("affiliates"),
            compile_map(parse_field_map(yamlfile.loads(MAP, "map.yaml"))),
        )
        self.store = StateStore.connect(f"sqlite:///{folder / 'state.db'}", clock=clock)

    def run(self) -> RunReport:
        return run_sync(self.job, self.store, counter=self.counter, clock=self.clock)


@pytest.fixture
def sync(tmp_path: Path, emulator: RewardfulEmulator, clock: FakeClock) -> Iterator[Sync]:
    write_contacts(tmp_path / "contacts.csv")
    made = Sync(tmp_path, emulator, clock)
    yield made
    made.store.close()


def affiliates_by_email(emulator: RewardfulEmulator) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for affiliate in emulator.listed("affiliates"):
        found.setdefault(affiliate["email"], []).append(affiliate["first_name"])
    return found


def test_a_second_run_writes_nothing_and_reads_nothing_from_rewardful(
    sync: Sync, emulator: RewardfulEmulator
) -> None:
    first = sync.run()
    calls_after_first = emulator.calls()
    second = sync.run()

    assert (first.outcome, first.counts.created) == (RunOutcome.SUCCEEDED, CONTACTS)
    assert first.api_calls == {"rewardful": 2 * CONTACTS}  # a lookup and a create each
    assert calls_after_first == {LIST: CONTACTS, POST: CONTACTS}
    assert (second.outcome, second.counts.read, second.api_calls) == (RunOutcome.SUCCEEDED, 0, {})
    assert emulator.calls() == calls_after_first
    assert sync.store.link_count(SYNC) == CONTACTS


def test_a_dry_run_counts_the_lookups_in_its_write_calls(
    sync: Sync, emulator: RewardfulEmulator
) -> None:
    report = plan_sync(sync.job, sync.store, counter=sync.counter)

    assert (report.to_create, report.write_calls) == (CONTACTS, 2 * CONTACTS)
    assert emulator.calls() == {}


def test_a_changed_contact_costs_a_read_and_a_write(
    sync: Sync, emulator: RewardfulEmulator
) -> None:
    sync.run()
    write_contacts(sync.folder / "contacts.csv", renamed=7)

    third = sync.run()

    assert (third.counts.read, third.counts.updated, third.api_calls) == (1, 1, {"rewardful": 2})
    assert affiliates_by_email(emulator)["contact7@example.com"] == ["Renamed7"]
    assert emulator.calls()[ONE] == 1
    assert emulator.calls()[PUT] == 1


def test_throttling_and_server_errors_lose_and_duplicate_nothing(
    sync: Sync, emulator: RewardfulEmulator, clock: FakeClock
) -> None:
    emulator.flaky(throttled=0.1, failing=0.1)

    report = sync.run()

    assert (report.outcome, report.counts.created, report.counts.failed) == (
        RunOutcome.SUCCEEDED,
        CONTACTS,
        0,
    )
    held = affiliates_by_email(emulator)
    assert held == {f"contact{n}@example.com": [f"First{n}"] for n in range(CONTACTS)}
    calls = emulator.calls()
    assert calls[POST] > CONTACTS  # some creates failed on the way and were sent again
    assert report.api_calls["rewardful"] == sum(calls.values())
    assert clock.slept > 0
    assert sync.run().api_calls == {}
