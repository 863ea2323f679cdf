"""Referrals: the one Rewardful list that can be asked for what changed.

``updated_since``/``updated_until`` select a window of modified times, but the list stays
sorted by creation, newest first, not by modified time. So no page but the last can
promise that everything before some cursor has been read: the last page carries the
checkpoint, the newest ``(updated_at, id)`` read inside the window.

The API's bounds may be inclusive or exclusive, and to the second or the millisecond:
the contract does not say. Each bound is widened by a second and the window is then
applied exactly here, so records that share the boundary time are neither lost nor
repeated.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

from crmsync.sdk import Capability, Cursor, Page, ReadRequest, Record
from crmsync_connectors.rewardful import schemas
from crmsync_connectors.rewardful.forms import iso_time
from crmsync_connectors.rewardful.listings import Listing

_MARGIN = timedelta(seconds=1)


class Referrals(Listing):
    """People who came through an affiliate's link: visitor -> lead -> conversion."""

    name = "referrals"
    path = "/referrals"
    schema = schemas.REFERRALS
    expandable = ("affiliate",)
    cursor_field = "updated_at"
    capabilities = Capability.READ | Capability.INCREMENTAL
    # A change stamped just before the run began can become visible after a later one was
    # read (a slow transaction, a clock ahead of Rewardful's): re-read a minute by default.
    default_lookback = timedelta(minutes=1)

    def read(self, request: ReadRequest) -> Iterator[Page]:
        newest = request.since
        held: Page | None = None  # the last page is yielded with the checkpoint
        for page in super().read(request):
            wanted = [record for record in page.records if request.wants(record)]
            newest = _newest(wanted, newest)
            if held is not None:
                yield held
            held = replace(page, records=wanted)
        yield replace(held or Page([]), checkpoint=newest)

    def query(self, request: ReadRequest) -> dict[str, Any]:
        query = super().query(request)
        if request.since is not None:
            query["updated_since"] = iso_time(request.since.updated_at - _MARGIN)
        if request.until is not None:
            query["updated_until"] = iso_time(request.until + _MARGIN)
        return query


def _newest(records: Iterable[Record], newest: Cursor | None) -> Cursor | None:
    for record in records:
        cursor = record.cursor
        if cursor is not None and (newest is None or cursor > newest):
            newest = cursor
    return newest
