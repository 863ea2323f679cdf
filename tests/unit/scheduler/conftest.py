"""A scheduled files -> files project, its workspace on a fake clock, and a webhook receiver."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from crmsync.config import load_config
from crmsync.scheduler.firings import Firer
from crmsync.scheduler.metrics import Metrics
from crmsync.scheduler.notify import Notifier
from crmsync.scheduler.service import scheduled_syncs
from crmsync.testing.clock import FakeClock
from crmsync.testing.emulator import LocalServer, serve_wsgi
from crmsync.workspace import Workspace

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

SYNC = "people"
GRACE = timedelta(minutes=1)

CONFIG = """\
version: 1
connections:
  crm:
    connector: files
    settings:
      objects:
        contacts: {path: data/contacts.csv, key: id, updated_at: updated_at}
  book:
    connector: files
    settings:
      objects:
        people: {path: out/people.csv, key: email}
syncs:
  - name: people
    source: {connection: crm, object: contacts}
    target: {connection: book, object: people}
    mapping: people.yaml
    schedule: every 1s
"""

MAPPING = """\
version: 1
match: {source: email, target: email}
fields:
  email: {source: email, transforms: [email], required: true}
  name: name
"""


@dataclass
class Project:
    """The project's folder, with helpers to extend its config and replace its source."""

    folder: Path

    @property
    def config(self) -> Path:
        return self.folder / "crmsync.yaml"

    def add(self, yaml: str) -> None:
        with self.config.open("a") as handle:
            handle.write(yaml)

    def contacts(self, rows: Iterable[tuple[str, str]]) -> None:
        """Make the source hold ``(id, email)`` rows."""
        lines = [f"{n},{email},Name {n},2026-01-0{1 + int(n) % 9}T00:00:00Z" for n, email in rows]
        path = self.folder / "data" / "contacts.csv"
        path.write_text("\n".join(["id,email,name,updated_at", *lines]) + "\n")


@pytest.fixture
def project(tmp_path: Path) -> Project:
    made = Project(tmp_path / "project")
    (made.folder / "data").mkdir(parents=True)
    made.config.write_text(CONFIG)
    (made.folder / "people.yaml").write_text(MAPPING)
    made.contacts([("1", "ada@example.com"), ("2", "bob@example.com")])
    return made


def open_workspace(project: Project, clock: FakeClock) -> Workspace:
    return Workspace(load_config(project.config), clock=clock)


@pytest.fixture
def workspace(project: Project, clock: FakeClock) -> Iterator[Workspace]:
    opened = open_workspace(project, clock)
    yield opened
    opened.close()


def make_firer(
    workspace: Workspace,
    *,
    stop: threading.Event | None = None,
    notifier: Notifier | None = None,
) -> Firer:
    """A firer like the scheduler's, running every sync in ``workspace`` itself."""
    assert isinstance(workspace.clock, FakeClock)
    return Firer(
        workspace.store,
        lambda sync: workspace,
        clock=workspace.clock,
        grace=GRACE,
        stop=stop or threading.Event(),
        metrics=Metrics(workspace.store, scheduled_syncs(workspace.loaded), workspace.clock),
        notifier=notifier,
    )


@dataclass
class Receiver:
    """A webhook receiver on loopback: what it was sent, and the status it answers with."""

    server: LocalServer | None = None
    status: str = "204 No Content"
    echo: str | None = None  # a header whose value the answer repeats, as some receivers do
    received: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)

    @property
    def base(self) -> str:
        """The receiver's origin; it accepts any path."""
        assert self.server is not None
        return self.server.url

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        self.received.append(json.loads(environ["wsgi.input"].read(length)))
        self.headers.append(
            {
                k[5:].replace("_", "-").title(): v
                for k, v in environ.items()
                if k.startswith("HTTP_")
            }
        )
        start_response(self.status, [])
        return [f"unknown team {self.headers[-1][self.echo]}".encode()] if self.echo else []


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver()
    with serve_wsgi(made) as server:
        made.server = server
        yield made


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def samples(exposition: str) -> Samples:
    """Every sample of a /metrics page by name and sorted labels, parsed as Prometheus would."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
    }
