"""The Rewardful calls the object types make, and nothing else.

Every call goes through the SDK's HTTP client (rate limit, Basic auth, retries, request
counting, redaction). Writes are form-encoded; responses are JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import quote

import requests

from crmsync.sdk import ApiError, ApiRequestError, Blame, HttpClient
from crmsync_connectors.rewardful.paging import Json, Listing, walk

NOT_FOUND = 404


class RewardfulApi:
    """Rewardful's REST API v1, reduced to what crmsync needs.

    Args:
        http: the connection's client, with auth, limiter and classify hook.
        page_size: records per list request (at most 100).
    """

    def __init__(self, http: HttpClient, page_size: int) -> None:
        self._http = http
        self.page_size = page_size

    def pages(self, path: str, params: Mapping[str, Any]) -> Iterator[list[Any]]:
        """Every page of the list at ``path``, newest first (see :mod:`.paging`)."""

        def fetch(number: int) -> Listing:
            query = {**params, "page": number, "limit": self.page_size}
            return _listing(_body(self._http.get(path, params=query)), self.page_size)

        return walk(fetch, self.page_size)

    def find_affiliate(self, field: str, value: str) -> Json | None:
        """The affiliate whose ``field`` (email or stripe_customer_id) is ``value``.

        Rewardful filters to 0 or 1 affiliates; the result is checked here too, so that a
        filter the API ignored cannot pass off another affiliate as the match.
        """
        body = _body(self._http.get("/affiliates", params={field: value}))
        wanted = value.casefold() if field == "email" else value
        for item in _items(body):
            if not isinstance(item, dict):
                continue
            found = str(item.get(field) or "")
            if (found.casefold() if field == "email" else found) == wanted:
                return item
        return None

    def affiliate(self, affiliate_id: str, *, expand: Iterable[str] = ()) -> Json | None:
        """One affiliate, or None when Rewardful has none with that id."""
        return _unless_missing(
            lambda: self._http.get(_at("/affiliates", affiliate_id), params=expand_params(expand))
        )

    def create_affiliate(self, fields: Mapping[str, str]) -> Json:
        """``POST /affiliates``. Not idempotent: a resend could not be told apart."""
        return _body(self._http.post("/affiliates", data=dict(fields)))

    def update_affiliate(self, affiliate_id: str, fields: Mapping[str, str]) -> Json | None:
        """``PUT /affiliates/:id`` (partial); None when the affiliate does not exist."""
        return _unless_missing(
            lambda: self._http.put(_at("/affiliates", affiliate_id), data=dict(fields))
        )

    def create_link(self, fields: Mapping[str, str]) -> Json:
        """``POST /affiliate_links``. Sent with a token, so a resend cannot duplicate it."""
        return _body(self._http.post("/affiliate_links", data=dict(fields), idempotent=True))

    def probe(self) -> None:
        """One cheap call that proves the secret works."""
        self._http.get("/campaigns", params={"limit": 1})


def record_id(record: Json) -> str:
    """The ``id`` of a record Rewardful returned.

    Raises:
        ApiError: the record has none, so crmsync could not link it.
    """
    found = record.get("id")
    if not isinstance(found, str) or not found:
        raise ApiError("Rewardful returned a record without an id", blame=Blame.VENDOR)
    return found


def expand_params(names: Iterable[str]) -> dict[str, list[str]]:
    """The query asking for ``names`` in full (``expand[]=a&expand[]=b``)."""
    wanted = list(names)
    return {"expand[]": wanted} if wanted else {}


def _at(path: str, key: str) -> str:
    return f"{path}/{quote(key, safe='')}"


def _unless_missing(send: Callable[[], requests.Response]) -> Json | None:
    """The body ``send`` gets back, or None when Rewardful answers 404."""
    try:
        response = send()
    except ApiRequestError as exc:
        if exc.status == NOT_FOUND:
            return None
        raise
    return _body(response)


def _body(response: requests.Response) -> Json:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise ApiError(
            f"{response.request.method} {response.request.path_url.split('?')[0]} "
            "answered with something other than a JSON object",
            status=response.status_code,
            blame=Blame.VENDOR,
        )
    return body


def _items(body: Json) -> list[Any]:
    """The ``data`` array, as sent: records that are not objects are rejected later."""
    data = body.get("data")
    if not isinstance(data, list):
        raise ApiError("a Rewardful list answered without its data array", blame=Blame.VENDOR)
    return data


def _listing(body: Json, page_size: int) -> Listing:
    """A page and its ``pagination``; without ``next_page``, a full page means more."""
    items = _items(body)
    pagination = body.get("pagination")
    pagination = pagination if isinstance(pagination, dict) else {}
    more = (
        pagination["next_page"] is not None
        if "next_page" in pagination
        else (len(items) >= page_size)
    )
    total = pagination.get("total_count")
    return Listing(items, more, total if isinstance(total, int) else None)
