"""Full reads: page/limit paging to the last page, newest first, at one request per page,
and no record lost when the list changes while it is read."""

from __future__ import annotations

from datetime import timedelta

import pytest

from crmsync.sdk import ApiError, ObjectType, ReadRequest
from crmsync.testing import FakeClock
from crmsync_connectors.rewardful.api import _listing
from crmsync_connectors.rewardful.emulator import RewardfulEmulator
from crmsync_connectors.rewardful.paging import Listing, walk

from .helpers import T0, connect, ids, read

LIST = "GET /v1/affiliates"


def add_affiliates(emulator: RewardfulEmulator, count: int, *, first: int = 0) -> list[str]:
    """Affiliates created a minute apart, oldest first; returns their ids in that order."""
    with emulator.data() as account:
        return [
            account.add_affiliate(
                f"a{n}@example.com", f"A{n}", "Doe", created_at=T0 + timedelta(minutes=n)
            ).id
            for n in range(first, first + count)
        ]


@pytest.mark.parametrize(("count", "requests"), [(0, 1), (1, 1), (100, 1), (101, 2), (250, 3)])
def test_a_full_read_costs_one_request_per_hundred(
    emulator: RewardfulEmulator, clock: FakeClock, count: int, requests: int
) -> None:
    created = add_affiliates(emulator, count)
    affiliates = connect(emulator, clock).object_type("affiliates")

    pages = read(affiliates)

    assert ids(pages) == created[::-1]  # newest first, each once
    assert emulator.calls() == {LIST: requests}


def test_pages_have_the_configured_size(emulator: RewardfulEmulator, clock: FakeClock) -> None:
    add_affiliates(emulator, 23)
    affiliates = connect(emulator, clock, page_size=10).object_type("affiliates")

    assert [len(page.records) for page in read(affiliates)] == [10, 10, 3]


def test_records_carry_their_modified_time(emulator: RewardfulEmulator, clock: FakeClock) -> None:
    add_affiliates(emulator, 1)
    (page,) = read(connect(emulator, clock).object_type("affiliates"))

    assert page.records[0].updated_at == T0
    assert page.checkpoint is None  # a full read promises no position


def step_through(source: ObjectType, between: dict[int, object]) -> list[str]:
    """Read ``source`` page by page, running ``between[n]()`` after page n arrived."""
    seen: list[str] = []
    for number, page in enumerate(source.read(ReadRequest()), start=1):
        seen += [record.id for record in page.records]
        action = between.get(number)
        if callable(action):
            action()
    return seen


def test_records_removed_mid_read_pull_none_past_the_reader(
    emulator: RewardfulEmulator, clock: FakeClock
) -> None:
    created = add_affiliates(emulator, 30)  # pages of 10: [29..20] [19..10] [9..0]
    affiliates = connect(emulator, clock, page_size=10).object_type("affiliates")

    def remove_three_from_page_one() -> None:
        with emulator.data() as account:
            for gone in created[27:30]:
                account.remove("affiliates", gone)

    seen = step_through(affiliates, {1: remove_three_from_page_one})

    assert set(seen) == set(created)  # 19..17 slid onto page 1: it is read again
    assert emulator.calls() == {LIST: 5}  # pages 1, 2, then 1, 2, 3


def test_records_created_mid_read_are_read_twice_at_most(
    emulator: RewardfulEmulator, clock: FakeClock
) -> None:
    created = add_affiliates(emulator, 30)
    affiliates = connect(emulator, clock, page_size=10).object_type("affiliates")

    seen = step_through(affiliates, {1: lambda: add_affiliates(emulator, 2, first=30)})

    assert set(created) <= set(seen)
    assert len(seen) == 32  # the two pushed from page 1 onto page 2, seen again
    assert emulator.calls() == {LIST: 4}


def listing(items: int, *, more: bool, total: int | None) -> Listing:
    return Listing([{"id": str(n)} for n in range(items)], more, total)


def test_without_a_total_count_the_walk_follows_next_page() -> None:
    fetched: list[int] = []

    def fetch(number: int) -> Listing:
        fetched.append(number)
        return listing(2, more=number < 3, total=None)

    assert len(list(walk(fetch, 2))) == 3
    assert fetched == [1, 2, 3]


def test_a_shrinking_total_steps_back_as_many_pages_as_records_left() -> None:
    totals = {1: 30, 2: 30, 3: 9}  # 21 records left before page 3 was served
    fetched: list[int] = []

    def fetch(number: int) -> Listing:
        fetched.append(number)
        total = totals.get(len(fetched), 9)
        return listing(5, more=number * 5 < total, total=total)

    list(walk(fetch, 5))

    assert fetched == [1, 2, 3, 1, 2]  # back ceil(21 / 5) = 5 pages, no further than page 1


def test_a_list_that_never_ends_is_stopped() -> None:
    with pytest.raises(ApiError, match="still had more pages after 5 requests"):
        list(walk(lambda number: listing(1, more=True, total=None), 1, max_requests=5))


@pytest.mark.parametrize(
    ("body", "more", "total"),
    [
        ({"data": [{}], "pagination": {"next_page": 2, "total_count": 7}}, True, 7),
        ({"data": [{}], "pagination": {"next_page": None, "total_count": 1}}, False, 1),
        ({"data": [{}, {}]}, True, None),  # no pagination object: a full page means more
        ({"data": [{}]}, False, None),
    ],
)
def test_the_pagination_object_says_whether_more_pages_follow(
    body: dict[str, object], more: bool, total: int | None
) -> None:
    assert _listing(body, 2) == Listing(body["data"], more, total)  # type: ignore[arg-type]
