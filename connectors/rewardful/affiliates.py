"""Affiliates: read in full; created, updated, upserted and disabled one call at a time.

Rewardful has no idempotency key and no batch endpoint, so every write is looked up
first (``GET /affiliates?email=``, which returns 0 or 1 affiliate):

- CREATE finds an existing affiliate and reports it UNCHANGED with its id, instead of
  creating a second one (a create resent after a crash must not duplicate).
- UPSERT creates, or updates the affiliate found: idempotent, though two calls.
- A create that fails on the way (a 5xx) may have landed: the affiliate is looked up
  before the create is sent again. A create refused with 422 is looked up once more too
  (another writer may have created it meanwhile) before it fails with Rewardful's words.
- A ``PUT`` without ``state`` makes the affiliate active again. Updates therefore send
  the current state unless the map sets one, reading it first where no lookup did.
- ARCHIVE disables the affiliate (``PUT state=disabled``): there is no delete endpoint.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence

from crmsync.sdk import (
    Capability,
    Outcome,
    RecordRejectedError,
    TransientApiError,
    WriteAction,
    WriteOp,
    WriteResult,
)
from crmsync_connectors.rewardful import schemas
from crmsync_connectors.rewardful.api import RewardfulApi, record_id
from crmsync_connectors.rewardful.forms import form, holds
from crmsync_connectors.rewardful.paging import Json
from crmsync_connectors.rewardful.writes import WrittenOneByOne

LOOKUP_FIELDS = ("email", "stripe_customer_id")
CREATE_ATTEMPTS = 3

log = logging.getLogger("crmsync.rewardful")

LookupKey = tuple[str, str]


class Affiliates(WrittenOneByOne):
    """Rewardful's affiliates (partners), matched by email (or Stripe customer id)."""

    name = "affiliates"
    path = "/affiliates"
    schema = schemas.AFFILIATES
    expandable = ("campaign", "links", "commission_stats")
    capabilities = (
        Capability.READ
        | Capability.CREATE
        | Capability.UPSERT
        | Capability.UPDATE
        | Capability.ARCHIVE
    )

    def __init__(self, api: RewardfulApi) -> None:
        super().__init__(api)
        self._actions: dict[WriteAction, Callable[[WriteOp], WriteResult]] = {
            WriteAction.CREATE: self._create,
            WriteAction.UPSERT: self._upsert,
            WriteAction.UPDATE: self._update,
            WriteAction.ARCHIVE: self._archive,
        }

    def write_calls(self, ops: Sequence[WriteOp]) -> int:
        """At most: a lookup and a write per create or upsert, a read and a write per
        update that does not set ``state``, one call per archive."""
        return sum(_calls(op) for op in ops)

    def write_one(self, op: WriteOp) -> WriteResult:
        return self._actions[op.action](op)

    def _create(self, op: WriteOp) -> WriteResult:
        def existing(found: Json) -> WriteResult:
            return WriteResult(op.ref, Outcome.UNCHANGED, record_id(found))

        return self._create_or(op, existing)

    def _upsert(self, op: WriteOp) -> WriteResult:
        return self._create_or(op, lambda found: self._change(op, found))

    def _update(self, op: WriteOp) -> WriteResult:
        if op.target_id is None:
            found = self._find(_lookup_key(op))
        elif "state" in op.fields:
            return self._put(op, op.target_id, form(op.fields))
        else:
            found = self._api.affiliate(op.target_id)
        if found is None:
            return WriteResult(op.ref, Outcome.NOT_FOUND, op.target_id)
        return self._change(op, found)

    def _archive(self, op: WriteOp) -> WriteResult:
        if op.target_id is None:
            return WriteResult.failed(op.ref, "archiving an affiliate needs its id")
        result = self._put(op, op.target_id, {"state": "disabled"})
        outcome = Outcome.ARCHIVED if result.outcome is Outcome.UPDATED else result.outcome
        return WriteResult(op.ref, outcome, result.target_id)

    def _create_or(self, op: WriteOp, existing: Callable[[Json], WriteResult]) -> WriteResult:
        """Create the affiliate unless a lookup finds it; ``existing`` handles a found one."""
        key = _lookup_key(op)
        fields = form(op.fields)
        found = self._find(key)
        if found is not None:
            return existing(found)
        try:
            created = self._post(fields, key)
        except RecordRejectedError:
            found = self._find(key)  # created by someone else since the lookup?
            if found is None:
                raise
            return existing(found)
        return WriteResult(op.ref, Outcome.CREATED, record_id(created))

    def _post(self, fields: Mapping[str, str], key: LookupKey | None) -> Json:
        """``POST /affiliates``; after a failure that may have landed, look before resending."""
        attempt = 1
        while True:
            try:
                return self._api.create_affiliate(fields)
            except TransientApiError as exc:
                if attempt >= CREATE_ATTEMPTS or key is None:
                    raise
                found = self._find(key)
                if found is not None:
                    return found
                attempt += 1
                log.warning(
                    "%s; the affiliate is not in Rewardful, so it is sent again (attempt %d of %d)",
                    exc.message,
                    attempt,
                    CREATE_ATTEMPTS,
                )

    def _change(self, op: WriteOp, current: Json) -> WriteResult:
        """Update ``current`` with the op's fields, unless it already holds them."""
        affiliate_id = record_id(current)
        fields = form(op.fields)
        if holds(current, fields):
            return WriteResult(op.ref, Outcome.UNCHANGED, affiliate_id)
        if "state" not in fields and current.get("state") in schemas.AFFILIATE_STATES:
            fields["state"] = str(current["state"])  # else the PUT would make it active
        return self._put(op, affiliate_id, fields)

    def _put(self, op: WriteOp, affiliate_id: str, fields: Mapping[str, str]) -> WriteResult:
        updated = self._api.update_affiliate(affiliate_id, fields)
        if updated is None:
            return WriteResult(op.ref, Outcome.NOT_FOUND, affiliate_id)
        return WriteResult(op.ref, Outcome.UPDATED, affiliate_id)

    def _find(self, key: LookupKey | None) -> Json | None:
        return None if key is None else self._api.find_affiliate(*key)


def _lookup_key(op: WriteOp) -> LookupKey | None:
    """How to look the op's affiliate up: its match, else its email; None when blank.

    Raises:
        RecordRejectedError: the op matches on a field Rewardful cannot look up by.
    """
    if op.match is not None:
        field, value = op.match.field, op.match.value
    else:
        field, value = "email", str(op.fields.get("email") or "")
    if field not in LOOKUP_FIELDS:
        raise RecordRejectedError(
            f"affiliates can be found only by {' or '.join(LOOKUP_FIELDS)}, not by {field!r}",
            code="UNSUPPORTED_MATCH",
        )
    return (field, value.strip()) if value.strip() else None


def _calls(op: WriteOp) -> int:
    if op.action is WriteAction.ARCHIVE:
        return 1
    if op.action is WriteAction.UPDATE and op.target_id is not None and "state" in op.fields:
        return 1
    return 2
