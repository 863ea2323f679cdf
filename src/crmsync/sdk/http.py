"""The HTTP client every connector call goes through.

One attempt runs: rate limiter -> auth headers -> send (with a timeout) -> count ->
classify -> on a 401, one credential refresh and resend -> return or raise. Attempts are
retried by tenacity: RateLimitedError and TransientApiError only, waiting the vendor's
Retry-After when it gave one, else exponential backoff with full jitter, always on the
injected clock. What comes out is a successful response or a typed crmsync error whose
message names the method and path (never the query string or headers) and has passed
through the redactor.

Non-idempotent requests (POST and PATCH unless marked ``idempotent=True``) are retried
only when the vendor surely did not act on them: a 429, or a connection that failed
before the request was sent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from functools import partial
from typing import Any, TypeAlias, TypedDict, Unpack
from urllib.parse import urlsplit

import requests
from tenacity import RetryCallState, Retrying, retry_if_exception, wait_random_exponential
from urllib3.exceptions import MaxRetryError, NewConnectionError

from crmsync.sdk.auth import Auth
from crmsync.sdk.clock import SYSTEM_CLOCK, Clock
from crmsync.sdk.errors import (
    ApiRequestError,
    AuthError,
    CrmsyncError,
    RateLimitedError,
    TransientApiError,
)
from crmsync.sdk.ratelimit import RateLimiter
from crmsync.sdk.redact import REDACTOR, Redactor
from crmsync.sdk.usage import RequestCounter

logger = logging.getLogger("crmsync.http")

Timeout: TypeAlias = float | tuple[float, float]
"""Seconds to wait: one number for both, or ``(connect, read)``."""

DEFAULT_TIMEOUT: Timeout = (10.0, 60.0)

Classifier: TypeAlias = Callable[[requests.Response], CrmsyncError | None]
"""A connector's hook that turns a vendor's own error signals into a typed error, or None
to fall back on the status-code defaults."""

_NON_IDEMPOTENT = frozenset({"POST", "PATCH"})
# Network failures worth retrying; other RequestExceptions (a malformed URL, too many
# redirects) would fail the same way again.
_TRANSIENT_FAILURES = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
)
_SNIPPET_LENGTH = 200
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard to retry.

    Attributes:
        attempts: the most attempts per request, the first included.
        initial_wait: the first backoff window in seconds; it doubles per attempt.
        max_backoff: the cap on a backoff window.
        max_wait: the longest single wait accepted; a longer Retry-After is raised instead
            (a daily limit should fail the run, not stall it for hours).
    """

    attempts: int = 5
    initial_wait: float = 0.5
    max_backoff: float = 30.0
    max_wait: float = 120.0


class RequestOptions(TypedDict, total=False):
    """Keyword arguments of :meth:`HttpClient.request` other than method and path."""

    params: Mapping[str, Any] | None
    json: Any
    data: Any
    headers: Mapping[str, str] | None
    idempotent: bool | None


@dataclass(slots=True)
class _Call:
    """One :meth:`HttpClient.request` across its attempts."""

    method: str
    url: str
    label: str  # "GET /v1/contacts": what messages show; no host, no query string
    params: Mapping[str, Any] | None
    json: Any
    data: Any
    headers: Mapping[str, str] | None
    idempotent: bool
    attempt: int = 0
    refreshed: bool = False
    reached_server: bool = False  # whether the latest attempt's request left this process

    def retryable(self, error: BaseException) -> bool:
        if isinstance(error, RateLimitedError):
            return True
        return isinstance(error, TransientApiError) and (self.idempotent or not self.reached_server)


