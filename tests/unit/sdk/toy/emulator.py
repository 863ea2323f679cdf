"""A fake of the toy vendor's API: ``GET /v1/contacts`` with Bearer auth and cursor paging.

Like some real vendors it echoes a rejected token back in its 401 body, which is exactly
what the SDK's redaction must cope with. Tests make it fail on purpose with
:meth:`inject`; injected errors carry the same bodies as real ones.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

MAX_LIMIT = 100


class ToyEmulator:
    """A WSGI app serving the toy contacts API.

    Args:
        token: the only bearer token it accepts.
        contacts: its records, each with ``id``, ``email`` and ``updatedAt``.
    """

    def __init__(self, token: str, contacts: Sequence[Mapping[str, Any]]) -> None:
        self.token = token
        self.contacts = sorted(contacts, key=lambda c: (c["updatedAt"], c["id"]))
        self._injected: tuple[int, Mapping[str, str], int] | None = None
        self._lock = threading.Lock()

    def inject(self, status: int, headers: Mapping[str, str], count: int) -> None:
        """Answer the next ``count`` requests with ``status`` and ``headers``."""
        with self._lock:
            self._injected = (status, dict(headers), count)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        response = self._respond(Request(environ))
        return response(environ, start_response)

    def _respond(self, request: Request) -> Response:
        presented = request.headers.get("Authorization", "").removeprefix("Bearer ")
        injected = self._take_injected()
        if injected is not None:
            status, headers = injected
            return _error(status, presented, headers)
        if presented != self.token:
            return _error(401, presented)
        if request.method != "GET" or request.path != "/v1/contacts":
            return _json({"message": f"no route for {request.method} {request.path}"}, 404)
        return self._list_contacts(request)

    def _take_injected(self) -> tuple[int, Mapping[str, str]] | None:
        with self._lock:
            if self._injected is None:
                return None
            status, headers, count = self._injected
            self._injected = (status, headers, count - 1) if count > 1 else None
            return status, headers

    def _list_contacts(self, request: Request) -> Response:
        limit = request.args.get("limit", default=10, type=int)
        if not 1 <= limit <= MAX_LIMIT:
            return _json({"message": f"limit must be 1..{MAX_LIMIT}"}, 400)
        after = request.args.get("after")
        ids = [c["id"] for c in self.contacts]
        start = ids.index(after) + 1 if after in ids else 0
        page = self.contacts[start : start + limit]
        body: dict[str, Any] = {"results": page}
        if start + limit < len(self.contacts):
            body["paging"] = {"next": {"after": page[-1]["id"]}}
        return _json(body, 200)


def _error(status: int, presented: str, headers: Mapping[str, str] | None = None) -> Response:
    """The vendor's error body for ``status``; its 401 repeats the token it was sent."""
    if status == 401:
        return _json({"message": f"token {presented!r} is not valid"}, 401, headers)
    return _json({"message": f"request failed with status {status}"}, status, headers)


def _json(body: object, status: int, headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body), status, headers=dict(headers or {}), mimetype="application/json"
    )
