"""Walking paged API results without trusting the vendor to stop.

A vendor that hands back a cursor it already gave, or claims more pages forever, would
make a sync spin until its lease runs out; these helpers stop it with a clear ApiError.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

from crmsync.sdk.errors import ApiError, Blame

T = TypeVar("T")


def follow_cursor(
    fetch: Callable[[str | None], tuple[Sequence[T], str | None]],
) -> Iterator[Sequence[T]]:
    """Yield each non-empty page of a cursor-paged listing.

    Args:
        fetch: given the cursor (None for the first page), returns the page's items and
            the next cursor, or None (or ``""``) after the last page.

    Raises:
        ApiError: the API returned a next cursor it had already returned (a loop).
    """
    seen: dict[str, int] = {}
    cursor: str | None = None
    page = 1
    while True:
        items, cursor = fetch(cursor)
        if items:
            yield items
        if not cursor:
            return
        if cursor in seen:
            # The cursor itself is left out of the message: some APIs embed keys in it.
            raise ApiError(
                f"the API returned the same next-page cursor after pages {seen[cursor]} "
                f"and {page}; stopping instead of reading in a loop",
                blame=Blame.VENDOR,
            )
        seen[cursor] = page
        page += 1


def follow_pages(
    fetch: Callable[[int], tuple[Sequence[T], bool]],
    *,
    start: int = 1,
    max_pages: int = 100_000,
) -> Iterator[Sequence[T]]:
    """Yield each non-empty page of a page-numbered listing.

    Args:
        fetch: given a page number, returns its items and whether more pages follow.
        start: the first page's number (APIs differ on 0 or 1).
        max_pages: a bound on how many pages to read before blaming the vendor.

    Raises:
        ApiError: the API still reported more pages after ``max_pages``.
    """
    for number in range(start, start + max_pages):
        items, more = fetch(number)
        if items:
            yield items
        if not more:
            return
    raise ApiError(
        f"the API still reported more pages after {max_pages} pages; "
        "stopping instead of reading forever",
        blame=Blame.VENDOR,
    )
