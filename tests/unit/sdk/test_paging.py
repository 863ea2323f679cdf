"""Cursor and page-number paging, and their loop guards."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from crmsync.sdk.errors import ApiError, Blame
from crmsync.sdk.paging import follow_cursor, follow_pages


class CursorApi:
    """Serves ``pages`` keyed by cursor and records the cursors it was asked for."""

    def __init__(self, pages: Mapping[str | None, tuple[Sequence[int], str | None]]) -> None:
        self.pages = pages
        self.asked: list[str | None] = []

    def __call__(self, cursor: str | None) -> tuple[Sequence[int], str | None]:
        self.asked.append(cursor)
        return self.pages[cursor]


def test_follow_cursor_reads_until_there_is_no_next_cursor() -> None:
    api = CursorApi({None: ([1, 2], "b"), "b": ([], "c"), "c": ([3], "")})

    assert list(follow_cursor(api)) == [[1, 2], [3]]
    assert api.asked == [None, "b", "c"]


@pytest.mark.parametrize(
    "pages",
    [
        {None: ([1], "a"), "a": ([2], "a")},
        {None: ([1], "a"), "a": ([2], "b"), "b": ([3], "a")},
    ],
)
def test_follow_cursor_stops_when_a_cursor_repeats(
    pages: Mapping[str | None, tuple[Sequence[int], str | None]],
) -> None:
    read: list[Sequence[int]] = []

    with pytest.raises(ApiError, match="same next-page cursor") as raised:
        read.extend(follow_cursor(CursorApi(pages)))

    assert raised.value.blame is Blame.VENDOR
    assert len(read) == len(pages)


def test_a_loop_error_does_not_show_the_cursor() -> None:
    cursor = "https://api.test/next?api_key=leaky-key"
    api = CursorApi({None: ([1], cursor), cursor: ([2], cursor)})

    with pytest.raises(ApiError) as raised:
        list(follow_cursor(api))

    assert "leaky-key" not in str(raised.value)


def test_follow_pages_reads_until_no_more() -> None:
    asked: list[int] = []

    def fetch(page: int) -> tuple[Sequence[str], bool]:
        asked.append(page)
        return ([f"p{page}"] if page != 1 else []), page < 2

    assert list(follow_pages(fetch, start=0)) == [["p0"], ["p2"]]
    assert asked == [0, 1, 2]


def test_follow_pages_stops_a_vendor_that_never_ends() -> None:
    asked: list[int] = []

    def fetch(page: int) -> tuple[Sequence[int], bool]:
        asked.append(page)
        return [page], True

    with pytest.raises(ApiError, match="after 5 pages") as raised:
        list(follow_pages(fetch, max_pages=5))

    assert asked == [1, 2, 3, 4, 5]
    assert raised.value.blame is Blame.VENDOR
