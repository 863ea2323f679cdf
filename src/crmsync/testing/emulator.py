"""Running a connector's WSGI emulator for tests: on loopback, or in-process.

:func:`serve_wsgi` (from :mod:`crmsync.sdk.serving`) starts a real HTTP server on
127.0.0.1, for tests that must exercise sockets, timeouts and the CLI. :func:`wsgi_session`
skips the network entirely: a ``requests`` session whose adapter calls the app directly,
for fast unit tests.
"""

from __future__ import annotations

from io import BytesIO
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers
from werkzeug.test import EnvironBuilder, run_wsgi_app

from crmsync.sdk.serving import LocalServer, serve_wsgi

__all__ = ["LocalServer", "WsgiAdapter", "serve_wsgi", "wsgi_session"]

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication


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
