"""The toy connector: a model for real ones.

Settings are a pydantic model (``extra="forbid"``, secrets as ``SecretStr``); vendor calls
live in a narrow ``ToyApi``; object types are short declarations plus ``read``; every
request goes through ``context.http(...)`` with auth and the credential's shared limiter.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from crmsync.sdk.auth import BearerToken
from crmsync.sdk.connector import Capability, Connector, ObjectType
from crmsync.sdk.context import ConnectorContext
from crmsync.sdk.http import HttpClient
from crmsync.sdk.paging import follow_cursor
from crmsync.sdk.ratelimit import Rate, RateSpec
from crmsync.sdk.records import Page, ReadRequest, Record
from crmsync.sdk.schema import FieldSchema, FieldType, ObjectSchema


class ToySettings(BaseModel):
    """What crmsync.yaml says about a toy connection."""

    model_config = ConfigDict(extra="forbid")

    token: SecretStr
    base_url: str = "https://api.toy.example"
    page_size: int = Field(default=100, ge=1, le=100)
    rate_limit: RateSpec = Rate.parse("10/s")


class ToyApi:
    """The vendor calls the object types need, and nothing else."""

    def __init__(self, http: HttpClient, page_size: int) -> None:
        self._http = http
        self._page_size = page_size

    def contacts_page(self, after: str | None) -> tuple[list[dict[str, Any]], str | None]:
        """One page of contacts and the cursor of the next, if any."""
        params: dict[str, Any] = {"limit": self._page_size}
        if after is not None:
            params["after"] = after
        body = self._http.get("/v1/contacts", params=params).json()
        next_after = body.get("paging", {}).get("next", {}).get("after")
        return body["results"], next_after


class Contacts(ObjectType):
    """The toy vendor's contacts."""

    name = "contacts"
    key = "id"
    cursor_field = "updatedAt"
    capabilities = Capability.READ

    def __init__(self, api: ToyApi) -> None:
        self._api = api

    def describe(self) -> ObjectSchema:
        return ObjectSchema.of(
            [
                FieldSchema("id", read_only=True, unique=True),
                FieldSchema("email", unique=True),
                FieldSchema("updatedAt", FieldType.DATETIME, read_only=True),
            ]
        )

    def read(self, request: ReadRequest) -> Iterator[Page]:
        for items in follow_cursor(self._api.contacts_page):
            yield Page([_record(item) for item in items])


def _record(item: Mapping[str, Any]) -> Record:
    updated = datetime.fromisoformat(item["updatedAt"])
    return Record(id=str(item["id"]), fields=item, updated_at=updated)


class ToyConnector(Connector[ToySettings]):
    """Reads contacts from the toy vendor."""

    name = "toy"
    title = "Toy contacts API"
    settings_model = ToySettings

    def __init__(self, settings: ToySettings, context: ConnectorContext) -> None:
        super().__init__(settings, context)
        token = settings.token.get_secret_value()
        self._http = context.http(
            settings.base_url,
            auth=BearerToken(settings.token, context.redactor),
            limiter=context.limiter(token, [settings.rate_limit]),
        )
        self._api = ToyApi(self._http, settings.page_size)

    def object_types(self) -> Sequence[ObjectType]:
        return [Contacts(self._api)]

    def check(self) -> None:
        self._api.contacts_page(None)

    def close(self) -> None:
        self._http.close()
