"""Affiliate links: created with a deterministic token, so a resent create cannot
duplicate a link; read like every full list."""

from __future__ import annotations

import re

import pytest

from crmsync.sdk import ObjectType, Outcome, WriteAction, WriteOp
from crmsync.testing import FakeClock
from crmsync_connectors.rewardful.emulator import RewardfulEmulator
from crmsync_connectors.rewardful.links import derived_token

from .helpers import connect, records

CREATE = WriteAction.CREATE
POST, ONE = "POST /v1/affiliate_links", "GET /v1/affiliates/<record_id>"


@pytest.fixture
def affiliate_id(emulator: RewardfulEmulator) -> str:
    with emulator.data() as account:
        return account.add_affiliate("ada@example.com", "Ada", "Lovelace").id


@pytest.fixture
def links(emulator: RewardfulEmulator, clock: FakeClock) -> ObjectType:
    return connect(emulator, clock, link_token_prefix="ref-").object_type("affiliate_links")


def tokens_of(emulator: RewardfulEmulator, affiliate_id: str) -> list[str]:
    return sorted(
        k.token for k in emulator.account.links.values() if k.affiliate_id == affiliate_id
    )


def test_a_derived_token_is_the_prefix_and_a_digest_of_the_affiliate() -> None:
    token = derived_token("ref-", "7d1c5b2e-0000-4000-8000-000000000001")

    assert re.fullmatch(r"ref-[0-9a-f]{12}", token)
    assert token == derived_token("ref-", "7d1c5b2e-0000-4000-8000-000000000001")
    assert token != derived_token("ref-", "7d1c5b2e-0000-4000-8000-000000000002")


def test_a_link_without_a_mapped_token_gets_the_derived_one(
    emulator: RewardfulEmulator, links: ObjectType, affiliate_id: str
) -> None:
    (result,) = links.write([WriteOp(CREATE, "l1", {"affiliate_id": affiliate_id})])

    assert result.outcome is Outcome.CREATED
    link = emulator.account.links[result.target_id or ""]
    assert link.token == derived_token("ref-", affiliate_id)
    assert emulator.calls() == {POST: 1}


def test_a_resent_create_finds_the_link_instead_of_duplicating_it(
    emulator: RewardfulEmulator, links: ObjectType, affiliate_id: str
) -> None:
    create = WriteOp(CREATE, "l1", {"affiliate_id": affiliate_id})

    (first,) = links.write([create])
    (second,) = links.write([create])

    assert (second.outcome, second.target_id) == (Outcome.UNCHANGED, first.target_id)
    assert tokens_of(emulator, affiliate_id) == sorted(["ada", derived_token("ref-", affiliate_id)])
    assert emulator.calls() == {POST: 2, ONE: 1}


def test_a_create_whose_answer_was_lost_is_resent_safely(
    emulator: RewardfulEmulator, links: ObjectType, affiliate_id: str
) -> None:
    emulator.inject(503, {}, 1, writes="after")

    (result,) = links.write([WriteOp(CREATE, "l1", {"affiliate_id": affiliate_id})])

    assert result.outcome is Outcome.UNCHANGED
    assert len(tokens_of(emulator, affiliate_id)) == 2
    assert emulator.calls() == {POST: 2, ONE: 1}


def test_a_mapped_token_is_used_as_given(
    emulator: RewardfulEmulator, links: ObjectType, affiliate_id: str
) -> None:
    (result,) = links.write(
        [WriteOp(CREATE, "l1", {"affiliate_id": affiliate_id, "token": "ada-vip"})]
    )

    assert result.outcome is Outcome.CREATED
    assert emulator.account.links[result.target_id or ""].token == "ada-vip"


def test_a_token_held_by_another_affiliate_fails_with_rewardfuls_words(
    emulator: RewardfulEmulator, links: ObjectType, affiliate_id: str
) -> None:
    with emulator.data() as account:
        account.add_affiliate("grace@example.com", "Grace", "Hopper", token="grace-vip")

    (result,) = links.write(
        [WriteOp(CREATE, "l1", {"affiliate_id": affiliate_id, "token": "grace-vip"})]
    )

    assert (result.outcome, result.code) == (Outcome.FAILED, "VALIDATION_ERROR")
    assert result.reason == "Validation failed: Token has already been taken"


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"affiliate_id": "no-such-affiliate"}, "Rewardful has no affiliate 'no-such-affiliate'"),
        ({"token": "x"}, "a link needs the affiliate_id of its affiliate"),
    ],
)
def test_a_link_without_its_affiliate_fails(
    links: ObjectType, fields: dict[str, str], reason: str
) -> None:
    (result,) = links.write([WriteOp(CREATE, "l1", fields)])

    assert (result.outcome, result.reason) == (Outcome.FAILED, reason)


def test_links_can_only_be_created(links: ObjectType) -> None:
    (result,) = links.write([WriteOp(WriteAction.UPDATE, "l1", {"token": "x"}, "id-1")])

    assert result.outcome is Outcome.FAILED
    assert result.reason == "affiliate links can only be created, not update"


def test_links_are_read_with_their_affiliate_and_url(
    emulator: RewardfulEmulator, links: ObjectType, affiliate_id: str
) -> None:
    (link,) = records(links)

    assert link.fields["affiliate_id"] == affiliate_id
    assert link.fields["url"] == "https://www.example.com/?via=ada"
    assert link.updated_at is None
