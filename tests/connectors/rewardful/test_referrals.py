"""Referrals, the incremental object: the updated_since/updated_until window, records on
its boundaries, and a checkpoint only on the last page (the list is newest first by
creation, not in cursor order)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from crmsync.sdk import Cursor, ObjectType, ReadRequest
from crmsync.testing import FakeClock
from crmsync_connectors.rewardful.emulator import RewardfulEmulator

from .helpers import T0, connect, ids, minutes, read

LIST = "GET /v1/referrals"


@pytest.fixture
def referrals(emulator: RewardfulEmulator, clock: FakeClock) -> ObjectType:
    return connect(emulator, clock, page_size=3).object_type("referrals")


def add_referrals(emulator: RewardfulEmulator, *updated: datetime) -> list[str]:
    """Referrals modified at ``updated``, created in the opposite order (newest last)."""
    with emulator.data() as account:
        affiliate = account.add_affiliate("ada@example.com", "Ada", "Lovelace")
        return [
            account.add_referral(affiliate.id, created_at=T0 - minutes(n), updated_at=at).id
            for n, at in enumerate(updated)
        ]


def test_a_read_since_a_cursor_returns_what_changed_after_it(
    emulator: RewardfulEmulator, referrals: ObjectType
) -> None:
    made = add_referrals(emulator, T0, T0 + minutes(1), T0 + minutes(1), T0 + minutes(2))
    tied = sorted(made[1:3])
    since = Cursor(T0 + minutes(1), tied[0])

    got = ids(read(referrals, ReadRequest(since=since)))

    assert sorted(got) == sorted([tied[1], made[3]])  # the tie after the cursor, and later


def test_a_read_until_a_time_includes_records_at_that_time(
    emulator: RewardfulEmulator, referrals: ObjectType
) -> None:
    made = add_referrals(emulator, T0, T0 + minutes(1), T0 + minutes(2))

    got = ids(read(referrals, ReadRequest(until=T0 + minutes(1))))

    assert sorted(got) == sorted(made[:2])


def test_only_the_last_page_carries_the_checkpoint_the_newest_cursor_read(
    emulator: RewardfulEmulator, referrals: ObjectType
) -> None:
    # created newest first: the newest modification sits on the first page
    made = add_referrals(emulator, *(T0 + minutes(n) for n in (9, 1, 2, 3, 4, 5, 6)))

    pages = read(referrals, ReadRequest(since=Cursor(T0)))

    assert [len(p.records) for p in pages] == [3, 3, 1]
    assert [p.checkpoint for p in pages] == [None, None, Cursor(T0 + minutes(9), made[0])]


def test_the_checkpoint_ignores_records_outside_the_window(
    emulator: RewardfulEmulator, referrals: ObjectType
) -> None:
    made = add_referrals(emulator, T0 + minutes(1), T0 + minutes(2), T0 + minutes(3))

    pages = read(referrals, ReadRequest(since=Cursor(T0), until=T0 + minutes(2)))

    assert pages[-1].checkpoint == Cursor(T0 + minutes(2), made[1])


def test_a_read_that_finds_nothing_keeps_the_cursor(
    emulator: RewardfulEmulator, referrals: ObjectType
) -> None:
    add_referrals(emulator, T0)
    since = Cursor(T0 + minutes(5), "x")

    pages = read(referrals, ReadRequest(since=since))

    assert [(list(p.records), p.checkpoint) for p in pages] == [([], since)]
    assert emulator.calls() == {LIST: 1}


def test_an_incremental_read_costs_a_request_per_page_of_changes(
    emulator: RewardfulEmulator, referrals: ObjectType
) -> None:
    add_referrals(emulator, *(T0 + timedelta(seconds=n) for n in range(40)))

    got = ids(read(referrals, ReadRequest(since=Cursor(T0 + timedelta(seconds=33), "~"))))

    assert len(got) == 6  # 34 s to 39 s
    assert emulator.calls() == {LIST: 3}  # asked from 32 s (exclusive): 7, in pages of 3


@pytest.mark.parametrize(
    ("fields", "expanded"),
    [(None, True), (frozenset({"affiliate", "id"}), True), (frozenset({"id"}), False)],
)
def test_the_affiliate_is_expanded_when_the_map_reads_it(
    emulator: RewardfulEmulator,
    referrals: ObjectType,
    fields: frozenset[str] | None,
    expanded: bool,
) -> None:
    add_referrals(emulator, T0)

    (record,) = [r for p in read(referrals, ReadRequest(fields=fields)) for r in p.records]

    assert ("email" in record.fields["affiliate"]) is expanded
    assert record.fields["customer"] is None or "email" in record.fields["customer"]
