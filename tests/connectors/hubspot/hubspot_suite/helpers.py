"""Building HubSpot connectors wired to an emulator, in-process, on a fake clock."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from crmsync import yamlfile
from crmsync.engine.job import SyncJob
from crmsync.mapping import compile_map, parse_field_map
from crmsync.sdk import ConnectorContext, ObjectType, Page, ReadRequest, Record, Redactor
from crmsync.sdk.usage import RequestCounter
from crmsync.state import StateStore
from crmsync.testing import FakeClock, wsgi_session
from crmsync_connectors.files import FilesConnector, FilesSettings
from crmsync_connectors.hubspot import HubSpotConnector, HubSpotSettings
from crmsync_connectors.hubspot.emulator import HubSpotEmulator, OAuthApp

TOKEN = "pat-na1-5f1c2d3e-0000-4a4b-8c8d-123456789abc"
OAUTH = OAuthApp("client-7f3a", "secret-9b2c-do-not-log", "refresh-4d5e-do-not-log")
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


@dataclass
class Rig:
    """A connector and the emulator it talks to, sharing one fake clock."""

    emulator: HubSpotEmulator
    connector: HubSpotConnector
    clock: FakeClock
    counter: RequestCounter
    redactor: Redactor = field(default_factory=Redactor)

    def object(self, name: str) -> ObjectType:
        return self.connector.object_type(name)


def rig(
    *,
    oauth: bool = False,
    settings: Mapping[str, Any] | None = None,
    emulator: HubSpotEmulator | None = None,
    clock: FakeClock | None = None,
    **options: Any,
) -> Rig:
    """A connector talking in-process to an emulator, built with ``options`` unless given
    (a given emulator must run on the given ``clock``)."""
    clock = clock or FakeClock()
    if emulator is None:
        emulator = HubSpotEmulator(clock, token=TOKEN, oauth=OAUTH, **options)
    counter, redactor = RequestCounter(), Redactor()
    context = ConnectorContext(
        "hubspot", clock=clock, counter=counter, redactor=redactor, session=wsgi_session(emulator)
    )
    credentials: dict[str, Any] = {"access_token": SecretStr(TOKEN)}
    if oauth:
        app = {"client_id": OAUTH.client_id, "client_secret": OAUTH.client_secret}
        credentials = {"oauth": app | {"refresh_token": OAUTH.refresh_token}}
    built = HubSpotConnector(
        HubSpotSettings.model_validate({**credentials, **(settings or {})}), context
    )
    return Rig(emulator, built, clock, counter, redactor)


def contacts(count: int, *, prefix: str = "person") -> list[dict[str, str]]:
    return [
        {"email": f"{prefix}{n}@example.com", "firstname": f"First{n}", "lastname": f"Last{n}"}
        for n in range(count)
    ]


def minutes(start: datetime, count: int, step: float = 1.0) -> list[datetime]:
    return [start + timedelta(minutes=n * step) for n in range(count)]


def read(source: ObjectType, request: ReadRequest | None = None) -> list[Page]:
    return list(source.read(request or ReadRequest()))


def ids(pages: Iterable[Page]) -> list[str]:
    return [r.id for p in pages for r in p.records]


def records(pages: Iterable[Page]) -> list[Record]:
    return [r for p in pages for r in p.records]


def once(got: Sequence[str], expected: Iterable[str]) -> None:
    """Every expected id exactly once, and nothing else."""
    assert len(got) == len(set(got)), "an id was returned twice"
    assert set(got) == set(expected)


# -- driving the real engine --------------------------------------------------------------


def files_object(folder: Path, name: str, **settings: Any) -> ObjectType:
    """A ``files`` object type named ``name``, configured by ``settings``."""
    parsed = FilesSettings.model_validate({"objects": {name: settings}})
    return FilesConnector(parsed, ConnectorContext("files", base_dir=folder)).object_type(name)


def write_jsonl(path: Path, rows: Iterable[Mapping[str, Any]]) -> None:
    path.write_text("".join(json.dumps(row, default=str) + "\n" for row in rows), "utf-8")


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def job(
    name: str, source: ObjectType, target: ObjectType, field_map: str, **options: Any
) -> SyncJob:
    mapper = compile_map(parse_field_map(yamlfile.loads(field_map, f"{name}.yaml")))
    return SyncJob(name=name, source=source, target=target, mapper=mapper, **options)


def state(folder: Path, clock: FakeClock) -> StateStore:
    return StateStore.connect(f"sqlite:///{folder / 'state.db'}", clock=clock)
