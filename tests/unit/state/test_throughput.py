"""How fast links go in: printed for the record, not asserted (timings vary by machine)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest

from crmsync.state import BatchCommit, Lease, StateStore

from .helpers import SYNC, link

if TYPE_CHECKING:
    from tests.conftest import StateDatabase

LINKS = 100_000
BATCH = 1_000


def _commit_all(store: StateStore, lease: Lease, run_id: int, *, version: int) -> float:
    """Links per second when committing ``LINKS`` links ``BATCH`` at a time."""
    batches = [
        BatchCommit(links=[link(n, version=version) for n in range(start, start + BATCH)])
        for start in range(0, LINKS, BATCH)
    ]
    started = time.perf_counter()
    for batch in batches:
        store.commit(lease, run_id, batch)
    return LINKS / (time.perf_counter() - started)


def test_link_upsert_throughput(
    state_url: StateDatabase,
    store: StateStore,
    lease: Lease,
    run_id: int,
    capsys: pytest.CaptureFixture[str],
) -> None:
    inserted = _commit_all(store, lease, run_id, version=1)
    replaced = _commit_all(store, lease, run_id, version=2)

    assert store.link_count(SYNC) == LINKS
    assert store.links(SYNC, ["src-99999"])["src-99999"] == link(99_999, version=2)
    with capsys.disabled():
        print(
            f"\n{state_url.dialect}: {inserted:,.0f} new, {replaced:,.0f} replaced "
            f"link upserts/s ({LINKS:,} in batches of {BATCH:,})"
        )
