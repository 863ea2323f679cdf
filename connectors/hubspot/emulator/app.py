"""The emulator as a WSGI app: routes, auth, scopes, rate limits, failures, counting.

Serves, under both path styles (``/crm/v3/objects/...`` and the date-versioned
``/crm/objects/2026-03/...``): the object listing, lookup by id or unique property,
search, the batch endpoints, the Properties API, v4 default associations, and the OAuth
token endpoint. Requests need ``Authorization: Bearer`` with the private-app token or an
unexpired OAuth access token; bodies are checked against hubspot-api-client's request
models. Every request is counted by endpoint, and tests can make requests fail on
purpose: the next few (:meth:`HubSpotEmulator.inject`) or a random share
(:meth:`HubSpotEmulator.flaky`), with HubSpot's own error bodies.

Thread-safe: one lock serialises requests (``serve_wsgi`` answers each in a thread).
"""

from __future__ import annotations

import json
import random
import re
import secrets
from collections import Counter, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import HTTPException
from werkzeug.routing import BaseConverter, Map, Rule
from werkzeug.wrappers import Request, Response

from crmsync.sdk import SYSTEM_CLOCK, Clock
from crmsync_connectors.hubspot.emulator import bodies
from crmsync_connectors.hubspot.emulator.limits import Limits, RateLimits
from crmsync_connectors.hubspot.emulator.portal import Portal, Refusal
from crmsync_connectors.hubspot.emulator.validation import ASSOCIATIONS, OBJECTS, BodyError

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

ACCESS_TOKEN_LIFETIME = 1800
"""Seconds an OAuth access token lives (HubSpot's ``expires_in``)."""

LIST_MAX = 100
_ID_SEGMENT = re.compile(r"/\d+(?=/|$)")
_BATCH_MODELS = {
    "read": "BatchReadInputSimplePublicObjectId",
    "create": "BatchInputSimplePublicObjectBatchInputForCreate",
    "update": "BatchInputSimplePublicObjectBatchInput",
    "upsert": "BatchInputSimplePublicObjectBatchInputUpsert",
    "archive": "BatchInputSimplePublicObjectId",
}
_WRITES = frozenset({"create", "update", "upsert", "archive", "associate"})


@dataclass(frozen=True, slots=True)
class OAuthApp:
    """A public app installed in the portal, and the refresh token it was given."""

    client_id: str
    client_secret: str
    refresh_token: str


@dataclass(frozen=True, slots=True)
class Flakiness:
    """Shares of API requests that fail, drawn from a seeded random sequence.

    Attributes:
        rate_limited: answered 429 before being processed.
        unavailable: answered 503 before being processed.
        lost: processed, then answered 504: the write happened, its answer is lost.
        seed: the random sequence's seed, so a test fails the same requests every run.
    """

    rate_limited: float = 0.0
    unavailable: float = 0.0
    lost: float = 0.0
    seed: int = 0


@dataclass(frozen=True, slots=True)
class _Caller:
    app: str
    token: str
    private: bool


class _Version(BaseConverter):
    regex = r"\d{4}-\d{2}"


def _rules() -> Map:
    rules: list[Rule] = []
    for objects in ("/crm/v3/objects", "/crm/objects/<version:version>"):
        rules += [
            Rule(f"{objects}/<object_type>", methods=["GET"], endpoint="list"),
            Rule(f"{objects}/<object_type>/search", methods=["POST"], endpoint="search"),
            Rule(f"{objects}/<object_type>/batch/<operation>", methods=["POST"], endpoint="batch"),
            Rule(f"{objects}/<object_type>/<record_id>", methods=["GET"], endpoint="get"),
        ]
    for properties in ("/crm/v3/properties", "/crm/properties/<version:version>"):
        rules.append(Rule(f"{properties}/<object_type>", methods=["GET"], endpoint="properties"))
    rules += [
        Rule(
            "/crm/v4/associations/<object_type>/<to_type>/batch/associate/default",
            methods=["POST"],
            endpoint="associate",
        ),
        Rule(
            "/crm/v4/objects/<object_type>/<record_id>/associations/<to_type>",
            methods=["GET"],
            endpoint="associations",
        ),
        Rule("/oauth/v1/token", methods=["POST"], endpoint="token"),
    ]
    return Map(rules, converters={"version": _Version})


