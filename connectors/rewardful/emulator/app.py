"""The WSGI app: Rewardful's REST API v1 as crmsync uses it, on an in-memory account.

Built from the contract (shared/docs/api-contracts.md section 4), not from the connector:

- HTTP Basic auth with the API secret as user name and an empty password; else 401.
- Form-encoded request bodies (a JSON body is not read); JSON responses.
- ``page`` (from 1) and ``limit`` (default 25, at most 100) with the ``pagination`` object;
  lists sorted by creation, newest first.
- ``expand`` / ``expand[]``; filters, with ``[]`` arrays for states.
- Referrals filtered by ``updated_since`` / ``updated_until``. The contract does not say
  whether the bounds are inclusive: the emulator takes both as exclusive, the strictest
  reading, so a client that relies on either bound being inclusive fails its tests.
- Errors as ``{"error": ...}``, 422s with ``details``; a 45 requests / 30 s window with 429
  and ``RateLimit-*`` header fields; a ``PUT`` without ``state`` makes the affiliate active.
"""

from __future__ import annotations

import json
import math
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from crmsync.sdk.clock import SYSTEM_CLOCK, Clock
from crmsync.sdk.ratelimit import Rate
from crmsync_connectors.rewardful.emulator.account import Account, Invalid, Missing, newest_first
from crmsync_connectors.rewardful.emulator.model import (
    Affiliate,
    Campaign,
    Commission,
    Link,
    Referral,
)
from crmsync_connectors.rewardful.emulator.render import Json, Renderer
from crmsync_connectors.rewardful.emulator.traffic import Fault, Faults, FixedWindow, Injected

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

RATE = Rate(45, timedelta(seconds=30))
DEFAULT_LIMIT = 25
MAX_LIMIT = 100
_WRITES = frozenset({"POST", "PUT"})
_MESSAGES = {
    401: "Invalid API secret",
    404: "Not found",
    429: "Too many requests",
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service unavailable",
}
_ROUTES = Map(
    [
        Rule("/v1/affiliates", methods=["GET"], endpoint="list_affiliates"),
        Rule("/v1/affiliates", methods=["POST"], endpoint="create_affiliate"),
        Rule("/v1/affiliates/<record_id>", methods=["GET"], endpoint="get_affiliate"),
        Rule("/v1/affiliates/<record_id>", methods=["PUT"], endpoint="update_affiliate"),
        Rule("/v1/affiliate_links", methods=["GET"], endpoint="list_links"),
        Rule("/v1/affiliate_links", methods=["POST"], endpoint="create_link"),
        Rule("/v1/affiliate_links/<record_id>", methods=["GET"], endpoint="get_link"),
        Rule("/v1/referrals", methods=["GET"], endpoint="list_referrals"),
        Rule("/v1/commissions", methods=["GET"], endpoint="list_commissions"),
        Rule("/v1/campaigns", methods=["GET"], endpoint="list_campaigns"),
    ]
)

Listed = TypeVar("Listed", Affiliate, Campaign, Commission, Link, Referral)


class BadParameter(Exception):
    """A query parameter the API cannot use (422)."""


