"""Affiliate links: read in full; created with a token that a resend cannot duplicate.

A link's token is the ``?via=`` part of its URL, so Rewardful keeps tokens unique. The
token crmsync sends is the mapped ``token`` field or, when the map sets none,
``<link_token_prefix>`` plus 12 hex digits of a hash of the affiliate id: the same op
always asks for the same token. A resent create (the first one landed, but the run died
before recording it) is refused as a duplicate; the link is then found among the
affiliate's links and reported UNCHANGED with its id.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from crmsync.sdk import (
    ApiRequestError,
    Capability,
    Outcome,
    RecordRejectedError,
    WriteAction,
    WriteOp,
    WriteResult,
)
from crmsync_connectors.rewardful import schemas
from crmsync_connectors.rewardful.api import NOT_FOUND, RewardfulApi, record_id
from crmsync_connectors.rewardful.forms import form_text
from crmsync_connectors.rewardful.writes import WrittenOneByOne

TOKEN_DIGITS = 12  # 48 bits: a collision is unlikely below millions of affiliates


def derived_token(prefix: str, affiliate_id: str) -> str:
    """The token of the link crmsync creates for ``affiliate_id`` when none is mapped."""
    digest = hashlib.blake2b(affiliate_id.encode(), digest_size=TOKEN_DIGITS // 2)
    return f"{prefix}{digest.hexdigest()}"


class AffiliateLinks(WrittenOneByOne):
    """Referral links (``url``, ``token``) of affiliates."""

    name = "affiliate_links"
    path = "/affiliate_links"
    schema = schemas.AFFILIATE_LINKS
    capabilities = Capability.READ | Capability.CREATE

    def __init__(self, api: RewardfulApi, token_prefix: str = "") -> None:
        super().__init__(api)
        self._prefix = token_prefix

    def write_calls(self, ops: Sequence[WriteOp]) -> int:
        """One call per link; a resent create costs a second, to find the link."""
        return len(ops)

    def write_one(self, op: WriteOp) -> WriteResult:
        """``POST /affiliate_links`` with the op's token (see the module docstring)."""
        if op.action is not WriteAction.CREATE:
            return WriteResult.failed(
                op.ref, f"affiliate links can only be created, not {op.action}"
            )
        affiliate_id = form_text("affiliate_id", op.fields.get("affiliate_id")).strip()
        if not affiliate_id:
            return WriteResult.failed(op.ref, "a link needs the affiliate_id of its affiliate")
        token = form_text("token", op.fields.get("token")).strip()
        token = token or derived_token(self._prefix, affiliate_id)
        try:
            link = self._api.create_link({"affiliate_id": affiliate_id, "token": token})
        except RecordRejectedError:
            existing = self._existing(affiliate_id, token)
            if existing is None:
                raise
            return WriteResult(op.ref, Outcome.UNCHANGED, existing)
        except ApiRequestError as exc:
            if exc.status != NOT_FOUND:
                raise
            return WriteResult.failed(
                op.ref, f"Rewardful has no affiliate {affiliate_id!r}", code="NOT_FOUND"
            )
        return WriteResult(op.ref, Outcome.CREATED, record_id(link))

    def _existing(self, affiliate_id: str, token: str) -> str | None:
        """The id of the affiliate's link with ``token``, if it has one."""
        affiliate = self._api.affiliate(affiliate_id, expand=["links"])
        links = affiliate.get("links") if affiliate else None
        for link in links if isinstance(links, list) else ():
            if isinstance(link, dict) and str(link.get("token", "")).casefold() == token.casefold():
                return record_id(link)
        return None
