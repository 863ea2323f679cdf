"""``crmsync scheduler`` in real processes: shared firings, a kill -9, SIGTERM, a second signal.

Each scheduler runs through a small wrapper (``_SCHEDULER``) that can send its own
process a signal from inside the N-th target write, so that a run is surely in flight
when the signal lands. The target must end up holding exactly what an uninterrupted run
writes: every record once.
"""

from __future__ import annotations

import csv
import itertools
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TypeVar

import pytest
from sqlalchemy import Engine, text

from crmsync.state import FiringOutcome, RunOutcome, StateStore

from .conftest import CONFIG, MAPPING, SYNC, run_in_process

pytestmark = pytest.mark.e2e

T = TypeVar("T")
RECORDS = 1000
BATCH = 25
SIGNAL_AT_WRITE = 5  # the target write during which the signal is sent
LEASE_SECONDS = 10  # the shortest lease crmsync accepts

# `crmsync ARGS`, sending TEST_SIGNAL (TEST_SIGNALS times) from inside the
# TEST_SIGNAL_AT_WRITE-th target write, then finishing that write once the signal was
# handled. The signal goes to the writing thread, not the main thread (the harder case:
# Python handles signals in the main thread only). With TEST_SIGNAL_MARKER, only the
# first process to get there sends it. TEST_HOST makes the process report that host
# name, as if it ran on a machine of its own.
_SCHEDULER = """
import os, signal, socket, sys, threading
import crmsync.cli.app as cli_app
from crmsync_connectors.files.connector import FileObject

if os.environ.get("TEST_HOST"):
    socket.gethostname = lambda: os.environ["TEST_HOST"]
at = int(os.environ.get("TEST_SIGNAL_AT_WRITE", "0"))
sent = getattr(signal, os.environ.get("TEST_SIGNAL", "SIGTERM"))
times = int(os.environ.get("TEST_SIGNALS", "1"))
marker = os.environ.get("TEST_SIGNAL_MARKER")
handled = threading.Event()
tell, write, writes = cli_app._tell, FileObject.write, []

def noting_tell(level, message):
    tell(level, message)
    handled.set()

def first_to_signal():
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL))
    except FileExistsError:
        return False
    return True

def signalling_write(self, ops):
    writes.append(len(ops))
    if len(writes) == at and (marker is None or first_to_signal()):
        for _ in range(times):
            handled.clear()
            signal.pthread_kill(threading.get_ident(), sent)
            handled.wait(30)
    return write(self, ops)

cli_app._tell = noting_tell
FileObject.write = signalling_write
from crmsync.cli import main
sys.argv[0] = "crmsync"
main()
"""


def _write_project(folder: Path, *, records: int, state: str = "") -> Path:
    """The e2e project, scheduled every second, in small batches, with ``records`` contacts."""
    (folder / "data").mkdir(parents=True)
    sync = "    mapping: people.yaml\n"
    config = CONFIG.replace(sync, f"{sync}    schedule: every 1s\n    batch_size: {BATCH}\n")
    (folder / "crmsync.yaml").write_text(config + state)
    (folder / "people.yaml").write_text(MAPPING)
    _write_contacts(folder, records)
    return folder / "crmsync.yaml"


def _write_contacts(folder: Path, records: int) -> None:
    """Replace the source in one step, as an export job would."""
    rows = [
        (str(n), f"person{n}@example.com", f"Person {n}", f"2026-01-01T00:{n % 60:02d}:00Z")
        for n in range(records)
    ]
    fresh = folder / "data" / "contacts.tmp"
    with fresh.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["id", "email", "name", "updated_at"])
        writer.writerows(rows)
    fresh.replace(folder / "data" / "contacts.csv")


def _target(folder: Path) -> list[tuple[tuple[str, str], ...]]:
    with (folder / "out" / "people.csv").open(newline="") as handle:
        return sorted(tuple(sorted(row.items())) for row in csv.DictReader(handle))


@pytest.fixture(scope="module")
def expected(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[tuple[str, str], ...]]:
    """What one uninterrupted run writes to the target."""
    folder = tmp_path_factory.mktemp("reference")
    run_in_process(_write_project(folder, records=RECORDS), SYNC)
    rows = _target(folder)
    assert len(rows) == RECORDS
    return rows