class HubSpotEmulator(Portal):
    """A faithful local HubSpot for tests, benchmarks and demos (a WSGI app).

    Args:
        clock: the clock for modification times, token expiry and rate windows; tests
            pass the FakeClock their connector uses.
        token: the private app's access token (None: no private app).
        oauth: a public app whose refresh token the token endpoint accepts.
        scopes: the scopes the tokens carry (None: every scope).
        limits: the rate limits to enforce.
        search_lag: seconds before a change is visible to search.
        first_id: the first record id handed out.
        whole_batch_errors: see :class:`~.portal.Portal`.
    """

    def __init__(
        self,
        clock: Clock = SYSTEM_CLOCK,
        *,
        token: str | None = "pat-na1-00000000-0000-0000-0000-000000000000",
        oauth: OAuthApp | None = None,
        scopes: Iterable[str] | None = None,
        limits: Limits | None = None,
        search_lag: float = 0.0,
        first_id: int = 1,
        whole_batch_errors: bool = False,
    ) -> None:
        super().__init__(
            clock, search_lag=search_lag, first_id=first_id, whole_batch_errors=whole_batch_errors
        )
        self.token = token
        self.oauth = oauth
        self.scopes = None if scopes is None else frozenset(scopes)
        self.rate_limits = RateLimits(limits or Limits())
        self.calls: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self._access: dict[str, float] = {}  # OAuth access token -> expiry (monotonic)
        self._injected: deque[tuple[int, dict[str, str]]] = deque()
        self._flakiness = Flakiness()
        self._random = random.Random(0)
        self._urls = _rules()

    # -- failures and counts ---------------------------------------------------------------

    def inject(self, status: int, headers: Mapping[str, str] | None = None, count: int = 1) -> None:
        """Answer the next ``count`` requests with ``status``, HubSpot's body for it, and
        ``headers`` (a 429 is a TEN_SECONDLY_ROLLING one)."""
        with self.lock:
            self._injected.extend([(status, dict(headers or {}))] * count)

    def flaky(self, flakiness: Flakiness) -> None:
        """Fail a random share of the API requests from now on (see :class:`Flakiness`)."""
        with self.lock:
            self._flakiness = flakiness
            self._random = random.Random(flakiness.seed)

    def count(self, prefix: str = "") -> int:
        """Requests received whose ``"METHOD /path"`` label starts with ``prefix``.

        Labels name the endpoint with record ids as ``{id}``, e.g.
        ``POST /crm/v3/objects/contacts/batch/upsert``.
        """
        with self.lock:
            return sum(n for label, n in self.calls.items() if label.startswith(prefix))

    @property
    def access_tokens(self) -> list[str]:
        """The OAuth access tokens handed out so far, oldest first."""
        with self.lock:
            return list(self._access)

    def reset_counts(self) -> None:
        """Forget the requests counted so far (``calls`` and ``statuses``)."""
        with self.lock:
            self.calls.clear()
            self.statuses.clear()

    # -- WSGI --------------------------------------------------------------------------------

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        with self.lock:
            response = self._respond(request)
            self.statuses[response.status_code] += 1
        return response(environ, start_response)

    def _respond(self, request: Request) -> Response:
        self.calls[f"{request.method} {_ID_SEGMENT.sub('/{id}', request.path)}"] += 1
        if self._injected:
            status, headers = self._injected.popleft()
            return _failure(status, headers)
        try:
            endpoint, args = self._urls.bind_to_environ(request.environ).match()
        except HTTPException as missing:
            return bodies.error(missing.code or 404, f"{request.path} not found", "NOT_FOUND")
        if endpoint == "token":
            return self._token(request)
        caller = self._caller(request)
        if isinstance(caller, Response):
            return caller
        return self._api(request, str(endpoint), args, caller)

    def _api(
        self, request: Request, endpoint: str, args: Mapping[str, Any], caller: _Caller
    ) -> Response:
        refused = self._check(endpoint, args) or self._throttle(endpoint, caller)
        if refused is not None:
            return refused
        headers = self._headers(endpoint, caller)
        response = self._handle(request, endpoint, args)
        if self._flakiness.lost and self._random.random() < self._flakiness.lost:
            response = bodies.server_error(504)
        response.headers.update(headers)
        return response

    def _check(self, endpoint: str, args: Mapping[str, Any]) -> Response | None:
        """A 400 for an unknown object type, a 403 for a scope the token lacks."""
        object_type = args["object_type"]
        if object_type not in self.stores:
            return bodies.validation_error(f"Unable to infer object type from: {object_type}")
        scope = _scope(endpoint, object_type, args.get("operation"))
        if self.scopes is not None and scope not in self.scopes:
            return bodies.missing_scopes([scope])
        return None

    def _throttle(self, endpoint: str, caller: _Caller) -> Response | None:
        """A 429 when a limit is reached, or when the flakiness says so (or a 503)."""
        searching = endpoint == "search"
        policy = self.rate_limits.admit(
            caller.app,
            caller.token,
            search=searching,
            now_us=round(self.clock.monotonic() * 1_000_000),
            today=self.clock.now().date(),
        )
        flaky = self._flakiness
        roll = self._random.random() if policy is None else 1.0
        if policy is None and roll < flaky.rate_limited:
            policy = "SECONDLY" if searching else "TEN_SECONDLY_ROLLING"
        if policy is not None:
            return bodies.rate_limited(policy, self._headers(endpoint, caller))
        if roll < flaky.rate_limited + flaky.unavailable:
            return bodies.server_error(503, self._headers(endpoint, caller))
        return None

    def _headers(self, endpoint: str, caller: _Caller) -> dict[str, str]:
        """Rate-limit headers: on every response but a search's."""
        if endpoint == "search":
            return {}
        return self.rate_limits.headers(caller.app, private=caller.private)

    def _handle(self, request: Request, endpoint: str, args: Mapping[str, Any]) -> Response:
        try:
            handler = getattr(self, f"_on_{endpoint}")
            answer: Response = handler(request, **{k: v for k, v in args.items() if k != "version"})
        except Refusal as refusal:
            return refusal.response  # type: ignore[no-any-return]
        except BodyError as problem:
            return bodies.validation_error(str(problem))
        return answer

    # -- auth ------------------------------------------------------------------------------

    def _caller(self, request: Request) -> _Caller | Response:
        scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not presented:
            return bodies.unauthorized()
        if self.token is not None and secrets.compare_digest(presented, self.token):
            return _Caller("private-app", presented, private=True)
        expiry = self._access.get(presented)
        if expiry is None or self.oauth is None:
            return bodies.unauthorized()
        now = self.clock.monotonic()
        if now >= expiry:
            return bodies.unauthorized(expired_for=now - expiry)
        return _Caller(self.oauth.client_id, presented, private=False)

    def _token(self, request: Request) -> Response:
        form = request.form
        app = self.oauth
        if app is None or form.get("client_id") != app.client_id:
            return _oauth_error("BAD_CLIENT_ID", "missing or unknown client id")
        if form.get("client_secret") != app.client_secret:
            return _oauth_error("BAD_CLIENT_SECRET", "missing or invalid client secret")
        if (
            form.get("grant_type") != "refresh_token"
            or form.get("refresh_token") != app.refresh_token
        ):
            return _oauth_error("BAD_REFRESH_TOKEN", "missing or unknown refresh token")
        token = f"CO{secrets.token_hex(24)}"
        self._access[token] = self.clock.monotonic() + ACCESS_TOKEN_LIFETIME
        body = {
            "token_type": "bearer",
            "refresh_token": app.refresh_token,
            "access_token": token,
            "expires_in": ACCESS_TOKEN_LIFETIME,
        }
        return bodies.json_response(body, 200)

    # -- endpoints -------------------------------------------------------------------------

    def _on_list(self, request: Request, object_type: str) -> Response:
        limit = min(_int(request.args.get("limit"), 10), LIST_MAX)
        results, following = self.list_page(
            object_type,
            _names(request),
            request.args.get("after"),
            limit,
            archived=_flag(request.args.get("archived")),
        )
        body: dict[str, Any] = {"results": results}
        if following is not None:
            link = f"{request.base_url}?after={following}"
            body["paging"] = {"next": {"after": following, "link": link}}
        return bodies.json_response(body, 200)

    def _on_get(self, request: Request, object_type: str, record_id: str) -> Response:
        found = self.get(
            object_type,
            record_id,
            request.args.get("idProperty"),
            _names(request),
            archived=_flag(request.args.get("archived")),
        )
        if found is None:
            message = "Object not found.  objectId are usually numeric."
            return bodies.error(404, message, "OBJECT_NOT_FOUND", context={"id": [record_id]})
        return bodies.json_response(found, 200)

    def _on_search(self, request: Request, object_type: str) -> Response:
        body = _body(request)
        OBJECTS.check("PublicObjectSearchRequest", body, loose=frozenset({"sorts"}))
        return bodies.json_response(self.search(object_type, body), 200)

    def _on_batch(self, request: Request, object_type: str, operation: str) -> Response:
        model = _BATCH_MODELS.get(operation)
        if model is None:
            return bodies.error(404, f"{request.path} not found", "NOT_FOUND")
        body = _body(request)
        OBJECTS.check(model, body)
        started = self.clock.now()
        if operation == "archive":
            self.batch_archive(object_type, body)
            return Response(status=204)
        if operation == "read":
            results, errors = self.batch_read(
                object_type, body, archived=_flag(request.args.get("archived"))
            )
        else:
            results, errors = getattr(self, f"batch_{operation}")(object_type, body)
        success = 201 if operation == "create" else 200
        return bodies.batch(
            results, errors, started=started, completed=self.clock.now(), success_status=success
        )

    def _on_properties(self, request: Request, object_type: str) -> Response:
        return bodies.json_response({"results": self.properties(object_type)}, 200)

    def _on_associate(self, request: Request, object_type: str, to_type: str) -> Response:
        if to_type not in self.stores:
            return bodies.validation_error(f"Unable to infer object type from: {to_type}")
        body = _body(request)
        ASSOCIATIONS.check("BatchInputPublicDefaultAssociationMultiPost", body)
        started = self.clock.now()
        results, errors = self.associate_default(object_type, to_type, body)
        # The spec documents only a 200 here, with any errors inside it.
        answer = bodies.batch(
            results, errors, started=started, completed=self.clock.now(), success_status=200
        )
        answer.status_code = 200
        return answer

    def _on_associations(
        self, request: Request, object_type: str, record_id: str, to_type: str
    ) -> Response:
        found = self.linked(object_type, record_id, to_type)
        if found is None:
            return bodies.error(404, "Object not found.", "OBJECT_NOT_FOUND")
        return bodies.json_response({"results": found}, 200)


