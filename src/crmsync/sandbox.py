"""Every installed connector's sandbox, served on loopback: try crmsync without accounts.

A connector offers a sandbox by registering a function that returns a
:class:`~crmsync.sdk.serving.Sandbox` under the entry-point group ``crmsync.sandboxes``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from importlib.metadata import entry_points

from crmsync.sdk.errors import ConfigError
from crmsync.sdk.serving import SANDBOX_GROUP, Sandbox, serve_wsgi


@dataclass(frozen=True)
class Served:
    """One sandbox being served: where, and the environment a config needs to reach it."""

    name: str
    url: str
    environment: dict[str, str]


def names() -> list[str]:
    """The installed connectors that offer a sandbox."""
    return sorted(ep.name for ep in entry_points(group=SANDBOX_GROUP))


@contextmanager
def running(host: str = "127.0.0.1") -> Iterator[list[Served]]:
    """Serve every installed sandbox on ``host`` (a loopback address) until the block ends."""
    with ExitStack() as stack:
        served = []
        for entry in sorted(entry_points(group=SANDBOX_GROUP), key=lambda e: e.name):
            try:
                sandbox: Sandbox = entry.load()()
            except Exception as exc:
                raise ConfigError(f"the {entry.name} sandbox failed to start: {exc}") from exc
            server = stack.enter_context(serve_wsgi(sandbox.app, host))
            served.append(Served(entry.name, server.url, sandbox.environment(server.url)))
        yield served
