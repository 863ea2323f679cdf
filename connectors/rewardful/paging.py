"""Walking Rewardful's page-numbered lists, which are sorted by creation, newest first.

A page number is an offset, so a list that changes while it is read shifts records
between pages. A record created meanwhile lands on page 1 and pushes the others back one
place: one of them is read twice, which is harmless (the engine plans a record once per
run). A record that leaves the list (deleted, or changed out of a time window) pulls the
records behind it forward one place, and the one that slides onto a page already read
would be missed. Each page's ``total_count`` shows this: when it falls by k between two
pages, unread records may have moved at most k places forward (creations only push them
back), so the walk steps back ceil(k / limit) pages and reads on from there. Nothing is
missed; a few records come twice. Without ``total_count`` no step back is possible.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from crmsync.sdk import ApiError, Blame

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Listing:
    """One page of a list.

    Attributes:
        items: the page's records.
        more: whether a next page exists.
        total: the list's ``total_count`` when the page was served, if the API said.
    """

    items: list[Any]
    more: bool
    total: int | None


def walk(
    fetch: Callable[[int], Listing], page_size: int, *, max_requests: int = 100_000
) -> Iterator[list[Any]]:
    """Yield each non-empty page of a list, stepping back when it shrinks (see above).

    Args:
        fetch: returns the page with the given number (from 1).
        page_size: the ``limit`` each page was asked for.
        max_requests: a bound on pages fetched before blaming the API.

    Raises:
        ApiError: more than ``max_requests`` pages were needed.
    """
    number, total = 1, None
    for _ in range(max_requests):
        listing = fetch(number)
        if listing.items:
            yield listing.items
        shrunk = 0 if total is None or listing.total is None else total - listing.total
        total = listing.total if listing.total is not None else total
        if shrunk > 0:
            number = max(1, number - math.ceil(shrunk / page_size))
        elif listing.more:
            number += 1
        else:
            return
    raise ApiError(
        f"a list still had more pages after {max_requests} requests; "
        "stopping instead of reading forever",
        blame=Blame.VENDOR,
    )
