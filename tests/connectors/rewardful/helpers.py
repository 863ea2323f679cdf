"""Building Rewardful connectors against the emulator, in-process, for the tests."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import requests
from pydantic import SecretStr

from crmsync.sdk import (
    ConnectorContext,
    Match,
    ObjectType,
    Page,
    ReadRequest,
    Record,
    Redactor,
    WriteAction,
    WriteOp,
)
from crmsync.sdk.usage import RequestCounter
from crmsync.testing import FakeClock, wsgi_session
from crmsync_connectors.rewardful import RewardfulConnector, RewardfulSettings
from crmsync_connectors.rewardful.emulator import RewardfulEmulator

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

SECRET = "sk_test_rewardful_0123456789abcdef"
BASE_URL = "https://api.getrewardful.com/v1"  # the real default: calls stay in-process
T0 = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def connect(
    app: WSGIApplication,
    clock: FakeClock,
    *,
    counter: RequestCounter | None = None,
    **settings: Any,
) -> RewardfulConnector:
    """A connector whose every request goes to ``app`` (the emulator) in-process."""
    context = ConnectorContext(
        "rewardful",
        clock=clock,
        counter=counter or RequestCounter(),
        redactor=Redactor(),
        session=wsgi_session(app),
    )
    values: dict[str, Any] = {"api_secret": SecretStr(SECRET), **settings}
    return RewardfulConnector(RewardfulSettings.model_validate(values), context)


def read(source: ObjectType, request: ReadRequest | None = None) -> list[Page]:
    return list(source.read(request or ReadRequest()))


def records(source: ObjectType, request: ReadRequest | None = None) -> list[Record]:
    return [record for page in read(source, request) for record in page.records]


def ids(pages: Iterable[Page]) -> list[str]:
    return [record.id for page in pages for record in page.records]


def person(n: int, **extra: Any) -> dict[str, Any]:
    """A valid affiliate payload, unique to ``n``."""
    return {
        "email": f"person{n}@example.com",
        "first_name": f"First{n}",
        "last_name": "Doe",
    } | extra


def op(action: WriteAction, ref: str, fields: dict[str, Any], **kwargs: Any) -> WriteOp:
    """An op as the engine sends it: creates and upserts match on the email."""
    match = Match("email", str(fields.get("email", ""))) if "email" in fields else None
    return WriteOp(action, ref, fields, match=match, **kwargs)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def raw_get(emulator: RewardfulEmulator, path: str, **params: Any) -> requests.Response:
    """A request to the emulator from another client of the account (plain requests)."""
    session = wsgi_session(emulator)
    return session.get(f"{BASE_URL}{path}", params=params, auth=(SECRET, ""))
