"""A loaded crmsync.yaml with its connectors, field maps and state store, built on demand.

The CLI (and the scheduler) talk to a Workspace; the engine below it knows nothing of
config files.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crmsync import yamlfile
from crmsync.config import (
    ConnectionConfig,
    Endpoint,
    Guards,
    LoadedConfig,
    Share,
    SyncConfig,
    load_config,
)
from crmsync.engine.job import DeletePolicy, Limit, Mode, RunOptions, SyncJob
from crmsync.engine.job import Guards as JobGuards
from crmsync.engine.progress import Progress
from crmsync.engine.reports import PlanReport, RunReport
from crmsync.engine.runner import plan_sync, run_sync
from crmsync.mapping import Finding, check_map, compile_map, load_field_map
from crmsync.sdk.clock import SYSTEM_CLOCK, Clock
from crmsync.sdk.connector import Connector, ObjectType
from crmsync.sdk.context import ConnectorContext
from crmsync.sdk.errors import ConfigError, CrmsyncError
from crmsync.sdk.redact import REDACTOR
from crmsync.sdk.registry import connector_class
from crmsync.sdk.usage import RequestCounter
from crmsync.state import StateStore


@dataclass(frozen=True)
class CheckResult:
    """One finding of ``crmsync check``."""

    sync: str | None
    severity: str  # error | warning
    where: str  # file:line: key path
    message: str
    hint: str | None = None


class Workspace:
    """Connectors, jobs and the state store of one config file.

    Args:
        loaded: the validated config.
        clock: where runs get the time.
        store: a state store to share with other workspaces of the same config (the
            scheduler gives each sync its own workspace, so that each run counts only its
            own API calls); the workspace then leaves closing it to its owner. None: the
            workspace opens the config's store when first needed, and closes it.
    """

    def __init__(
        self,
        loaded: LoadedConfig,
        *,
        clock: Clock = SYSTEM_CLOCK,
        store: StateStore | None = None,
    ) -> None:
        self.loaded = loaded
        self.clock = clock
        self.counter = RequestCounter()
        self._connectors: dict[str, Connector[Any]] = {}
        self._store = store
        self._owns_store = store is None
        self._lock = threading.Lock()

    @classmethod
    def open(
        cls, path: Path, *, clock: Clock = SYSTEM_CLOCK, connections: bool = True
    ) -> Workspace:
        """Load and validate ``path``, connector settings included.

        ``connections=False`` opens it for reading the state store only: connection
        settings are neither validated nor needed (their variables may be unset).
        """
        workspace = cls(load_config(path, connections=connections), clock=clock)
        if connections:
            workspace.validate_connections()
        return workspace

    @property
    def config(self) -> LoadedConfig:
        return self.loaded

    @property
    def store(self) -> StateStore:
        with self._lock:
            if self._store is None:
                state = self.loaded.config.state
                self._store = StateStore.connect(
                    self.loaded.state_url, schema=state.db_schema, clock=self.clock
                )
            return self._store

    def validate_connections(self) -> None:
        """Validate every connection's settings against its connector's model."""
        problems: list[ConfigError] = []
        for name, connection in self.loaded.config.connections.items():
            try:
                self._settings(name, connection)
            except ConfigError as exc:
                problems.extend(exc.problems)
        if problems:
            raise ConfigError.combine(problems)

    def _settings(self, name: str, connection: ConnectionConfig) -> Any:
        try:
            cls = connector_class(connection.connector)
        except ConfigError as exc:
            raise self._located(exc, ("connections", name, "connector")) from None
        settings = yamlfile.validate_at(
            cls.settings_model, self.loaded.document, ("connections", name, "settings")
        )
        REDACTOR.add_model(settings)
        return settings

    def connector(self, name: str) -> Connector[Any]:
        """The connector of connection ``name``, built once."""
        with self._lock:
            if name not in self._connectors:
                connection = self.loaded.config.connections[name]
                context = ConnectorContext(
                    connection=name,
                    base_dir=self.loaded.base_dir,
                    clock=self.clock,
                    counter=self.counter,
                )
                cls = connector_class(connection.connector)
                self._connectors[name] = cls(self._settings(name, connection), context)
            return self._connectors[name]

    def job(self, name: str) -> SyncJob:
        """The engine's view of sync ``name``: objects, compiled field map, policies."""
        sync = self.loaded.sync(name)
        at = ("syncs", self.loaded.config.syncs.index(sync))
        source = self._object(sync.source, (*at, "source", "object"))
        target = self._object(sync.target, (*at, "target", "object"))
        path = self.loaded.mapping_path(sync)
        if not path.is_file():
            missing = ConfigError(
                f"field map {str(sync.mapping)!r} does not exist",
                hint="a relative path starts from the folder of the config file",
            )
            raise self._located(missing, (*at, "mapping"))
        mapper = compile_map(load_field_map(path), source=str(path))
        return SyncJob(
            name=sync.name,
            source=source,
            target=target,
            mapper=mapper,
            mode=Mode(sync.mode),
            delete=DeletePolicy(sync.delete),
            lookback=sync.lookback,
            batch_size=sync.batch_size,
            max_attempts=sync.max_attempts,
            guards=_guards(sync.guards),
        )

    def _object(self, endpoint: Endpoint, loc: yamlfile.KeyPath) -> ObjectType:
        connector = self.connector(endpoint.connection)
        try:
            return connector.object_type(endpoint.object)
        except ConfigError as exc:
            raise self._located(exc, loc) from None

    def _located(self, error: ConfigError, loc: yamlfile.KeyPath) -> ConfigError:
        """``error`` placed at ``loc`` in crmsync.yaml, unless it already names its file."""
        if error.source is not None:
            return error
        return type(error)(
            error.message,
            source=self.loaded.document.source,
            line=self.loaded.line(*loc),
            location=yamlfile.format_location(loc),
            hint=error.hint,
        )

    def run(
        self,
        name: str,
        options: RunOptions | None = None,
        *,
        progress: Progress | None = None,
        stop: threading.Event | None = None,
        owner: str | None = None,
    ) -> RunReport:
        return run_sync(
            self.job(name),
            self.store,
            options,
            counter=self.counter,
            clock=self.clock,
            lease=self.loaded.config.state.lease,
            progress=progress,
            stop=stop,
            owner=owner,
        )

    def plan(
        self, name: str, options: RunOptions | None = None, *, progress: Progress | None = None
    ) -> PlanReport:
        return plan_sync(
            self.job(name), self.store, options, counter=self.counter, progress=progress
        )

    def check(self) -> Iterator[CheckResult]:
        """Every problem ``crmsync check`` reports: connections, objects, field maps."""
        for name in self.loaded.config.connections:
            try:
                self.connector(name).check()
            except CrmsyncError as exc:
                where = self._in_config(("connections", name))
                yield CheckResult(None, "error", where, exc.message, exc.hint)
        for index, sync in enumerate(self.loaded.config.syncs):
            yield from self._check_sync(index, sync)

    def _check_sync(self, index: int, sync: SyncConfig) -> Iterator[CheckResult]:
        try:
            job = self.job(sync.name)
            job.validate()
            source, target = job.source.describe(), job.target.describe()
            field_map = load_field_map(self.loaded.mapping_path(sync))
        except CrmsyncError as exc:
            where = self._in_config(("syncs", index))
            if isinstance(exc, ConfigError) and exc.source is not None:
                where = _place(exc.source, exc.line, exc.location)
            yield CheckResult(sync.name, "error", where, exc.message, exc.hint)
            return
        findings: list[Finding] = check_map(
            field_map, source=source, target=target, map_name=str(sync.mapping)
        )
        for finding in findings:
            where = _place(finding.source, finding.line, finding.location)
            yield CheckResult(sync.name, finding.severity, where, finding.message, finding.hint)

    def _in_config(self, loc: yamlfile.KeyPath) -> str:
        """Where ``loc`` is in crmsync.yaml, as ``crmsync.yaml:14: syncs[0]``."""
        document = self.loaded.document
        return _place(document.source, document.line(loc), yamlfile.format_location(loc))

    def close(self) -> None:
        for connector in self._connectors.values():
            connector.close()
        if self._store is not None and self._owns_store:
            self._store.close()


def _place(source: str | None, line: int | None, location: str | None) -> str:
    """``people.yaml:6: fields.nickname``, leaving out whatever is unknown."""
    file = f"{source}:{line}" if source and line else source
    return ": ".join(part for part in (file, location) if part)


def _limit(value: int | Share | None) -> Limit | None:
    if value is None:
        return None
    if isinstance(value, Share):
        return Limit(percent=value.percent)
    return Limit(count=value)


def _guards(guards: Guards) -> JobGuards:
    return JobGuards(
        creates=_limit(guards.max_creates),
        updates=_limit(guards.max_updates),
        archives=_limit(guards.max_archives),
    )
