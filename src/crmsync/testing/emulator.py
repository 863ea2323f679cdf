"""Running a connector's WSGI emulator for tests: on loopback, or in-process.

:func:`serve_wsgi` starts a real HTTP server on 127.0.0.1, for tests that must exercise
sockets, timeouts and the CLI. :func:`wsgi_session` skips the network entirely: a
``requests`` session whose adapter calls the app directly, for fast unit tests.
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from io import BytesIO
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.test import EnvironBuilder, run_wsgi_app

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

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
        raise ValueError(f"test servers bind to loopback only (e.g. 127.0.0.1), not {host!r}")


def wsgi_session(app: WSGIApplication) -> requests.Session:
    """A session that sends every http(s) request to ``app`` in-process, with no socket.

    The host in the URL is kept in the WSGI environ, so any base URL works.
    """
    session = requests.Session()
    adapter = WsgiAdapter(app)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


class WsgiAdapter(BaseAdapter):
    """A ``requests`` transport adapter that calls a WSGI app instead of opening sockets."""

    def __init__(self, app: WSGIApplication) -> None:
        super().__init__()
        self.app = app

    def send(  # noqa: PLR0917 (the signature is requests' BaseAdapter.send)
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float, float] | tuple[float, None] | None = None,
        verify: bool | str = True,
        cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
        proxies: Any = None,
    ) -> requests.Response:
        url = urlsplit(request.url or "")
        body = request.body.encode() if isinstance(request.body, str) else request.body
        builder = EnvironBuilder(
            path=url.path or "/",
            base_url=f"{url.scheme}://{url.netloc}",
            query_string=url.query,
            method=request.method or "GET",
            headers=list(request.headers.items()),
            data=body,
        )
        try:
            app_iter, status, headers = run_wsgi_app(self.app, builder.get_environ(), True)
        finally:
            builder.close()
        content = b"".join(app_iter)

        response = requests.Response()
        response.status_code = int(status.split(" ", 1)[0])
        response.reason = status.partition(" ")[2]
        response.headers = CaseInsensitiveDict(headers.items())
        response.encoding = get_encoding_from_headers(response.headers)
        response.raw = BytesIO(content)
        response._content = content
        response.url = request.url or ""
        response.request = request
        return response

    def close(self) -> None:
        """Nothing to release: no connections are opened."""
