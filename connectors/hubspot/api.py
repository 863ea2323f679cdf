"""The HubSpot calls the object types need, and nothing else.

Requests are built by hubspot-api-client's generated APIs from its typed request models
and sent through crmsync's pipeline (see :mod:`~crmsync_connectors.hubspot.bridge`).
Answers come back as the small frozen types below, so the rest of the connector is typed.

Listing and search pages are decoded as plain JSON instead of through the SDK's response
models: those parse every record's timestamps with dateutil, which costs about 160 µs a
record (a 50,000-contact read would spend 8 s in it); JSON decoding costs 2 µs. Batch
answers (at most 100 items) go through the models.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from crmsync.sdk import HttpClient
from crmsync_connectors.hubspot.bridge import (
    associations_sdk,
    generated_api,
    objects_sdk,
    properties_sdk,
)

_models = objects_sdk.models
_association_models = associations_sdk.models


@dataclass(frozen=True, slots=True)
class ObjectPage:
    """One page of a listing: HubSpot objects as JSON, and the cursor of the next page."""

    results: list[dict[str, Any]]
    after: str | None


@dataclass(frozen=True, slots=True)
class Filter:
    """One search filter, e.g. ``Filter("lastmodifieddate", "GTE", "1767225600000")``."""

    property: str
    operator: str
    value: str


@dataclass(frozen=True, slots=True)
class Input:
    """One input of a batch write.

    Attributes:
        trace: echoed by HubSpot as ``objectWriteTraceId`` on the input's result or error.
        properties: property name -> text.
        id: the record id (update), or the unique value (upsert, with ``id_property``).
        id_property: the unique property ``id`` holds a value of (upserts).
    """

    trace: str
    properties: Mapping[str, str]
    id: str | None = None
    id_property: str | None = None


@dataclass(frozen=True, slots=True)
class ItemResult:
    """A batch input that succeeded."""

    id: str
    trace: str | None = None
    new: bool | None = None
    properties: Mapping[str, str | None] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ItemError:
    """A batch input that failed, with HubSpot's own message.

    Attributes:
        ids: the record ids or unique values the error names (``context.ids``).
        traces: the ``objectWriteTraceId`` of the inputs it concerns, when HubSpot said.
    """

    category: str
    message: str
    code: str
    ids: tuple[str, ...] = ()
    traces: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class BatchAnswer:
    """What a batch endpoint answered (200, 201 or a 207 multi-status)."""

    results: list[ItemResult] = field(default_factory=list)
    errors: list[ItemError] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class PropertyInfo:
    """One property from the Properties API."""

    name: str
    label: str
    type: str
    field_type: str
    options: tuple[str, ...] = ()
    read_only: bool = False
    unique: bool = False
    description: str = ""


class HubSpotApi:
    """The vendor calls, for any CRM object type (``contacts``, ``companies``, ``deals``).

    Args:
        http: the client for ordinary calls (the burst window's limiter).
        search_http: the client for searches, which HubSpot limits separately.
    """

    def __init__(self, http: HttpClient, search_http: HttpClient) -> None:
        self._basic = generated_api(objects_sdk, "BasicApi", http)
        self._batch = generated_api(objects_sdk, "BatchApi", http)
        self._search = generated_api(objects_sdk, "SearchApi", search_http)
        self._properties = generated_api(properties_sdk, "CoreApi", http)
        self._associations = generated_api(associations_sdk, "BatchApi", http)

    # -- reads ---------------------------------------------------------------------

    def list_page(
        self,
        object_type: str,
        properties: Sequence[str],
        after: str | None,
        *,
        limit: int,
        archived: bool = False,
    ) -> ObjectPage:
        """``GET /crm/v3/objects/{type}``: one page in id order, with no 10,000 cap."""
        options: dict[str, Any] = {"limit": limit, "archived": archived}
        if after is not None:
            options["after"] = after
        if properties:
            options["properties"] = list(properties)
        raw = self._basic.get_page(object_type, _preload_content=False, **options)
        body = _json(raw)
        next_page = (body.get("paging") or {}).get("next") or {}
        return ObjectPage(list(body.get("results") or []), next_page.get("after"))

    def search(
        self,
        object_type: str,
        filters: Sequence[Filter],
        *,
        sort: str,
        properties: Sequence[str],
        limit: int,
    ) -> list[dict[str, Any]]:
        """The first page of ``POST /crm/v3/objects/{type}/search``, sorted ascending.

        Callers restart the search from the last record instead of paging with
        ``after``: no query ever gets near the 10,000-result cap, and records that
        change meanwhile cannot shift the pages under the reader.
        """
        request = _models.PublicObjectSearchRequest(
            filter_groups=[
                _models.FilterGroup(
                    filters=[
                        _models.Filter(property_name=f.property, operator=f.operator, value=f.value)
                        for f in filters
                    ]
                )
            ],
            # The docs sort with objects; the SDK types them as strings but sends either.
            sorts=[{"propertyName": sort, "direction": "ASCENDING"}],
            properties=list(properties),
            limit=limit,
        )
        raw = self._search.do_search(object_type, request, _preload_content=False)
        return list(_json(raw).get("results") or [])

    def read(
        self,
        object_type: str,
        ids: Iterable[str],
        *,
        id_property: str | None,
        properties: Sequence[str],
    ) -> BatchAnswer:
        """``batch/read`` by record id, or by a unique property's values."""
        request = _models.BatchReadInputSimplePublicObjectId(
            inputs=[_models.SimplePublicObjectId(id=value) for value in ids],
            id_property=id_property,
            properties=list(properties),
            properties_with_history=[],
        )
        return _answer(self._batch.read(object_type, request))

    def properties(self, object_type: str) -> list[PropertyInfo]:
        """Every property of ``object_type``, custom ones included (the Properties API)."""
        answer = self._properties.get_all(object_type)
        return [_property(p) for p in answer.results or []]

    # -- writes --------------------------------------------------------------------

    def upsert(self, object_type: str, inputs: Sequence[Input]) -> BatchAnswer:
        """``batch/upsert``: create or update by a unique property; results carry ``new``."""
        request = _models.BatchInputSimplePublicObjectBatchInputUpsert(
            inputs=[
                _models.SimplePublicObjectBatchInputUpsert(
                    id=i.id,
                    id_property=i.id_property,
                    properties=dict(i.properties),
                    object_write_trace_id=i.trace,
                )
                for i in inputs
            ]
        )
        return _answer(self._batch.upsert(object_type, request))

    def update(self, object_type: str, inputs: Sequence[Input]) -> BatchAnswer:
        """``batch/update`` by record id."""
        request = _models.BatchInputSimplePublicObjectBatchInput(
            inputs=[
                _models.SimplePublicObjectBatchInput(
                    id=i.id, properties=dict(i.properties), object_write_trace_id=i.trace
                )
                for i in inputs
            ]
        )
        return _answer(self._batch.update(object_type, request))

    def create(self, object_type: str, inputs: Sequence[Input]) -> BatchAnswer:
        """``batch/create``. A unique value that exists fails the whole call with a 409."""
        request = _models.BatchInputSimplePublicObjectBatchInputForCreate(
            inputs=[
                _models.SimplePublicObjectBatchInputForCreate(
                    properties=dict(i.properties), object_write_trace_id=i.trace
                )
                for i in inputs
            ]
        )
        return _answer(self._batch.create(object_type, request))

    def archive(self, object_type: str, ids: Iterable[str]) -> None:
        """``batch/archive``: a 204 that does not say which ids were already gone."""
        request = _models.BatchInputSimplePublicObjectId(
            inputs=[_models.SimplePublicObjectId(id=record_id) for record_id in ids]
        )
        self._batch.archive(object_type, request)

    def associate(
        self, from_type: str, to_type: str, pairs: Iterable[tuple[str, str]]
    ) -> BatchAnswer:
        """v4 ``batch/associate/default``: the unlabelled association of each pair."""
        request = _association_models.BatchInputPublicDefaultAssociationMultiPost(
            inputs=[
                _association_models.PublicDefaultAssociationMultiPost(
                    _from=_association_models.PublicObjectId(id=source),
                    to=_association_models.PublicObjectId(id=target),
                )
                for source, target in pairs
            ]
        )
        answer = self._associations.create_default(from_type, to_type, request)
        return BatchAnswer(errors=[_error(e) for e in (answer.errors or [])] if answer else [])


def _json(raw: Any) -> dict[str, Any]:
    data = raw.data
    decoded = json.loads(data)
    return decoded if isinstance(decoded, dict) else {}


def _answer(answer: Any) -> BatchAnswer:
    if answer is None:
        return BatchAnswer()
    return BatchAnswer(
        results=[_result(r) for r in answer.results or []],
        errors=[_error(e) for e in (getattr(answer, "errors", None) or [])],
    )


def _result(item: Any) -> ItemResult:
    return ItemResult(
        id=str(item.id),
        trace=item.object_write_trace_id,
        new=getattr(item, "new", None),
        properties=dict(item.properties or {}),
    )


def _error(error: Any) -> ItemError:
    context: Mapping[str, Any] = error.context or {}
    details = error.errors or []
    code = next((d.code for d in details if getattr(d, "code", None)), None)
    category = str(error.category or "ERROR")
    return ItemError(
        category=category,
        message=str(error.message or category),
        code=str(code or category),
        ids=tuple(str(v) for v in context.get("ids") or ()),
        traces=tuple(str(v) for v in context.get("objectWriteTraceId") or ()),
    )


def _property(item: Any) -> PropertyInfo:
    metadata = item.modification_metadata
    return PropertyInfo(
        name=str(item.name),
        label=str(item.label or item.name),
        type=str(item.type or "string"),
        field_type=str(item.field_type or "text"),
        options=tuple(str(o.value) for o in item.options or []),
        read_only=bool(item.calculated or (metadata and metadata.read_only_value)),
        unique=bool(item.has_unique_value),
        description=str(item.description or ""),
    )
