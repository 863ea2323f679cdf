"""Object types read by walking a Rewardful list in full, and the read-only ones among them.

Only referrals can be asked for what changed (see :mod:`.referrals`). Every other list is
read in full on every run, one request per ``page_size`` records: the engine's
fingerprints then skip the records that did not change, so a full read costs requests but
writes nothing twice. Records carry their ``updated_at``, so backfill windows still apply.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

from crmsync.sdk import ObjectSchema, ObjectType, Page, ReadRequest
from crmsync_connectors.rewardful import schemas
from crmsync_connectors.rewardful.api import RewardfulApi, expand_params
from crmsync_connectors.rewardful.records import page_of
from crmsync_connectors.rewardful.settings import CommissionState


class Listing(ObjectType):
    """An object type read from the list at ``path``.

    Attributes:
        path: the list's path, e.g. ``/affiliates``.
        schema: what ``describe`` returns.
        expandable: nested objects Rewardful sends in full only when asked; they are
            asked for when the field map reads them (or when it is not known what it reads).
    """

    path: ClassVar[str]
    schema: ClassVar[ObjectSchema]
    expandable: ClassVar[tuple[str, ...]] = ()

    def __init__(self, api: RewardfulApi) -> None:
        self._api = api

    def describe(self) -> ObjectSchema:
        return self.schema

    def read(self, request: ReadRequest) -> Iterator[Page]:
        for items in self._api.pages(self.path, self.query(request)):
            yield page_of(items, self.name)

    def query(self, request: ReadRequest) -> dict[str, Any]:
        """The list's query parameters for ``request``: the expansions it needs."""
        wanted = request.fields
        return expand_params(e for e in self.expandable if wanted is None or e in wanted)


class Campaigns(Listing):
    """Campaigns: commission terms and the site an affiliate's links point to."""

    name = "campaigns"
    path = "/campaigns"
    schema = schemas.CAMPAIGNS


class Commissions(Listing):
    """Commissions on referred sales, in cents, optionally only in some states.

    A commission that moves into a state the connection does not read is no longer
    returned, so a target never learns of that change: read the states you map.
    """

    name = "commissions"
    path = "/commissions"
    schema = schemas.COMMISSIONS
    expandable = ("sale", "campaign")

    def __init__(self, api: RewardfulApi, states: Sequence[CommissionState] = ()) -> None:
        super().__init__(api)
        self._states = list(dict.fromkeys(states))

    def query(self, request: ReadRequest) -> dict[str, Any]:
        query = super().query(request)
        if self._states:
            query["state[]"] = self._states
        return query
