"""serve_wsgi (a loopback server) and wsgi_session (in-process) both reach a WSGI app."""

from __future__ import annotations

import json

import pytest
import requests
from werkzeug.wrappers import Request, Response

from crmsync.testing.emulator import serve_wsgi, wsgi_session


@Request.application
def echo(request: Request) -> Response:
    """Echoes the request back as JSON; ``/old`` redirects to ``/new``."""
    if request.path == "/old":
        return Response(status=302, headers={"Location": "/new"})
    body = {
        "method": request.method,
        "path": request.path,
        "args": request.args.to_dict(flat=False),
        "host": request.host,
        "header": request.headers.get("X-Test"),
        "json": request.get_json(silent=True),
    }
    return Response(json.dumps(body), status=201, mimetype="application/json")


def test_serve_wsgi_answers_on_loopback_and_stops_on_exit() -> None:
    with serve_wsgi(echo) as server, requests.Session() as session:
        response = session.get(f"{server.url}/things", params={"q": "1"}, timeout=5)
        assert (server.host, server.url) == ("127.0.0.1", f"http://127.0.0.1:{server.port}")

    assert response.status_code == 201
    assert response.json()["args"] == {"q": ["1"]}
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{server.url}/things", timeout=5)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com", "localhost"])
def test_serve_wsgi_refuses_hosts_that_are_not_loopback_addresses(host: str) -> None:
    with pytest.raises(ValueError, match="loopback"), serve_wsgi(echo, host=host):
        pass


def test_wsgi_session_calls_the_app_in_process() -> None:
    with wsgi_session(echo) as session:
        response = session.post(
            "https://api.vendor.test/v1/things%20x",
            params={"a": ["1", "2"]},
            json={"name": "Ada"},
            headers={"X-Test": "yes"},
        )

    assert (response.status_code, response.reason) == (201, "CREATED")
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "method": "POST",
        "path": "/v1/things x",
        "args": {"a": ["1", "2"]},
        "host": "api.vendor.test",
        "header": "yes",
        "json": {"name": "Ada"},
    }


def test_wsgi_session_follows_redirects() -> None:
    with wsgi_session(echo) as session:
        response = session.get("http://vendor.test/old")

    assert [r.status_code for r in response.history] == [302]
    assert response.json()["path"] == "/new"
