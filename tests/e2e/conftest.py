"""A small project on disk, and the command line run in process against it.

The project syncs a CSV of contacts into a CSV of people whose columns are declared,
so that its target has a closed schema. ``cli(...)`` runs ``crmsync -c <project> ...``
with typer's CliRunner: the real command line, without a process per call.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from crmsync.cli.app import app
from crmsync.workspace import Workspace

SYNC = "people"

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
        people:
          path: out/people.csv
          key: email
          fields: {email: string, name: string, contact_id: string}
syncs:
  - name: people
    source: {connection: crm, object: contacts}
    target: {connection: book, object: people}
    mapping: people.yaml
"""

MAPPING = """\
version: 1
match: {source: email, target: email}
fields:
  email: {source: email, transforms: [email], required: true}
  name: name
  contact_id: id
"""

CONTACTS = [
    ("1", "ada@example.com", "Ada", "2026-01-01T00:00:00Z"),
    ("2", "bob@example.com", "Bob", "2026-01-02T00:00:00Z"),
    ("3", "cy@example.com", "Cy", "2026-01-03T00:00:00Z"),
]


@dataclass
class Project:
    """The files of the test project."""

    folder: Path

    @property
    def config(self) -> Path:
        return self.folder / "crmsync.yaml"

    @property
    def state_url(self) -> str:
        return f"sqlite:///{self.folder / 'crmsync-state.db'}"

    def edit(self, name: str, old: str, new: str) -> None:
        """Replace ``old`` (which must be there) by ``new`` in one of the project's files."""
        path = self.folder / name
        text = path.read_text()
        assert old in text, f"{old!r} is not in {name}"
        path.write_text(text.replace(old, new))

    def add_contact(self, *row: str) -> None:
        with (self.folder / "data" / "contacts.csv").open("a", newline="") as handle:
            csv.writer(handle, lineterminator="\n").writerow(row)

    def people(self) -> list[dict[str, str]]:
        """The target file's rows; none when it was never written."""
        path = self.folder / "out" / "people.csv"
        if not path.exists():
            return []
        with path.open(newline="") as handle:
            return list(csv.DictReader(handle))


@pytest.fixture
def project(tmp_path: Path) -> Project:
    made = Project(tmp_path / "project")
    (made.folder / "data").mkdir(parents=True)
    made.config.write_text(CONFIG)
    (made.folder / "people.yaml").write_text(MAPPING)
    (made.folder / "data" / "contacts.csv").write_text("id,email,name,updated_at\n")
    for row in CONTACTS:
        made.add_contact(*row)
    return made


class Cli:
    """``crmsync -c <project config> ARGS``, in process."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.runner = CliRunner(env={"COLUMNS": "160"})  # the width of piped output

    def __call__(self, *args: str, input: str | None = None) -> Result:
        """Run the command; an unexpected exception fails the test with its traceback."""
        return self.runner.invoke(
            app, ["-c", str(self.project.config), *args], input=input, catch_exceptions=False
        )


@pytest.fixture
def cli(project: Project) -> Cli:
    return Cli(project)


@pytest.fixture(autouse=True)
def _logging_restored() -> Iterator[None]:
    """Undo the logging set-up each command does for its (here: the test's) process."""
    root, ours = logging.getLogger(), logging.getLogger("crmsync")
    handlers, levels = list(root.handlers), (root.level, ours.level)
    yield
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(levels[0])
    ours.setLevel(levels[1])


def run_in_process(config: Path, sync: str) -> None:
    """Run ``sync`` of ``config`` once in this process, as an uninterrupted reference."""
    workspace = Workspace.open(config)
    try:
        workspace.run(sync)
    finally:
        workspace.close()