class RewardfulEmulator:
    """A WSGI app serving the part of Rewardful's API that crmsync uses. Thread-safe.

    Args:
        api_secret: the only secret it accepts.
        clock: stamps records and runs the rate-limit window; tests pass a FakeClock.
        rate: the account's limit, 45 requests per 30 s unless a test wants another.
        seed: seeds record ids and random faults, so runs are reproducible.

    Seed and inspect records with :meth:`data`; fail requests on purpose with
    :meth:`inject` (the next few) or :meth:`flaky` (a random share); read the requests it
    served with :meth:`calls`.
    """

    def __init__(
        self, api_secret: str, *, clock: Clock = SYSTEM_CLOCK, rate: Rate = RATE, seed: int = 0
    ) -> None:
        self.api_secret = api_secret
        self.clock = clock
        self.account = Account(clock, seed)
        self.account.default_campaign()
        self._window = FixedWindow(rate, clock)
        self._faults: Faults | None = None
        self._injected: Injected | None = None
        self._calls: Counter[str] = Counter()
        self._lock = threading.RLock()
        self._seed = seed

    # -- the Python API ------------------------------------------------------------------

    @contextmanager
    def data(self) -> Iterator[Account]:
        """The account, locked against requests meanwhile: seed, touch or remove records."""
        with self._lock:
            yield self.account

    def listed(self, kind: str, *, expand: Iterable[str] = ()) -> list[Json]:
        """The records of ``kind`` as the API lists them (newest first), without paging."""
        with self._lock:
            records = newest_first(self.account.records(kind).values())
            render: Callable[[Any], Json] = getattr(Renderer(self.account, expand), _SINGULAR[kind])
            return [render(r) for r in records]

    def inject(
        self,
        status: int,
        headers: Mapping[str, str],
        count: int,
        *,
        writes: Literal["before", "after"] | None = None,
    ) -> None:
        """Answer the next ``count`` requests with ``status``, its usual body and ``headers``.

        By default any request gets the error, before anything else (as from a proxy). With
        ``writes``, only POST and PUT requests do, after authentication: ``"before"`` the
        write is applied, or ``"after"`` (the write happened; its answer is lost).
        """
        with self._lock:
            fault = Fault(status, dict(headers), after_write=writes == "after")
            self._injected = Injected(fault, count, writes_only=writes is not None)

    def flaky(self, *, throttled: float = 0.0, failing: float = 0.0) -> None:
        """Fail a random share of requests from now on (see :class:`Faults`); 0, 0 stops."""
        with self._lock:
            self._faults = Faults(throttled, failing, self._seed) if throttled or failing else None

    def calls(self) -> dict[str, int]:
        """Requests served so far, by endpoint (``"GET /v1/affiliates/<record_id>"``)."""
        with self._lock:
            return dict(self._calls)

    # -- WSGI --------------------------------------------------------------------------------

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        with self._lock:
            response = self._respond(request)
        return response(environ, start_response)

    def _respond(self, request: Request) -> Response:
        adapter = _ROUTES.bind_to_environ(request.environ)
        try:
            rule, args = adapter.match(return_rule=True)
        except HTTPException:
            self._calls[f"{request.method} {request.path}"] += 1
            return _error(404)
        self._calls[f"{request.method} {rule.rule}"] += 1
        injected = self._take_injected(request.method in _WRITES)
        if injected is not None and not injected.writes_only:
            return _error(injected.fault.status, headers=injected.fault.headers)
        refusal = self._refusal(request)
        if refusal is not None:
            return refusal
        budget = self._window.headers()
        fault = injected.fault if injected else self._faults.draw(budget) if self._faults else None
        if fault is not None and not (fault.after_write and request.method in _WRITES):
            return _error(fault.status, headers=fault.headers)
        response = self._handle(str(rule.endpoint), request, args)
        if fault is not None:
            return _error(fault.status, headers=fault.headers)  # applied, but the answer is lost
        response.headers.update(budget)
        return response

    def _take_injected(self, writing: bool) -> Injected | None:
        """The injected fault, if it applies to this request; it counts down once per use."""
        injected = self._injected
        if injected is None or (injected.writes_only and not writing):
            return None
        injected.count -= 1
        if injected.count <= 0:
            self._injected = None
        return injected

    def _refusal(self, request: Request) -> Response | None:
        """A 401 for wrong credentials, or a 429 when the window is spent; else None."""
        auth = request.authorization
        if auth is None or auth.type != "basic":
            return _error(401)
        if auth.username != self.api_secret or auth.password:
            return _error(401)
        if not self._window.admit():
            return _error(429, headers=self._window.headers())
        return None

    def _handle(self, endpoint: str, request: Request, args: Mapping[str, str]) -> Response:
        handler: Callable[..., Response] = getattr(self, f"_{endpoint}")
        try:
            return handler(request, **args)
        except BadParameter as exc:
            return _json({"error": "Invalid parameters", "details": [str(exc)]}, 422)
        except Invalid as exc:
            return _json({"error": "Validation failed", "details": exc.details}, 422)
        except Missing as exc:
            return _json({"error": str(exc)}, 404)

    # -- endpoints -------------------------------------------------------------------------

    def _list_affiliates(self, request: Request) -> Response:
        email = request.args.get("email")
        wanted = {
            "campaign_id": request.args.get("campaign_id"),
            "stripe_customer_id": request.args.get("stripe_customer_id"),
        }
        rows = [
            a
            for a in self.account.affiliates.values()
            if (email is None or a.email.casefold() == email.casefold())
            and all(v is None or getattr(a, k) == v for k, v in wanted.items())
        ]
        return _page(request, rows, self._renderer(request).affiliate)

    def _get_affiliate(self, request: Request, record_id: str) -> Response:
        return _json(self._renderer(request).affiliate(self._affiliate(record_id)))

    def _create_affiliate(self, request: Request) -> Response:
        affiliate = self.account.create_affiliate(_form(request))
        return _json(self._renderer(request).affiliate(affiliate))

    def _update_affiliate(self, request: Request, record_id: str) -> Response:
        affiliate = self._affiliate(record_id)
        self.account.update_affiliate(affiliate, _form(request))
        return _json(self._renderer(request).affiliate(affiliate))

    def _list_links(self, request: Request) -> Response:
        return _page(request, self.account.links.values(), self._renderer(request).link)

    def _get_link(self, request: Request, record_id: str) -> Response:
        link = self.account.links.get(record_id)
        if link is None:
            raise Missing("Affiliate link not found")
        return _json(self._renderer(request).link(link))

    def _create_link(self, request: Request) -> Response:
        return _json(self._renderer(request).link(self.account.create_link(_form(request))))

    def _list_referrals(self, request: Request) -> Response:
        args = request.args
        states = _values(args, "conversion_state")
        email, customer = args.get("email"), args.get("stripe_customer_id")
        since, until = _time(args, "updated_since"), _time(args, "updated_until")
        rows = [
            r
            for r in self.account.referrals.values()
            if _is(args.get("affiliate_id"), r.affiliate_id)
            and (not states or r.conversion_state in states)
            and (email is None or (r.customer and r.customer.email.casefold() == email.casefold()))
            and (customer is None or (r.customer and r.customer.id == customer))
            and (since is None or r.updated_at > since)
            and (until is None or r.updated_at < until)
        ]
        return _page(request, rows, self._renderer(request).referral)

    def _list_commissions(self, request: Request) -> Response:
        states = _values(request.args, "state")
        affiliate_id = request.args.get("affiliate_id")
        rows = [
            c
            for c in self.account.commissions.values()
            if (not states or c.state in states)
            and (affiliate_id is None or self._affiliate_of(c) == affiliate_id)
        ]
        return _page(request, rows, self._renderer(request).commission)

    def _list_campaigns(self, request: Request) -> Response:
        return _page(request, self.account.campaigns.values(), self._renderer(request).campaign)

    # -- helpers ---------------------------------------------------------------------------

    def _affiliate(self, record_id: str) -> Affiliate:
        affiliate = self.account.affiliates.get(record_id)
        if affiliate is None:
            raise Missing("Affiliate not found")
        return affiliate

    def _affiliate_of(self, commission: Commission) -> str | None:
        referral = self.account.referrals.get(commission.sale.referral_id)
        return None if referral is None else referral.affiliate_id

    def _renderer(self, request: Request) -> Renderer:
        return Renderer(self.account, _values(request.args, "expand"))


