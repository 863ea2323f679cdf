"""Finding connectors: every connector, built-in or third-party, is an entry point.

A package registers ``name = "module:ConnectorClass"`` under the group
``crmsync.connectors``; crmsync's own connectors are registered the same way.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from crmsync.sdk.connector import Connector
from crmsync.sdk.errors import ConfigError
from crmsync.sdk.schema import closest_name

GROUP = "crmsync.connectors"


@cache
def available() -> dict[str, EntryPoint]:
    """Installed connectors by name."""
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def connector_class(name: str) -> type[Connector[Any]]:
    """The connector class registered as ``name``; ConfigError names the closest one."""
    found = available()
    if name not in found:
        near = closest_name(name, found)
        raise ConfigError(
            f"no connector named {name!r} is installed",
            hint=(f"did you mean {near!r}? " if near else "")
            + f"installed: {', '.join(sorted(found)) or 'none'}",
        )
    try:
        cls = found[name].load()
    except Exception as exc:
        raise ConfigError(f"connector {name!r} failed to load: {exc}") from exc
    if not (isinstance(cls, type) and issubclass(cls, Connector)):
        raise ConfigError(f"entry point {name!r} does not name a crmsync Connector class")
    return cls
