"""State store throughput: link upserts, link lookups and audit inserts, per database.

Usage: python benchmarks/state.py [--links 100000] [--postgres URL]
The PostgreSQL run uses a throw-away schema on the server at --postgres (default: the
local test server); pass --postgres "" to measure SQLite alone.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

from crmsync.state import AuditAction, AuditEntry, BatchCommit, Link, StateStore

BATCH = 1_000
FIELDS = ("email", "first_name", "last_name", "referral_source", "referral_sales", "status")


def _link(n: int, version: int) -> Link:
    return Link(f"src-{n}", f"tgt-{n}", f"{n:08x}{version:08x}", dict.fromkeys(FIELDS, f"{n:010x}"))


def _rate(count: int, work: Callable[[], None]) -> float:
    started = time.perf_counter()
    work()
    return count / (time.perf_counter() - started)


def measure(store: StateStore, links: int) -> dict[str, float]:
    lease = store.acquire("bench", lease=timedelta(minutes=30))
    run_id = store.start_run(lease, "run")
    starts = range(0, links, BATCH)

    def commit(version: int) -> None:
        for start in starts:
            batch = [_link(n, version) for n in range(start, start + BATCH)]
            store.commit(lease, run_id, BatchCommit(links=batch))

    def lookup() -> None:
        for start in starts:
            store.links("bench", [f"src-{n}" for n in range(start, start + BATCH)])

    def audit() -> None:
        for start in starts:
            entries = [
                AuditEntry(f"src-{n}", f"tgt-{n}", AuditAction.UPDATED, FIELDS)
                for n in range(start, start + BATCH)
            ]
            store.commit(lease, run_id, BatchCommit(audit=entries))

    return {
        "new links/s": _rate(links, lambda: commit(1)),
        "replaced links/s": _rate(links, lambda: commit(2)),
        "looked-up links/s": _rate(links, lookup),
        "audit rows/s": _rate(links, audit),
    }


def report(name: str, figures: dict[str, float]) -> None:
    print(f"{name:<11}" + "  ".join(f"{label} {value:>9,.0f}" for label, value in figures.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=100_000)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        store = StateStore.connect(f"sqlite:///{Path(folder) / 'state.db'}")
        report("sqlite", measure(store, args.links))
        store.close()
    if args.postgres:
        schema = f"crmsync_bench_{uuid.uuid4().hex[:8]}"
        store = StateStore.connect(args.postgres, schema=schema)
        try:
            report("postgresql", measure(store, args.links))
        finally:
            store.close()
            with create_engine(args.postgres, isolation_level="AUTOCOMMIT").connect() as db:
                db.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


if __name__ == "__main__":
    main()