_SINGULAR = {
    "affiliates": "affiliate",
    "links": "link",
    "referrals": "referral",
    "commissions": "commission",
    "campaigns": "campaign",
}


def _page(
    request: Request, records: Iterable[Listed], render: Callable[[Listed], Json]
) -> Response:
    """One page of ``records``, newest first, with Rewardful's pagination object."""
    page = _number(request, "page", 1, None)
    limit = _number(request, "limit", DEFAULT_LIMIT, MAX_LIMIT)
    ordered = newest_first(records)
    pages = math.ceil(len(ordered) / limit)
    chunk = ordered[(page - 1) * limit : page * limit]
    pagination = {
        "previous_page": page - 1 if page > 1 else None,
        "current_page": page,
        "next_page": page + 1 if page < pages else None,
        "count": len(chunk),
        "limit": limit,
        "total_pages": pages,
        "total_count": len(ordered),
    }
    return _json({"pagination": pagination, "data": [render(r) for r in chunk]})


def _number(request: Request, name: str, default: int, most: int | None) -> int:
    text = request.args.get(name)
    if text is None:
        return default
    if not text.isdigit() or int(text) < 1 or (most is not None and int(text) > most):
        bound = f"from 1 to {most}" if most else "1 or more"
        raise BadParameter(f"{name} must be a whole number {bound}, not {text!r}")
    return int(text)


def _values(args: MultiDict[str, str], name: str) -> list[str]:
    """A filter's values, given as ``name=a`` or ``name[]=a&name[]=b``."""
    return [v for v in (*args.getlist(f"{name}[]"), *args.getlist(name)) if v]


def _time(args: MultiDict[str, str], name: str) -> datetime | None:
    text = args.get(name)
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise BadParameter(f"{name} must be an ISO 8601 time, not {text!r}") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _is(wanted: str | None, value: str) -> bool:
    return wanted is None or wanted == value


def _form(request: Request) -> dict[str, str]:
    """The form fields of the body; a JSON body is not read, as the API takes forms."""
    return {key: request.form[key] for key in request.form}


def _error(status: int, *, headers: Mapping[str, str] | None = None) -> Response:
    message = _MESSAGES.get(status, f"Request failed with status {status}")
    return _json({"error": message}, status, headers)


def _json(body: Json, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body), status, headers=dict(headers or {}), mimetype="application/json"
    )