def _scope(endpoint: str, object_type: str, operation: str | None) -> str:
    if endpoint == "properties":
        return f"crm.schemas.{object_type}.read"
    writes = endpoint in _WRITES or (operation in _WRITES)
    return f"crm.objects.{object_type}.{'write' if writes else 'read'}"


def _failure(status: int, headers: Mapping[str, str]) -> Response:
    if status == 429:
        return bodies.rate_limited("TEN_SECONDLY_ROLLING", headers)
    if status == 401:
        response = bodies.unauthorized()
    elif status >= 500:
        return bodies.server_error(status, headers)
    else:
        response = bodies.error(status, f"request failed with status {status}", "ERROR")
    response.headers.update(headers)
    return response


def _oauth_error(status: str, message: str) -> Response:
    body = {"status": status, "message": message, "correlationId": bodies.correlation_id()}
    return bodies.json_response(body, 400)


def _body(request: Request) -> Any:
    try:
        return json.loads(request.get_data() or b"null")
    except ValueError as problem:
        raise BodyError(f"Invalid input JSON on line 1: {problem}") from None


def _names(request: Request) -> list[str] | None:
    """``properties`` given as repeated parameters, comma lists, or both."""
    names = [n for value in request.args.getlist("properties") for n in value.split(",") if n]
    return names or None


def _flag(value: str | None) -> bool:
    return value is not None and value.lower() == "true"


def _int(value: str | None, default: int) -> int:
    try:
        return default if value is None else max(1, int(value))
    except ValueError:
        raise Refusal(bodies.validation_error(f"Invalid limit: {value!r}")) from None