class HttpClient:
    """A ``requests`` session with crmsync's pipeline around every call.

    Connectors get one from :meth:`ConnectorContext.http
    <crmsync.sdk.context.ConnectorContext.http>` rather than building it.

    Args:
        base_url: prefix for relative paths, e.g. ``https://api.hubapi.com``.
        name: the connection's name; requests are counted under it.
        clock: where retry and rate-limit waits happen.
        counter: counts every request sent, retries included.
        redactor: masks secrets in messages and logs.
        auth: adds credentials to each request and renews them after a 401.
        limiter: the credential's shared rate limiter.
        retry: the retry policy; defaults to ``RetryPolicy()``.
        timeout: per-request timeout; defaults to ``(10, 60)``.
        classify: the connector's hook for vendor-specific error signals, consulted first.
        session: a session to send through (e.g. ``wsgi_session`` in tests); the client
            closes only a session it created itself.
    """

    def __init__(
        self,
        base_url: str,
        *,
        name: str,
        clock: Clock = SYSTEM_CLOCK,
        counter: RequestCounter | None = None,
        redactor: Redactor = REDACTOR,
        auth: Auth | None = None,
        limiter: RateLimiter | None = None,
        retry: RetryPolicy | None = None,
        timeout: Timeout | None = None,
        classify: Classifier | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.name = name
        self._clock = clock
        self._counter = counter if counter is not None else RequestCounter()
        self._redactor = redactor
        self._auth = auth
        self._limiter = limiter
        self._policy = retry or RetryPolicy()
        self._timeout = timeout if timeout is not None else DEFAULT_TIMEOUT
        self._classify_hook = classify
        self._owns_session = session is None
        self._session = session if session is not None else requests.Session()
        self._backoff = wait_random_exponential(
            multiplier=self._policy.initial_wait, max=self._policy.max_backoff
        )

    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> requests.Response:
        """Send a request through the pipeline and return its successful response.

        Args:
            method: the HTTP method.
            path_or_url: a path appended to ``base_url``, or an absolute URL on the same
                host (a vendor's next-page link).
            params: query parameters.
            json: a body to send as JSON.
            data: a form or raw body.
            headers: extra headers; the auth headers are applied over them.
            idempotent: whether resending cannot duplicate an effect; defaults to False
                for POST and PATCH, True otherwise. Reads sent as POST (searches)
                should pass True so they are retried like GETs.

        Returns:
            The response: 2xx, or a 3xx that ``requests`` did not follow (304, 300).

        Raises:
            RateLimitedError: still throttled after the retries, or asked to wait longer
                than ``RetryPolicy.max_wait``.
            TransientApiError: 408, 425, 5xx or a network failure, after the retries.
            AuthError: 401 (after one refresh) or 403.
            ApiRequestError: any other 4xx, or a request that could not be built.
        """
        method = method.upper()
        url = self._url(path_or_url)
        call = _Call(
            method=method,
            url=url,
            label=f"{method} {urlsplit(url).path or '/'}",
            params=params,
            json=json,
            data=data,
            headers=headers,
            idempotent=method not in _NON_IDEMPOTENT if idempotent is None else idempotent,
        )
        retrying = Retrying(
            retry=retry_if_exception(call.retryable),
            wait=self._wait,
            stop=self._stop,
            sleep=self._clock.sleep,
            before_sleep=partial(self._before_retry, call),
            reraise=True,
        )
        return retrying(self._attempt, call)

    def get(self, path_or_url: str, **options: Unpack[RequestOptions]) -> requests.Response:
        """``request("GET", ...)``."""
        return self.request("GET", path_or_url, **options)

    def post(self, path_or_url: str, **options: Unpack[RequestOptions]) -> requests.Response:
        """``request("POST", ...)``; pass ``idempotent=True`` for searches and upserts."""
        return self.request("POST", path_or_url, **options)

    def put(self, path_or_url: str, **options: Unpack[RequestOptions]) -> requests.Response:
        """``request("PUT", ...)``."""
        return self.request("PUT", path_or_url, **options)

    def patch(self, path_or_url: str, **options: Unpack[RequestOptions]) -> requests.Response:
        """``request("PATCH", ...)``."""
        return self.request("PATCH", path_or_url, **options)

    def delete(self, path_or_url: str, **options: Unpack[RequestOptions]) -> requests.Response:
        """``request("DELETE", ...)``."""
        return self.request("DELETE", path_or_url, **options)

    def close(self) -> None:
        """Release the connection pool, if this client created it."""
        if self._owns_session:
            self._session.close()

    # -- one attempt -----------------------------------------------------------------

    def _attempt(self, call: _Call) -> requests.Response:
        call.attempt += 1
        while True:
            response = self._send(call)
            error = self._classify(call, response)
            if error is None:
                return response
            if not self._refreshed(call, response, error):
                raise error

    def _refreshed(self, call: _Call, response: requests.Response, error: CrmsyncError) -> bool:
        """After a first 401, renew the credentials; True if the request should be resent."""
        if (
            call.refreshed
            or self._auth is None
            or response.status_code != 401
            or not isinstance(error, AuthError)
        ):
            return False
        call.refreshed = True
        return self._auth.refresh()

    def _send(self, call: _Call) -> requests.Response:
        call.reached_server = False
        if self._limiter is not None:
            self._limiter.acquire()
        headers = dict(call.headers or {})
        if self._auth is not None:
            headers.update(self._auth.headers())
        started = self._clock.monotonic()
        try:
            response = self._session.request(
                call.method,
                call.url,
                params=call.params,
                json=call.json,
                data=call.data,
                headers=headers,
                timeout=self._timeout,
            )
        except requests.RequestException as exc:
            call.reached_server = not _never_sent(exc)
            if call.reached_server:
                self._counter.add(self.name)
            self._log_sent(call, type(exc).__name__, started)
            # Not chained: requests' own message carries the full URL and query string.
            raise self._transport_error(call, exc) from None
        call.reached_server = True
        self._counter.add(self.name)
        self._log_sent(call, str(response.status_code), started)
        return response

    def _classify(self, call: _Call, response: requests.Response) -> CrmsyncError | None:
        error = self._classify_hook(response) if self._classify_hook else None
        if error is None:
            error = self._default_error(call, response)
        return None if error is None else self._scrubbed(error)

    def _default_error(self, call: _Call, response: requests.Response) -> CrmsyncError | None:
        status = response.status_code
        if status < 400:
            return None
        message = f"{call.label} returned {status}{_snippet(response)}"
        if status == 429:
            return RateLimitedError(message, retry_after=self._retry_after(response))
        if status == 401:
            return AuthError(message, hint="check the connection's credentials")
        if status == 403:
            return AuthError(message, hint="the credentials lack a permission this call needs")
        if status in (408, 425) or status >= 500:
            return TransientApiError(message, status=status)
        return ApiRequestError(message, status=status)

    def _transport_error(self, call: _Call, exc: requests.RequestException) -> CrmsyncError:
        message = f"{call.label} failed ({type(exc).__name__}): {_transport_reason(exc)}"
        if isinstance(exc, _TRANSIENT_FAILURES):
            return self._scrubbed(TransientApiError(message))
        return self._scrubbed(ApiRequestError(message))

    def _scrubbed(self, error: CrmsyncError) -> CrmsyncError:
        """``error`` with secrets masked, whoever built it (the connector's hook too)."""
        error.message = self._redactor.redact(error.message)
        if error.hint is not None:
            error.hint = self._redactor.redact(error.hint)
        error.args = (error.message,)
        return error

    def _retry_after(self, response: requests.Response) -> float | None:
        """The Retry-After header in seconds; it may be a number or an HTTP date."""
        value = response.headers.get("Retry-After", "").strip()
        if not value:
            return None
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, (when - self._clock.now()).total_seconds())

    # -- retries ---------------------------------------------------------------------

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, RateLimitedError) and error.retry_after is not None:
            return error.retry_after
        return self._backoff(state)

    def _stop(self, state: RetryCallState) -> bool:
        return (
            state.attempt_number >= self._policy.attempts
            or state.upcoming_sleep > self._policy.max_wait
        )

    def _before_retry(self, call: _Call, state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        if (
            isinstance(error, RateLimitedError)
            and error.retry_after is not None
            and self._limiter is not None
        ):
            self._limiter.pause(error.retry_after)  # every client on this credential waits
        reason = error.message if isinstance(error, CrmsyncError) else str(error)
        logger.warning(
            "%s",
            self._redactor.redact(
                f"{call.label} attempt {state.attempt_number} of {self._policy.attempts} "
                f"failed: {reason}; retrying in {state.upcoming_sleep:.1f} s"
            ),
        )

    # -- helpers ---------------------------------------------------------------------

    def _url(self, path_or_url: str) -> str:
        if "://" not in path_or_url:
            return f"{self.base_url}/{path_or_url.lstrip('/')}"
        if _origin(path_or_url) != _origin(self.base_url):
            host = urlsplit(path_or_url).hostname
            raise ApiRequestError(
                f"refusing to send {self.name}'s credentials to {host}, "
                f"which is not the connection's host"
            )
        return path_or_url

    def _log_sent(self, call: _Call, outcome: str, started: float) -> None:
        if logger.isEnabledFor(logging.DEBUG):
            elapsed_ms = (self._clock.monotonic() - started) * 1000
            logger.debug(
                "%s",
                self._redactor.redact(
                    f"{call.label} -> {outcome} in {elapsed_ms:.0f} ms (attempt {call.attempt})"
                ),
            )


def _origin(url: str) -> tuple[str, str | None, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, parts.hostname, parts.port or _DEFAULT_PORTS.get(scheme)


def _never_sent(exc: requests.RequestException) -> bool:
    """True when the connection failed before the request left, so no vendor saw it."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    return isinstance(exc, requests.ConnectionError) and isinstance(
        _root_cause(exc), NewConnectionError
    )


def _transport_reason(exc: requests.RequestException) -> str:
    cause = _root_cause(exc)
    return str(cause) if cause else "no details"


def _root_cause(exc: requests.RequestException) -> object:
    """What urllib3 reported, unwrapped from MaxRetryError (whose text repeats the URL)."""
    cause = exc.args[0] if exc.args else None
    return cause.reason if isinstance(cause, MaxRetryError) else cause


def _snippet(response: requests.Response) -> str:
    """``": <start of the body>"`` on one line, or nothing for an empty body."""
    text = " ".join(response.text.split())
    if not text:
        return ""
    if len(text) > _SNIPPET_LENGTH:
        text = text[:_SNIPPET_LENGTH] + "..."
    return f": {text}"
