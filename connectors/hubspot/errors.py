"""HubSpot's own error signals, turned into crmsync's typed errors.

HubSpot answers errors with one JSON envelope (``status``, ``message``, ``category``,
``context``, ``errors``); a 429 adds ``policyName``: ``TEN_SECONDLY_ROLLING`` (the app's
burst window), ``SECONDLY`` (search) or ``DAILY`` (the account's budget, which resets
at midnight in the portal's time zone). Non-search responses carry
``X-HubSpot-RateLimit-*`` headers with what is left of the burst window.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests

from crmsync.sdk import (
    ApiRequestError,
    AuthError,
    ConfigError,
    CrmsyncError,
    RateLimitedError,
    RateLimiter,
)

DAILY_RESET_UNKNOWN = 86_400.0
"""The longest a daily limit can take to reset: the API does not say when midnight is."""

_SECONDLY_WAIT = 1.0
_TEN_SECONDLY_WAIT = 10.0


@dataclass(frozen=True, slots=True)
class ErrorBody:
    """HubSpot's error envelope, as far as crmsync uses it."""

    message: str
    category: str | None = None
    policy: str | None = None
    context: Mapping[str, Any] = field(default_factory=dict)
    details: tuple[Mapping[str, Any], ...] = ()

    @classmethod
    def of(cls, response: requests.Response) -> ErrorBody | None:
        """The envelope in ``response``, or None when the body is not one (an HTML 502)."""
        try:
            data = json.loads(response.content or b"null")
        except ValueError:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("message"), str):
            return None
        context = data.get("context")
        details = data.get("errors")
        return cls(
            message=data["message"],
            category=data.get("category") if isinstance(data.get("category"), str) else None,
            policy=data.get("policyName") if isinstance(data.get("policyName"), str) else None,
            context=context if isinstance(context, dict) else {},
            details=tuple(d for d in details if isinstance(d, dict))
            if isinstance(details, list)
            else (),
        )

    def scopes(self) -> list[str]:
        """The scopes a 403 names as missing or required."""
        found: list[str] = []
        for where in (self.context, *(d.get("context") or {} for d in self.details)):
            for key in ("missingScopes", "requiredGranularScopes", "requiredScopes"):
                values = where.get(key) if isinstance(where, Mapping) else None
                if isinstance(values, list):
                    found += [str(v) for v in values if str(v) not in found]
        return found


class HubSpotApiError(ApiRequestError):
    """A 4xx that HubSpot explained with its error envelope.

    Attributes:
        body: the parsed envelope; ``body.category`` (``VALIDATION_ERROR``, ``CONFLICT``,
            ``OBJECT_NOT_FOUND``, ...) tells callers what went wrong.
    """

    def __init__(self, message: str, *, status: int, body: ErrorBody) -> None:
        super().__init__(message, status=status)
        self.body = body


@contextmanager
def unique_property(subject: str) -> Iterator[None]:
    """Turn HubSpot's refusal to match ``subject`` by a non-unique property into a
    configuration error: every batch would fail the same way."""
    try:
        yield
    except HubSpotApiError as error:
        if "non-unique" not in error.body.message:
            raise
        raise ConfigError(
            f"HubSpot cannot match {subject} by this property: {error.body.message}",
            hint="match on a property with unique values: a contact's email, or a custom "
            "property created with 'unique values' turned on (e.g. crmsync_external_id)",
        ) from None


class HubSpotSignals:
    """The ``classify`` hook of a HubSpot client: rate-limit headers, 429s, error bodies.

    Args:
        limiter: the limiter of the credential this client uses; the burst window's
            headers feed it.
    """

    def __init__(self, limiter: RateLimiter) -> None:
        self._limiter = limiter

    def __call__(self, response: requests.Response) -> CrmsyncError | None:
        self._observe(response)
        status = response.status_code
        if status < 400 or status >= 500:
            return None
        body = ErrorBody.of(response)
        label = _label(response)
        text = f"{label} returned {status}" + (f": {body.message}" if body else "")
        if status == 429:
            return _rate_limited(response, body, text)
        if status == 401:
            return AuthError(text, hint=_auth_hint(body))
        if status == 403:
            scopes = body.scopes() if body else []
            needed = f"grant the app these scopes: {', '.join(scopes)}" if scopes else None
            return AuthError(text, hint=needed or "the app lacks a scope this call needs")
        if body is None:
            return None
        return HubSpotApiError(text, status=status, body=body)

    def _observe(self, response: requests.Response) -> None:
        """Feed the burst window's headers: a full window waits about one slot's time."""
        headers = response.headers
        remaining = _int(headers.get("X-HubSpot-RateLimit-Remaining"))
        interval = _int(headers.get("X-HubSpot-RateLimit-Interval-Milliseconds"))
        most = _int(headers.get("X-HubSpot-RateLimit-Max"))
        if remaining is None or interval is None or not most:
            return
        self._limiter.observe(remaining, interval / 1000 / most)


def _rate_limited(
    response: requests.Response, body: ErrorBody | None, text: str
) -> RateLimitedError:
    policy = body.policy if body else None
    if policy == "DAILY":
        return RateLimitedError(
            f"{text} (HubSpot's daily API limit for this account is spent)",
            retry_after=DAILY_RESET_UNKNOWN,
            hint="the limit resets at midnight in the portal's time zone; HubSpot's API "
            "add-on raises it",
        )
    told = _float(response.headers.get("Retry-After"))
    if told is None and policy == "SECONDLY":
        told = _SECONDLY_WAIT
    if told is None:
        interval = _int(response.headers.get("X-HubSpot-RateLimit-Interval-Milliseconds"))
        told = interval / 1000 if interval else _TEN_SECONDLY_WAIT
    return RateLimitedError(text, retry_after=told)


def _auth_hint(body: ErrorBody | None) -> str:
    if body is not None and body.category == "EXPIRED_AUTHENTICATION":
        return "the OAuth access token expired and could not be renewed; check oauth settings"
    return "check the connection's access_token, or its oauth client and refresh token"


def _label(response: requests.Response) -> str:
    request = response.request
    method = request.method if request is not None and request.method else "?"
    return f"{method} {urlsplit(response.url).path or '/'}"


def _int(value: str | None) -> int | None:
    try:
        return None if value is None else int(value)
    except ValueError:
        return None


def _float(value: str | None) -> float | None:
    try:
        return None if value is None else max(0.0, float(value))
    except ValueError:
        return None
