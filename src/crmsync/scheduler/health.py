"""The scheduler's HTTP endpoint: ``/healthz`` (JSON) and ``/metrics`` (Prometheus).

Off unless ``scheduler.metrics`` is set. It serves on the configured address only (the
default, 127.0.0.1, is reachable from this machine alone) and has no authentication.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from prometheus_client import make_wsgi_app
from werkzeug.serving import (
    BaseWSGIServer,
    WSGIRequestHandler,
    get_sockaddr,
    make_server,
    select_address_family,
)

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from crmsync.scheduler.metrics import Metrics

Health = Callable[[], tuple[bool, dict[str, Any]]]
"""Whether the scheduler is healthy, and the document that says how it stands."""

# How often the server thread checks whether it should stop.
_POLL_INTERVAL = 0.2
_BACKLOG = 64


class _QuietHandler(WSGIRequestHandler):
    """No access log: a scraper every few seconds would drown the scheduler's own lines."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def application(metrics: Metrics, health: Health) -> WSGIApplication:
    """``GET /healthz``: 200 when healthy, else 503, with JSON; ``GET /metrics``; else 404."""
    prometheus = make_wsgi_app(metrics.registry)

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            return prometheus(environ, start_response)  # type: ignore[no-any-return]
        if path != "/healthz":
            return _reply(start_response, "404 Not Found", {"error": f"no page {path}"})
        healthy, document = health()
        status = "200 OK" if healthy else "503 Service Unavailable"
        return _reply(start_response, status, document)

    return app


def _reply(start_response: StartResponse, status: str, document: dict[str, Any]) -> list[bytes]:
    body = json.dumps(document, indent=2).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


class HttpEndpoint:
    """Serves a WSGI app from a background thread until :meth:`stop`.

    Raises:
        OSError: the address cannot be listened on (in use, not this machine's).
    """

    def __init__(self, app: WSGIApplication, host: str, port: int) -> None:
        with _listen(host, port) as listener:  # the server listens on a copy of it
            self._server: BaseWSGIServer = make_server(
                host, port, app, threaded=True, request_handler=_QuietHandler, fd=listener.fileno()
            )
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": _POLL_INTERVAL},
            name="crmsync-http",
            daemon=True,
        )
        self._thread.start()

    @property
    def url(self) -> str:
        host = self._server.host
        netloc = f"[{host}]" if ":" in host else host
        return f"http://{netloc}:{self._server.port}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


def _listen(host: str, port: int) -> socket.socket:
    """A socket listening on ``host``:``port``.

    Werkzeug's server would print to stderr and exit the process when it cannot listen;
    binding first turns that into an OSError the caller reports.
    """
    family = select_address_family(host, port)
    listener = socket.socket(family, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(get_sockaddr(host, port, family))
        listener.listen(_BACKLOG)
    except OSError:
        listener.close()
        raise
    return listener
