"""crmsync.yaml: connections, syncs and the state store, validated into pydantic models.

Secrets are written as ``${ENV_VAR}`` references and substituted at load time. Every
problem is reported with the file, the line, the key path (``syncs[1].mapping``), what
was expected and what was found, together with the closest valid name.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PositiveInt,
    WithJsonSchema,
    field_validator,
)

from crmsync import yamlfile
from crmsync.durations import format_duration, parse_duration
from crmsync.sdk.errors import ConfigError
from crmsync.sdk.schema import closest_name
from crmsync.yamlfile import InvalidValue, brief

DEFAULT_CONFIG = "crmsync.yaml"
MIN_LEASE = timedelta(seconds=10)  # shorter leases could expire between two batches
MIN_MISFIRE_GRACE = timedelta(seconds=1)  # every firing starts a few milliseconds late
DEFAULT_STATE_FILE = "crmsync-state.db"

# ${NAME}, or ${NAME:-default} (the default when NAME is unset or empty, as in a shell).
_ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_SYNC_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")


Duration = Annotated[
    timedelta,
    BeforeValidator(lambda v: parse_duration(v) if isinstance(v, str | int) else v),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema({"type": "string", "examples": ["30s", "5m", "1h30m"]}),
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StateConfig(_Model):
    """Where crmsync keeps cursors, links, runs, failures and the audit trail."""

    url: str | None = Field(
        None,
        description="SQLAlchemy URL; default: a SQLite file next to the config. "
        "postgresql+psycopg://user@host/db for several workers.",
    )
    db_schema: str | None = Field(
        None, alias="schema", description="PostgreSQL schema to keep crmsync's tables in."
    )
    lease: Duration = Field(
        timedelta(minutes=5),
        ge=MIN_LEASE,
        description="How long a run's lock lasts without renewal (at least 10s); the lock of "
        "a run that died expires after it.",
        json_schema_extra={"default": "5m"},
    )


class ConnectionConfig(_Model):
    """One account on one platform."""

    connector: str = Field(description="Connector name, e.g. files, hubspot, rewardful.")
    settings: dict[str, Any] = Field(
        default_factory=dict, description="The connector's settings; secrets as ${ENV_VAR}."
    )


class Endpoint(_Model):
    connection: str = Field(description="A name under `connections`.")
    object: str = Field(description="An object type of that connection, e.g. contacts.")


class Share(_Model):
    """A limit given as a share of the sync's linked records, e.g. ``10%``."""

    percent: float = Field(gt=0, le=100)

    def __str__(self) -> str:
        return f"{self.percent:g}%"


def _limit(value: Any) -> int | Share:
    """``500`` or ``'10%'``; anything else is refused with both forms shown."""
    text = value.strip() if isinstance(value, str) else None
    if isinstance(value, int) and not isinstance(value, bool):
        count = value
    elif text is not None and text.isdigit():  # ${ENV} references substitute text
        count = int(text)
    elif text is not None and text.endswith("%"):
        return _share(value, text[:-1])
    else:
        count = 0
    if count < 1:
        raise InvalidValue(
            "expected a number of records above 0 (500) or a share of the linked records "
            f"('10%'), found {brief(value)}"
        )
    return count


def _share(value: str, number: str) -> Share:
    try:
        percent = float(number)
    except ValueError:
        percent = float("nan")
    if not 0 < percent <= 100:  # also refuses nan
        raise InvalidValue(f"expected a share above 0% and up to 100%, found {value!r}")
    return Share(percent=percent)


Limit = Annotated[
    int | Share,
    BeforeValidator(_limit),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 1},
                {"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*%\s*$"},
            ],
            "examples": [500, "10%"],
        }
    ),
]


class Guards(_Model):
    """Mass-change limits per run; a run that would cross one stops before writing."""

    max_creates: Limit | None = None
    max_updates: Limit | None = None
    max_archives: Limit | None = None


