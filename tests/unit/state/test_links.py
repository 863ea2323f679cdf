"""Links: upserted by (sync, source id) in batches, looked up a page at a time."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, event

from crmsync.state import BatchCommit, Lease, LinkStatus, StateStore

from .helpers import SYNC, link


@pytest.fixture
def link_queries() -> Iterator[list[str]]:
    """The SQL of every statement that reads links, as it is run."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        statement = args[2]
        if statement.lstrip().upper().startswith("SELECT") and "FROM links" in statement:
            seen.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    yield seen
    event.remove(Engine, "before_cursor_execute", record)


def test_a_page_of_links_is_read_in_one_query(
    store: StateStore, lease: Lease, run_id: int, link_queries: list[str]
) -> None:
    store.commit(lease, run_id, BatchCommit(links=[link(n) for n in range(1000)]))
    wanted = [f"src-{n}" for n in range(10, 1010)]  # the last ten were never linked

    found = store.links(SYNC, wanted)

    assert len(link_queries) == 1
    assert set(found) == {f"src-{n}" for n in range(10, 1000)}
    assert found["src-17"] == link(17)


def test_upserting_replaces_the_links_of_known_records_and_adds_new_ones(
    store: StateStore, lease: Lease, run_id: int
) -> None:
    store.commit(lease, run_id, BatchCommit(links=[link(n) for n in range(1000)]))
    changed = [link(n, version=2) for n in range(500, 1500)]

    store.commit(lease, run_id, BatchCommit(links=changed))

    found = store.links(SYNC, [f"src-{n}" for n in range(1500)])
    assert [found[f"src-{n}"] for n in range(500)] == [link(n) for n in range(500)]
    assert [found[f"src-{n}"] for n in range(500, 1500)] == changed
    assert store.link_count(SYNC) == 1500


def test_lookups_of_more_ids_than_one_query_takes_find_them_all(
    store: StateStore, lease: Lease, run_id: int
) -> None:
    written = [link(n) for n in range(2500)]
    store.commit(lease, run_id, BatchCommit(links=written))

    found = store.links(SYNC, {f"src-{n}" for n in range(2500)})

    assert sorted(found.values(), key=lambda found_link: found_link.source_id) == sorted(
        written, key=lambda written_link: written_link.source_id
    )


def test_links_are_counted_by_status(store: StateStore, lease: Lease, run_id: int) -> None:
    archived = [link(n, status=LinkStatus.ARCHIVED) for n in (3, 1)]
    store.commit(lease, run_id, BatchCommit(links=[link(0), link(2), *archived]))

    assert store.link_count(SYNC) == 2
    assert store.link_count(SYNC, LinkStatus.ARCHIVED) == 2


def test_links_belong_to_their_sync(store: StateStore, lease: Lease, run_id: int) -> None:
    store.commit(lease, run_id, BatchCommit(links=[link(1)]))
    other = store.acquire("deals", lease=lease.duration)
    store.commit(other, store.start_run(other, "run"), BatchCommit(links=[link(1, version=9)]))

    assert store.links(SYNC, ["src-1"]) == {"src-1": link(1)}
    assert store.links("deals", ["src-1"]) == {"src-1": link(1, version=9)}
    assert store.links("never-ran", ["src-1"]) == {}
    assert store.link_count("never-ran") == 0
