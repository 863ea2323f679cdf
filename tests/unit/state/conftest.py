"""Fixtures for state store tests: a lease held on the sync ``SYNC``, and a started run."""

from __future__ import annotations

import pytest

from crmsync.state import Lease, StateStore

from .helpers import LEASE, SYNC


@pytest.fixture
def lease(store: StateStore) -> Lease:
    return store.acquire(SYNC, lease=LEASE)


@pytest.fixture
def run_id(store: StateStore, lease: Lease) -> int:
    return store.start_run(lease, "run")