class SyncConfig(_Model):
    """One source object kept in agreement with one target object."""

    name: str = Field(
        description="Lower case, digits, '-' and '_'.",
        json_schema_extra={"pattern": f"^{_SYNC_NAME.pattern}$"},
    )
    description: str | None = None
    source: Endpoint
    target: Endpoint
    mapping: Path = Field(description="Field map file, relative to this config file.")
    mode: Literal["upsert", "update-only", "create-only"] = "upsert"
    delete: Literal["ignore", "archive"] = Field(
        "ignore", description="What to do with the linked target record when the source deletes."
    )
    schedule: str | None = Field(
        None, description="Cron expression ('*/15 * * * *') or an interval ('every 15m')."
    )
    lookback: Duration | None = Field(
        None, description="Re-read this much before the cursor; default: the source's own."
    )
    batch_size: PositiveInt | None = Field(None, description="Default: the target's maximum.")
    max_attempts: PositiveInt = Field(
        5,
        description="A record that fails this many runs in a row is parked: later runs skip "
        "it until `crmsync retry`.",
    )
    guards: Guards = Guards()

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if _SYNC_NAME.fullmatch(value):
            return value
        slug = re.sub(r"[^a-z0-9_-]+", "-", value.lower()).strip("-_")
        raise InvalidValue(
            "expected lower-case letters, digits, '-' and '_', starting with a letter or "
            f"a digit, found {value!r}",
            hint=f"try {slug!r}" if slug else None,
        )

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str | None) -> str | None:
        if value is not None:
            from crmsync.schedules import FORMS, parse_schedule

            try:
                parse_schedule(value)
            except ValueError as exc:
                raise InvalidValue(f"expected {FORMS}, found {value!r}", hint=str(exc)) from None
        return value


class MetricsConfig(_Model):
    """Where ``crmsync scheduler`` serves ``/metrics`` (Prometheus) and ``/healthz``."""

    host: str = Field(
        "127.0.0.1",
        min_length=1,
        description="The address to listen on; the default is reachable from this machine only.",
    )
    port: int = Field(ge=0, le=65535, description="The TCP port, e.g. 9464; 0 takes a free one.")


class SchedulerConfig(_Model):
    """How ``crmsync scheduler`` runs the syncs that have a ``schedule``."""

    misfire_grace: Duration = Field(
        timedelta(minutes=1),
        ge=MIN_MISFIRE_GRACE,
        description="How late a firing may still start (at least 1s); a later one is skipped, "
        "and firings missed together run once.",
        json_schema_extra={"default": "1m"},
    )
    parallel_runs: PositiveInt = Field(
        4, description="The most runs one scheduler process has going at once."
    )
    metrics: MetricsConfig | None = Field(
        None, description="Serve /metrics and /healthz over HTTP; off when left out."
    )


NotifyOutcome = Literal["failed", "partial", "guarded", "interrupted"]


def _webhook_url(value: Any) -> Any:
    """An http(s) URL with a host; the value may hold a secret, so errors never show it."""
    if isinstance(value, str):
        parts = urlsplit(value.strip())
        if parts.scheme in ("http", "https") and parts.hostname:
            return value.strip()
    raise InvalidValue(
        f"expected an http:// or https:// URL, found {brief(value)}",
        hint="for example https://hooks.example.com/crmsync; put secrets in ${ENV_VAR}",
    )


class WebhookConfig(_Model):
    """Where notifications are posted."""

    url: Annotated[str, BeforeValidator(_webhook_url)] = Field(
        description="The URL to POST to; write a token in it as ${ENV_VAR}."
    )
    headers: dict[str, str] = Field(
        default_factory=dict,
        description="Extra request headers, e.g. Authorization; secrets as ${ENV_VAR}.",
    )
    timeout: Duration = Field(
        timedelta(seconds=10),
        gt=timedelta(0),
        description="How long to wait for the receiver per attempt.",
        json_schema_extra={"default": "10s"},
    )


class NotifyConfig(_Model):
    """When the scheduler posts a run's summary to a webhook."""

    webhook: WebhookConfig
    on: list[NotifyOutcome] = Field(
        ["failed", "guarded"],
        description="Run outcomes that notify. A run that cannot start counts as failed.",
    )
    failures_threshold: PositiveInt | None = Field(
        None,
        description="Also notify when a run brings the sync's stored failures (parked "
        "included) from below this number to it or above.",
    )


class Config(_Model):
    """The whole crmsync.yaml."""

    version: Literal[1] = 1
    state: StateConfig = StateConfig()
    connections: dict[str, ConnectionConfig]
    syncs: list[SyncConfig] = []
    scheduler: SchedulerConfig = SchedulerConfig()
    notify: NotifyConfig | None = None


@dataclass(frozen=True)
class LoadedConfig:
    """A validated config and where it came from (relative paths resolve against it)."""

    config: Config
    path: Path
    document: yamlfile.YamlDocument

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    @property
    def state_url(self) -> str:
        if self.config.state.url:
            return self.config.state.url
        return f"sqlite:///{self.base_dir / DEFAULT_STATE_FILE}"

    def sync(self, name: str) -> SyncConfig:
        """The sync called ``name``; ConfigError suggests the closest one."""
        by_name = {s.name: s for s in self.config.syncs}
        if name not in by_name:
            raise _unknown("sync", name, by_name, source=str(self.path))
        return by_name[name]

    def connection(self, name: str) -> ConnectionConfig:
        """The connection called ``name``; ConfigError suggests the closest one."""
        connections = self.config.connections
        if name not in connections:
            raise _unknown("connection", name, connections, source=str(self.path))
        return connections[name]

    def mapping_path(self, sync: SyncConfig) -> Path:
        return sync.mapping if sync.mapping.is_absolute() else self.base_dir / sync.mapping

    def line(self, *loc: str | int) -> int | None:
        return self.document.line(loc)


