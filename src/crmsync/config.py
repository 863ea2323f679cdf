"""crmsync.yaml: connections, syncs and the state store, validated into pydantic models.

Secrets are written as ``${ENV_VAR}`` references and substituted at load time. Every
problem is reported with the file, the line, the key path (``syncs[1].mapping``), what
was expected and what was found, together with the closest valid name.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PositiveInt,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from crmsync import yamlfile
from crmsync.durations import format_duration, parse_duration
from crmsync.sdk.errors import ConfigError
from crmsync.sdk.schema import closest_name

DEFAULT_CONFIG = "crmsync.yaml"
DEFAULT_STATE_FILE = "crmsync-state.db"

_ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SYNC_NAME = r"^[a-z0-9][a-z0-9_-]*$"


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
        description="How long a run's lock lasts without renewal; a dead holder's lock expires.",
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

    def of(self, total: int) -> int:
        return int(total * self.percent / 100)

    def __str__(self) -> str:
        return f"{self.percent:g}%"


def _limit(value: Any) -> Any:
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            return Share(percent=float(value.strip()[:-1]))
        except ValueError:
            return value
    return value


Limit = Annotated[
    PositiveInt | Share,
    Field(union_mode="left_to_right", json_schema_extra={"examples": [500, "10%"]}),
]


class Guards(_Model):
    """Mass-change limits per run; a run that would cross one stops before writing."""

    max_creates: Limit | None = None
    max_updates: Limit | None = None
    max_archives: Limit | None = None

    @field_validator("max_creates", "max_updates", "max_archives", mode="before")
    @classmethod
    def _shares(cls, value: Any) -> Any:
        return _limit(value)


class SyncConfig(_Model):
    """One source object kept in agreement with one target object."""

    name: str = Field(pattern=_SYNC_NAME, description="Lower case, digits, '-' and '_'.")
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
        5, description="Failed records are retried on later runs this many times, then parked."
    )
    guards: Guards = Guards()

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str | None) -> str | None:
        if value is not None:
            from crmsync.schedules import parse_schedule

            parse_schedule(value)
        return value


class Config(_Model):
    """The whole crmsync.yaml."""

    version: Literal[1] = 1
    state: StateConfig = StateConfig()
    connections: dict[str, ConnectionConfig]
    syncs: list[SyncConfig] = []

    @model_validator(mode="after")
    def _references(self) -> Config:
        names = [s.name for s in self.syncs]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"sync names must be unique; repeated: {', '.join(duplicates)}")
        return self


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
        if name in by_name:
            return by_name[name]
        near = closest_name(name, by_name)
        raise ConfigError(
            f"no sync named {name!r}",
            source=str(self.path),
            hint=(f"did you mean {near!r}? " if near else "")
            + f"syncs: {', '.join(by_name) or 'none'}",
        )

    def mapping_path(self, sync: SyncConfig) -> Path:
        return sync.mapping if sync.mapping.is_absolute() else self.base_dir / sync.mapping

    def line(self, *loc: str | int) -> int | None:
        return self.document.line(loc)


def config_path(explicit: Path | None) -> Path:
    """The config file to use: ``--config``, then $CRMSYNC_CONFIG, then ./crmsync.yaml."""
    if explicit is not None:
        return explicit
    return Path(os.environ.get("CRMSYNC_CONFIG", DEFAULT_CONFIG))


def load_config(path: Path, *, environ: Mapping[str, str] | None = None) -> LoadedConfig:
    """Read, substitute ``${ENV}`` references in, and validate a crmsync.yaml."""
    if not path.is_file():
        raise ConfigError(
            f"config file {str(path)!r} does not exist",
            hint="create one with `crmsync init`, or pass --config PATH",
        )
    document = yamlfile.load(path)
    document = _substitute(document, os.environ if environ is None else environ)
    config = yamlfile.validate(Config, document)
    problems = list(_check_references(config, document))
    if problems:
        raise ConfigError.combine(problems)
    return LoadedConfig(config, path.resolve(), document)


def _substitute(
    document: yamlfile.YamlDocument, environ: Mapping[str, str]
) -> yamlfile.YamlDocument:
    missing: list[ConfigError] = []

    def walk(value: Any, loc: tuple[str | int, ...]) -> Any:
        if isinstance(value, dict):
            return {k: walk(v, (*loc, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, (*loc, i)) for i, v in enumerate(value)]
        if isinstance(value, str):
            return _ENV_REFERENCE.sub(lambda m: lookup(m.group(1), loc), value)
        return value

    def lookup(name: str, loc: tuple[str | int, ...]) -> str:
        if name in environ:
            return environ[name]
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


def _check_references(config: Config, document: yamlfile.YamlDocument) -> Iterator[ConfigError]:
    connections = config.connections
    for index, sync in enumerate(config.syncs):
        for side in ("source", "target"):
            name = getattr(sync, side).connection
            if name in connections:
                continue
            loc = ("syncs", index, side, "connection")
            near = closest_name(name, connections)
            yield ConfigError(
                f"no connection named {name!r}",
                source=document.source,
                line=document.line(loc),
                location=yamlfile.format_location(loc),
                hint=(f"did you mean {near!r}? " if near else "")
                + f"connections: {', '.join(connections) or 'none'}",
            )
