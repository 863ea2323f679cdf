"""HubSpot connector throughput against its emulator on 127.0.0.1, at HubSpot's limits.

Scenarios (the emulator enforces its default limits: 100 calls per rolling 10 s per app,
4 searches per second per token, on the real clock):
  full read      every contact through the listing, 100 a page
  upsert         new contacts written with batch/upsert, 100 a call
  changes        (--search) every contact touched, then read back through search

Usage: python benchmarks/hubspot.py [--contacts 50000] [--upserts 10000] [--search]
Prints one line per scenario: records, seconds, records/s, API calls, calls/s used
against calls/s allowed, and how many 429s the emulator answered.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import SecretStr

from crmsync.sdk import (
    ConnectorContext,
    Cursor,
    Match,
    ObjectType,
    ReadRequest,
    WriteAction,
    WriteOp,
)
from crmsync.testing import serve_wsgi

if TYPE_CHECKING:
    from crmsync_connectors.hubspot.emulator import HubSpotEmulator

TOKEN = "pat-na1-benchmark"
BASE = datetime(2025, 1, 1, tzinfo=UTC)
FIELDS = frozenset({"email", "firstname", "lastname"})


@dataclass(frozen=True)
class Outcome:
    name: str
    records: int
    seconds: float
    calls: int
    allowed_per_s: float
    limited: int

    def line(self) -> str:
        used = self.calls / self.seconds if self.seconds else 0.0
        return (
            f"{self.name:<10} {self.records:>7,} records  {self.seconds:7.1f} s  "
            f"{self.records / self.seconds:8,.0f} records/s  {self.calls:>5} calls  "
            f"{used:5.2f} calls/s of {self.allowed_per_s:.2f} allowed "
            f"({used / self.allowed_per_s:4.0%})  {self.limited} x 429"
        )


def measure(
    name: str, emulator: HubSpotEmulator, allowed: float, work: Callable[[], int]
) -> Outcome:
    emulator.reset_counts()
    started = time.perf_counter()
    records = work()
    seconds = time.perf_counter() - started
    calls = sum(n for status, n in emulator.statuses.items() if status != 429)
    return Outcome(name, records, seconds, calls, allowed, emulator.statuses[429])


def read_all(source: ObjectType, request: ReadRequest) -> int:
    return sum(len(page.records) for page in source.read(request))


def upsert(target: ObjectType, count: int) -> int:
    written = 0
    for start in range(0, count, target.max_batch_size):
        ops = [
            WriteOp(
                WriteAction.UPSERT,
                str(n),
                {"email": f"new{n}@example.com", "firstname": f"New{n}"},
                match=Match("email", f"new{n}@example.com"),
            )
            for n in range(start, min(count, start + target.max_batch_size))
        ]
        written += sum(1 for result in target.write(ops) if result.target_id)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=50_000)
    parser.add_argument("--upserts", type=int, default=10_000)
    parser.add_argument("--search", action="store_true", help="also read every change by search")
    args = parser.parse_args(argv)
    # Run as a script, this file's folder comes first on sys.path, and the file's name
    # would hide the hubspot-api-client package that the connector imports.
    here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]
    from crmsync_connectors.hubspot import HubSpotConnector, HubSpotSettings
    from crmsync_connectors.hubspot.emulator import HubSpotEmulator, Limits

    limits = Limits()
    emulator = HubSpotEmulator(token=TOKEN, limits=limits)
    rows = [
        {"email": f"person{n}@example.com", "firstname": f"First{n}", "lastname": f"Last{n}"}
        for n in range(args.contacts)
    ]
    ids = emulator.seed(
        "contacts", rows, modified=[BASE + timedelta(seconds=n) for n in range(args.contacts)]
    )
    burst = limits.ten_secondly / 10
    with serve_wsgi(emulator) as server:
        settings = HubSpotSettings(access_token=SecretStr(TOKEN), base_url=server.url)
        with HubSpotConnector(settings, ConnectorContext("benchmark")) as connector:
            contacts = connector.object_type("contacts")
            outcomes = [
                measure(
                    "full read",
                    emulator,
                    burst,
                    lambda: read_all(contacts, ReadRequest(fields=FIELDS)),
                ),
                measure("upsert", emulator, burst, lambda: upsert(contacts, args.upserts)),
            ]
            print(outcomes[0].line(), flush=True)
            print(outcomes[1].line(), flush=True)
            if args.search:
                since = Cursor(datetime.now(UTC) - timedelta(seconds=1))
                emulator.touch("contacts", ids)
                changes = measure(
                    "changes",
                    emulator,
                    float(limits.search_secondly),
                    lambda: read_all(contacts, ReadRequest(since=since, fields=FIELDS)),
                )
                print(changes.line(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
