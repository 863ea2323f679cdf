"""Engine throughput and memory: a files -> files sync at 100k and 1M records.

Scenarios, each in a fresh child process so that its peak RSS is its own:
  first        empty state and target: everything is created
  no-change    an incremental run right after: the cursor skips everything
  full-scan    a --full-refresh with no changes: every record mapped and fingerprinted
  1%-change    1% of the source rows changed (new value, newer updated_at)

Usage: python benchmarks/engine.py [--sizes 100000 1000000] [--workdir DIR]
Prints one line per scenario: seconds, records/s, writes, peak RSS.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from crmsync.sdk.records import WriteOp, WriteResult

MAP = """\
version: 1
match: {source: email, target: email, transforms: [strip, lower]}
filter:
  all:
    - {field: opted_in, equals: true}
    - {field: email, exists: true}
fields:
  email: {source: email, transforms: [email], required: true}
  crm_contact_id: {source: id, required: true}
  first_name: {source: first_name, transforms: [strip, title]}
  last_name: last_name
  referral_source: {source: lead_source, default: Unknown}
  referral_sales: {source: purchases_cents, transforms: [cents_to_amount], type: decimal}
  commission_rate: {source: tier, map: {low: "10", medium: "15", high: "20"}, type: decimal}
  referral_status: {source: stage, map: {lead: pending, customer: active}, default: pending}
"""

CONFIG = """\
version: 1
connections:
  src:
    connector: files
    settings: {objects: {contacts: {path: source.csv, key: id, updated_at: updated_at}}}
  dst:
    connector: files
    settings: {objects: {affiliates: {path: target.csv, key: email}}}
syncs:
  - name: bench
    source: {connection: src, object: contacts}
    target: {connection: dst, object: affiliates}
    mapping: map.yaml
"""

COLUMNS = [
    "id",
    "email",
    "first_name",
    "last_name",
    "lead_source",
    "purchases_cents",
    "tier",
    "stage",
    "opted_in",
    "updated_at",
]
BASE = datetime(2026, 1, 1, tzinfo=UTC)


def _row(n: int, rng: random.Random, updated: datetime, tier: str | None = None) -> list[str]:
    return [
        str(n),
        f"person{n}@example.com",
        rng.choice(["ada", "grace", "alan", "linus"]),
        rng.choice(["Lovelace", "Hopper", "Turing"]),
        rng.choice(["Referral", "Partner", ""]),
        str(rng.randrange(0, 500_000)),
        tier or rng.choice(["low", "medium", "high"]),
        rng.choice(["lead", "customer"]),
        "true",
        updated.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    ]


def generate(path: Path, size: int) -> None:
    rng = random.Random(size)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for n in range(size):
            writer.writerow(_row(n, rng, BASE + timedelta(seconds=n)))


def change_one_percent(path: Path, size: int) -> int:
    """Rewrite 1% of the rows with a new tier and a newer updated_at; return how many."""
    rng = random.Random(size + 1)
    changed = set(rng.sample(range(size), size // 100))
    now = datetime.now(UTC) - timedelta(minutes=1)
    tmp = path.with_suffix(".tmp")
    with path.open(newline="") as src, tmp.open("w", newline="") as dst:
        reader, writer = csv.reader(src), csv.writer(dst)
        writer.writerow(next(reader))
        for n, row in enumerate(reader):
            if n in changed:
                row[6] = {"low": "high", "medium": "low", "high": "medium"}[row[6]]
                row[9] = now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
            writer.writerow(row)
    tmp.replace(path)
    return len(changed)


def child(config: Path, full_refresh: bool) -> None:
    """Run the sync once in this process and print its report as JSON."""
    from crmsync.engine.job import RunKind, RunOptions
    from crmsync.workspace import Workspace

    workspace = Workspace.open(config)
    kind = RunKind.FULL_REFRESH if full_refresh else RunKind.RUN
    target = workspace.job("bench").target
    write = target.write
    calls = [0]

    def counted(ops: Sequence[WriteOp]) -> list[WriteResult]:
        calls[0] += 1
        return write(ops)

    target.write = counted  # type: ignore[method-assign]
    started = time.perf_counter()
    report = workspace.run("bench", RunOptions(kind))
    elapsed = time.perf_counter() - started
    workspace.close()
    counts = report.counts
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "outcome": str(report.outcome),
                "read": counts.read,
                "written": counts.created + counts.updated,
                "unchanged": counts.unchanged,
                "write_calls": calls[0],
                "api_calls": report.total_api_calls,
            }
        )
    )


def measure(config: Path, full_refresh: bool) -> dict[str, float]:
    args = [sys.executable, __file__, "--child", str(config)]
    if full_refresh:
        args.append("--full-refresh")
    process = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    output = process.stdout.read() if process.stdout else ""
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise SystemExit(f"benchmark child failed with status {status}")
    result: dict[str, float] = json.loads(output)
    result["rss_mb"] = usage.ru_maxrss / 1024
    return result


def run_size(size: int, workdir: Path) -> None:
    folder = workdir / str(size)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / "map.yaml").write_text(MAP)
    config = folder / "crmsync.yaml"
    config.write_text(CONFIG)
    generate(folder / "source.csv", size)
    for scenario, full in (("first", False), ("no-change", False), ("full-scan", True)):
        report(size, scenario, size, measure(config, full))
    changed = change_one_percent(folder / "source.csv", size)
    report(size, f"1%-change ({changed:,})", size, measure(config, False))


def report(size: int, scenario: str, records: int, result: dict[str, float]) -> None:
    rate = records / result["seconds"]
    print(
        f"{size:>9,} {scenario:<20} {result['seconds']:7.2f} s {rate:>10,.0f} records/s "
        f"written {int(result['written']):>9,} in {int(result['write_calls']):>5,} write calls "
        f"({int(result['api_calls'])} HTTP)  peak RSS {result['rss_mb']:6.1f} MB",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--workdir", type=Path, default=Path(__file__).parent / ".data")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--full-refresh", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.full_refresh)
        return
    print(f"{'records':>9} {'scenario':<20} {'time':>9} {'throughput':>19}")
    for size in args.sizes:
        run_size(size, args.workdir)


if __name__ == "__main__":
    main()
