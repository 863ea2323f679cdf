"""HubSpot's CRM objects as crmsync object types: contacts, companies and deals."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from datetime import timedelta

from crmsync.sdk import (
    Capability,
    ObjectSchema,
    ObjectType,
    Page,
    ReadRequest,
    WriteOp,
    WriteResult,
)
from crmsync_connectors.hubspot.api import HubSpotApi
from crmsync_connectors.hubspot.associations import PREFIX, Resolver
from crmsync_connectors.hubspot.kinds import RECORD_ID, Kind
from crmsync_connectors.hubspot.read import Reader
from crmsync_connectors.hubspot.schema import Catalog
from crmsync_connectors.hubspot.settings import HubSpotSettings
from crmsync_connectors.hubspot.write import Writer

SEARCH_LAG = timedelta(minutes=5)
"""The default lookback: search is eventually consistent, so a change can become
searchable after records modified later than it were read."""


class HubSpotObject(ObjectType):
    """One CRM object type. Records' fields are their properties, as HubSpot's text."""

    key = RECORD_ID
    capabilities = (
        Capability.READ
        | Capability.INCREMENTAL
        | Capability.DELETES
        | Capability.CREATE
        | Capability.UPSERT
        | Capability.UPDATE
        | Capability.ARCHIVE
    )
    max_batch_size = 100
    default_lookback = SEARCH_LAG

    def __init__(
        self,
        kind: Kind,
        api: HubSpotApi,
        catalog: Catalog,
        resolver: Resolver,
        settings: HubSpotSettings,
    ) -> None:
        self.name = kind.name
        self.cursor_field = kind.modified
        self._kind = kind
        self._catalog = catalog
        self._reader = Reader(
            api,
            kind,
            catalog,
            page_size=settings.page_size,
            search_page_size=settings.search_page_size,
        )
        self._writer = Writer(api, kind, resolver)

    def describe(self) -> ObjectSchema:
        return self._catalog.schema(self._kind)

    def read(self, request: ReadRequest) -> Iterator[Page]:
        return self._reader.read(request)

    def write(self, ops: Sequence[WriteOp]) -> list[WriteResult]:
        return self._writer.write(ops)

    def write_calls(self, ops: Sequence[WriteOp]) -> int:
        """One call per action, plus a lookup and a link per associated object type."""
        calls = super().write_calls(ops)
        associated = {
            name.removeprefix(PREFIX).partition(".")[0]
            for op in ops
            for name in op.fields
            if name.startswith(PREFIX)
        }
        batches = math.ceil(len(ops) / self.max_batch_size)
        return calls + 2 * batches * len(associated)
