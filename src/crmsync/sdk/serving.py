"""Serving a connector's emulator on loopback, and the sandbox each connector offers.

``crmsync sandbox`` and ``crmsync demo`` serve the emulators of every installed connector
that registers a :class:`Sandbox` under the entry-point group ``crmsync.sandboxes``; the
test kit (:mod:`crmsync.testing`) serves them the same way.
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from werkzeug.serving import WSGIRequestHandler, make_server

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

SANDBOX_GROUP = "crmsync.sandboxes"


@dataclass(frozen=True)
class Sandbox:
    """A connector's emulator seeded with example data, for trying crmsync without accounts.

    Attributes:
        app: the emulator, a WSGI application.
        environment: given the URL the emulator is served at, the environment variables
            that ``config.example.yaml`` reads to reach it (its base URL and credentials,
            e.g. ``HUBSPOT_BASE_URL`` and ``HUBSPOT_TOKEN``).
    """

    app: WSGIApplication
    environment: Callable[[str], dict[str, str]]


# How often the server thread checks for shutdown; short so that tests end promptly.
_POLL_INTERVAL = 0.05


@dataclass(frozen=True, slots=True)
class LocalServer:
    """A running loopback server. ``url`` has no trailing slash."""

    url: str
    host: str
    port: int


class _QuietHandler(WSGIRequestHandler):
    """Leaves out the per-request access log: it would repeat query strings verbatim."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@contextmanager
def serve_wsgi(app: WSGIApplication, host: str = "127.0.0.1") -> Iterator[LocalServer]:
    """Serve ``app`` on an ephemeral loopback port in a background thread.

    Args:
        app: the WSGI application (an emulator).
        host: a loopback address; anything else is refused so that a test server is
            never reachable from the network.

    Yields:
        Where the server listens. It is shut down when the block exits.

    Raises:
        ValueError: ``host`` is not a loopback IP address.
    """
    _require_loopback(host)
    server = make_server(host, 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": _POLL_INTERVAL},
        name=f"wsgi-{server.server_port}",
        daemon=True,
    )
    thread.start()
    netloc_host = f"[{host}]" if ":" in host else host
    try:
        yield LocalServer(f"http://{netloc_host}:{server.server_port}", host, server.server_port)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _require_loopback(host: str) -> None:
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"emulators bind to loopback only (e.g. 127.0.0.1), not {host!r}")