class Scheduler:
    """A ``crmsync scheduler`` process, its output kept in files (pipes could fill up)."""

    def __init__(self, config: Path, name: str, **env: str) -> None:
        self.name = name
        self._stdout: IO[str] = (config.parent / f"{name}.out").open("w+")
        self._stderr: IO[str] = (config.parent / f"{name}.err").open("w+")
        self.process = subprocess.Popen(
            [sys.executable, "-c", _SCHEDULER, "-c", str(config), "--log-level=info", "scheduler"],
            env=os.environ | env,
            stdout=self._stdout,
            stderr=self._stderr,
        )

    @property
    def stderr(self) -> str:
        self._stderr.flush()
        return Path(self._stderr.name).read_text()

    def wait(self) -> int:
        return self.process.wait(timeout=60)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._stdout.close()
        self._stderr.close()


@contextmanager
def _schedulers(*started: Scheduler) -> Iterator[tuple[Scheduler, ...]]:
    try:
        yield started
    finally:
        for scheduler in started:
            scheduler.close()


def _wait_for(
    condition: Callable[[], T | None], what: str, *started: Scheduler, timeout: float
) -> T:
    """``condition()``'s first true value, polled; its output explains a timeout."""
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() > deadline:
            logs = "\n".join(f"--- {s.name}:\n{s.stderr}" for s in started)
            raise AssertionError(f"timed out waiting for {what}\n{logs}")
        time.sleep(0.1)
    return result


# -- several schedulers, one PostgreSQL state store -------------------------------------


@pytest.fixture
def postgres(postgres_admin: Engine) -> Iterator[tuple[str, str]]:
    """The test server's URL and a fresh schema on it, dropped afterwards."""
    schema = f"crmsync_e2e_{uuid.uuid4().hex[:12]}"
    yield postgres_admin.url.render_as_string(hide_password=False), schema
    with postgres_admin.connect() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


@pytest.mark.postgres
def test_two_schedulers_run_each_firing_once_and_survive_a_kill(
    tmp_path: Path, postgres: tuple[str, str], expected: list[tuple[tuple[str, str], ...]]
) -> None:
    url, schema = postgres
    state = f"state: {{url: '{url}', schema: {schema}, lease: {LEASE_SECONDS}s}}\n"
    config = _write_project(tmp_path, records=0, state=state)
    kill = {
        "TEST_SIGNAL": "SIGKILL",
        "TEST_SIGNAL_AT_WRITE": str(SIGNAL_AT_WRITE),
        "TEST_SIGNAL_MARKER": str(tmp_path / "killed"),
    }
    store = StateStore.connect(url, schema=schema)
    with _schedulers(
        Scheduler(config, "a", TEST_HOST="host-a", **kill),
        Scheduler(config, "b", TEST_HOST="host-b", **kill),
    ) as both:
        _wait_for(lambda: len(store.schedulers()) == 2, "both schedulers", *both, timeout=30)

        def contended() -> bool:
            firings = store.firings(SYNC, limit=1000)
            return sum(f.contenders == 2 and f.run_id is not None for f in firings) >= 3

        _wait_for(contended, "firings both schedulers saw", *both, timeout=30)
        _write_contacts(tmp_path, RECORDS)  # the next firing is a large run; it gets killed

        def one_died() -> Scheduler | None:
            return next((s for s in both if s.process.poll() is not None), None)

        killed = _wait_for(one_died, "the kill", *both, timeout=30)
        [survivor] = [s for s in both if s is not killed]

        def completed() -> bool:
            return any(
                r.outcome is RunOutcome.SUCCEEDED and r.counts.created
                for r in store.runs(SYNC, limit=1000)
            )

        _wait_for(completed, "the run that resumes", *both, timeout=LEASE_SECONDS + 20)
        done = len(store.firings(SYNC, limit=1000))
        _wait_for(
            lambda: len(store.firings(SYNC, limit=1000)) > done + 1, "firings", *both, timeout=20
        )
        survivor.process.send_signal(signal.SIGTERM)

        assert killed.wait() == -signal.SIGKILL
        assert survivor.wait() == 0, survivor.stderr

    firings = store.firings(SYNC, limit=1000)
    runs = {run.id: run for run in store.runs(SYNC, limit=1000)}
    [status] = store.status()
    store.close()

    outcomes = {f.outcome for f in firings}
    assert outcomes <= {FiringOutcome.RAN, FiringOutcome.LOCKED, FiringOutcome.INTERRUPTED}
    # Each run was started by exactly one firing, and each firing started at most one run,
    # including the firings that both schedulers fired.
    started = [f.run_id for f in firings if f.run_id is not None]
    assert sorted(started) == sorted(runs)
    assert len([f for f in firings if f.contenders == 2 and f.run_id is not None]) >= 4
    # The killed run: its firing had both schedulers contending; the survivor settled it.
    [lost] = [f for f in firings if f.outcome is FiringOutcome.INTERRUPTED]
    assert lost.host == f"host-{killed.name}"
    assert lost.contenders == 2
    assert lost.run_id is not None
    assert runs[lost.run_id].outcome is RunOutcome.INTERRUPTED
    # While the dead run's lease lasted, the survivor's firings were skipped, not queued.
    [resumed] = [r for r in runs.values() if r.counts.created]
    locked = [
        f for f in firings if f.outcome is FiringOutcome.LOCKED and f.fire_time < resumed.started_at
    ]
    assert any(f.host == f"host-{survivor.name}" for f in locked)
    assert all(f"on host host-{killed.name}" in (f.message or "") for f in locked)
    # No run of the sync overlapped another.
    spans = sorted((r.started_at, r.finished_at) for r in runs.values())
    assert all(end is not None and end <= nxt for (_, end), (nxt, _) in itertools.pairwise(spans))
    # The run after the kill completed what the killed one started: every record once.
    assert resumed.counts.created + resumed.counts.unchanged == RECORDS
    assert resumed.counts.unchanged == (SIGNAL_AT_WRITE - 1) * BATCH
    assert _target(tmp_path) == expected
    assert (status.links, status.failures, status.lock) == (RECORDS, 0, None)


