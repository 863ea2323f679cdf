"""HubSpot's JSON bodies: the error envelope, 401/403/429 bodies, batch answers, times.

Built from the API contract (``api-contracts.md`` §1.6, §1.7): errors are
``{status: "error", message, correlationId, category, ...}``; batch answers carry
``status``, ``results``, ``startedAt`` and ``completedAt`` and, on a 207, ``errors`` and
``numErrors``.
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from werkzeug.wrappers import Response

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SCOPES_LINK = "https://developers.hubspot.com/scopes"
_OAUTH_DOCS = "https://developers.hubspot.com/docs/methods/auth/oauth-overview"

POLICY_MESSAGES = {
    "TEN_SECONDLY_ROLLING": "You have reached your ten_secondly_rolling limit.",
    "SECONDLY": "You have reached your secondly limit.",
    "DAILY": "You have reached your daily limit.",
}


def json_response(body: object, status: int, headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body, separators=(",", ":")),
        status,
        headers=dict(headers or {}),
        mimetype="application/json",
    )


def error(
    status: int,
    message: str,
    category: str,
    *,
    context: Mapping[str, Sequence[str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The standard error envelope."""
    body: dict[str, Any] = {
        "status": "error",
        "message": message,
        "correlationId": correlation_id(),
        "category": category,
    }
    if context:
        body["context"] = {k: list(v) for k, v in context.items()}
    return json_response(body, status, headers)


def validation_error(message: str) -> Response:
    return error(400, message, "VALIDATION_ERROR")


def unauthorized(expired_for: float | None = None) -> Response:
    """401: no valid token; an expired OAuth token says for how long it has been expired."""
    if expired_for is None:
        message = (
            "Authentication credentials not found. This API supports OAuth 2.0 "
            f"authentication and you can find more details at {_OAUTH_DOCS}"
        )
        return error(401, message, "INVALID_AUTHENTICATION")
    minutes = int(expired_for // 60)
    message = f"The OAuth token used to make this call expired {minutes} minute(s) ago."
    return error(401, message, "EXPIRED_AUTHENTICATION")


def missing_scopes(scopes: Sequence[str]) -> Response:
    body = {
        "status": "error",
        "message": "This app hasn't been granted all required scopes to make this call. "
        f"Read more about required scopes here: {_SCOPES_LINK}.",
        "correlationId": correlation_id(),
        "errors": [
            {
                "message": "One or more of the following scopes are required.",
                "context": {"requiredGranularScopes": list(scopes)},
            }
        ],
        "links": {"scopes": _SCOPES_LINK},
        "category": "MISSING_SCOPES",
    }
    return json_response(body, 403)


def rate_limited(policy: str, headers: Mapping[str, str] | None = None) -> Response:
    """429 with ``policyName`` TEN_SECONDLY_ROLLING, SECONDLY or DAILY."""
    body = {
        "status": "error",
        "message": POLICY_MESSAGES[policy],
        "errorType": "RATE_LIMIT",
        "correlationId": correlation_id(),
        "policyName": policy,
        "groupName": f"api:{policy.lower()}",
    }
    return json_response(body, 429, headers)


def server_error(status: int, headers: Mapping[str, str] | None = None) -> Response:
    messages = {500: "internal error", 502: "Bad Gateway", 503: "Service Unavailable"}
    message = messages.get(status, "The request timed out")
    return error(
        status, message, "INTERNAL_ERROR" if status == 500 else "SERVICE_ERROR", headers=headers
    )


def batch(
    results: Sequence[Mapping[str, Any]],
    errors: Sequence[Mapping[str, Any]],
    *,
    started: datetime,
    completed: datetime,
    success_status: int,
) -> Response:
    """A batch answer: ``success_status`` when every input succeeded, else 207."""
    body: dict[str, Any] = {
        "status": "COMPLETE",
        "results": list(results),
        "startedAt": iso_ms(started),
        "completedAt": iso_ms(completed),
    }
    if errors:
        body["errors"] = list(errors)
        body["numErrors"] = len(errors)
    return json_response(body, 207 if errors else success_status)


def item_error(
    category: str,
    message: str,
    *,
    ids: Sequence[str] = (),
    trace: str | None = None,
    details: Sequence[Mapping[str, Any]] = (),
    status: int = 400,
) -> dict[str, Any]:
    """One ``StandardError`` of a 207: ``context.ids`` names the inputs, and
    ``objectWriteTraceId`` repeats the input's trace id when it had one."""
    context: dict[str, list[str]] = {}
    if ids:
        context["ids"] = list(ids)
    if trace is not None:
        context["objectWriteTraceId"] = [trace]
    return {
        "status": str(status),
        "category": category,
        "message": message,
        "context": context,
        "errors": list(details),
        "links": {},
    }


def invalid_values(problems: Sequence[Mapping[str, Any]]) -> str:
    """HubSpot's message for invalid property values: the problems as JSON."""
    return "Property values were not valid: " + json.dumps(list(problems), separators=(",", ":"))


def correlation_id() -> str:
    return str(uuid.uuid4())


def iso_ms(moment: datetime) -> str:
    """``2026-03-01T12:00:00.000Z``: how ``createdAt`` and ``updatedAt`` are written."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@functools.lru_cache(maxsize=65_536)
def stamp_text(ms: int) -> str:
    """``createdAt``/``updatedAt`` text of an epoch-ms time (cached: records share times)."""
    return iso_ms(from_ms(ms))


@functools.lru_cache(maxsize=65_536)
def property_time(ms: int) -> str:
    """A datetime property's text: ISO 8601 UTC, without the fraction when it is zero."""
    moment = from_ms(ms)
    spec = "seconds" if ms % 1000 == 0 else "milliseconds"
    return moment.isoformat(timespec=spec).replace("+00:00", "Z")


def from_ms(ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=ms)


def to_ms(moment: datetime) -> int:
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return (aware - _EPOCH) // timedelta(milliseconds=1)