def config_path(explicit: Path | None) -> Path:
    """The config file to use: ``--config``, then $CRMSYNC_CONFIG, then ./crmsync.yaml."""
    if explicit is not None:
        return explicit
    return Path(os.environ.get("CRMSYNC_CONFIG", DEFAULT_CONFIG))


def load_config(
    path: Path, *, environ: Mapping[str, str] | None = None, connections: bool = True
) -> LoadedConfig:
    """Read, substitute ``${ENV}`` references in, and validate a crmsync.yaml.

    Args:
        path: the file.
        environ: the environment to substitute from; default ``os.environ``.
        connections: False for commands that only read the state store: variables in
            connection settings (the vendors' credentials) may then be unset.
    """
    if path.is_dir():
        raise ConfigError(
            f"config file {str(path)!r} is a folder",
            hint=f"pass the file in it: --config {path / DEFAULT_CONFIG}",
        )
    if not path.is_file():
        raise ConfigError(
            f"config file {str(path)!r} does not exist",
            hint="create one with `crmsync init`, or pass --config PATH",
        )
    document = yamlfile.load(path)
    document = _substitute(
        document, os.environ if environ is None else environ, connections=connections
    )
    config = yamlfile.validate(Config, document)
    problems = [*_check_names(config, document), *_check_references(config, document)]
    if problems:
        raise ConfigError.combine(problems)
    return LoadedConfig(config, path.resolve(), document)


def _substitute(
    document: yamlfile.YamlDocument, environ: Mapping[str, str], *, connections: bool
) -> yamlfile.YamlDocument:
    missing: list[ConfigError] = []

    def walk(value: Any, loc: tuple[str | int, ...]) -> Any:
        if isinstance(value, dict):
            return {k: walk(v, (*loc, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, (*loc, i)) for i, v in enumerate(value)]
        if isinstance(value, str) and (found := _ENV_REFERENCE.findall(value)):
            text = _ENV_REFERENCE.sub(lambda m: lookup(m.group(1), m.group(2), loc), value)
            return yamlfile.FromEnv(text, tuple(name for name, _ in found))
        return value

    def lookup(name: str, default: str | None, loc: tuple[str | int, ...]) -> str:
        if environ.get(name):
            return environ[name]
        if default is not None:
            return default
        if name in environ or (not connections and loc[:1] == ("connections",)):
            return ""
        missing.append(
            ConfigError(
                f"environment variable {name} is not set",
                source=document.source,
                line=document.line(loc),
                location=yamlfile.format_location(loc),
                hint=f"export {name}=... before running crmsync",
            )
        )
        return ""

    data = walk(document.data, ())
    if missing:
        raise ConfigError.combine(missing)
    return document.with_data(data)


def _check_names(config: Config, document: yamlfile.YamlDocument) -> Iterator[ConfigError]:
    """Sync names must be unique: each sync's state is kept under its name."""
    first: dict[str, int] = {}
    for index, sync in enumerate(config.syncs):
        if sync.name not in first:
            first[sync.name] = index
            continue
        earlier = ("syncs", first[sync.name], "name")
        loc = ("syncs", index, "name")
        yield ConfigError(
            f"sync name {sync.name!r} is already used by {yamlfile.format_location(earlier)} "
            f"(line {document.line(earlier)})",
            source=document.source,
            line=document.line(loc),
            location=yamlfile.format_location(loc),
            hint="give each sync its own name: its cursor, links and failures are kept under it",
        )


def _check_references(config: Config, document: yamlfile.YamlDocument) -> Iterator[ConfigError]:
    for index, sync in enumerate(config.syncs):
        for side in ("source", "target"):
            name = getattr(sync, side).connection
            if name in config.connections:
                continue
            loc = ("syncs", index, side, "connection")
            yield _unknown(
                "connection",
                name,
                config.connections,
                source=document.source,
                line=document.line(loc),
                location=yamlfile.format_location(loc),
            )


def _unknown(kind: str, name: str, known: Collection[str], **where: Any) -> ConfigError:
    """``no sync named 'x'``, with the closest known name and the list of them."""
    near = closest_name(name, known)
    return ConfigError(
        f"no {kind} named {name!r}",
        hint=(f"did you mean {near!r}? " if near else "")
        + f"{kind}s: {', '.join(known) or 'none'}",
        **where,
    )