# -- stopping one scheduler --------------------------------------------------------------


@pytest.mark.parametrize("signals", [1, 2], ids=["sigterm", "sigterm-twice"])
def test_sigterm_stops_a_large_run_within_one_batch_and_the_next_run_resumes(
    tmp_path: Path, expected: list[tuple[tuple[str, str], ...]], signals: int
) -> None:
    config = _write_project(tmp_path, records=RECORDS)
    with _schedulers(
        Scheduler(
            config,
            "scheduler",
            TEST_SIGNAL="SIGTERM",
            TEST_SIGNALS=str(signals),
            TEST_SIGNAL_AT_WRITE=str(SIGNAL_AT_WRITE),
        )
    ) as (scheduler,):
        code = scheduler.wait()
        stderr = scheduler.stderr

    with StateStore.connect(f"sqlite:///{tmp_path / 'crmsync-state.db'}") as store:
        [stopped] = store.runs(SYNC)
        firings = store.firings(SYNC)
    run_in_process(config, SYNC)
    # On a slow machine, firings during the large run find it holding the lock.
    others = [f for f in firings if f.outcome is not FiringOutcome.LOCKED]

    assert "stopping after the batch in flight (signal again to stop now)" in stderr
    if signals == 1:
        [firing] = others
        assert code == 0, stderr
        assert (stopped.outcome, stopped.message) == (RunOutcome.INTERRUPTED, "stopped on request")
        assert stopped.counts.created == SIGNAL_AT_WRITE * BATCH  # the batch in flight, no more
        assert (firing.outcome, firing.run_id) == (FiringOutcome.RAN, stopped.id)
    else:
        assert code == 130, stderr
        assert "stopped at once" in stderr
        assert stopped.outcome is RunOutcome.RUNNING  # as after kill -9: the next run settles it
        # Stopping at once records nothing more: the run's firing stays claimed, and so
        # does any firing caught between its claim and its lock check.
        assert others
        assert all(f.outcome is FiringOutcome.CLAIMED and f.run_id is None for f in others)
    with StateStore.connect(f"sqlite:///{tmp_path / 'crmsync-state.db'}") as store:
        runs = store.runs(SYNC)
        [status] = store.status()
    assert [r.outcome for r in runs] == [RunOutcome.SUCCEEDED, RunOutcome.INTERRUPTED]
    assert runs[0].counts.created + runs[0].counts.unchanged == RECORDS
    assert _target(tmp_path) == expected
    assert (status.links, status.lock) == (RECORDS, None)
