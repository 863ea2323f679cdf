"""Memory stays flat: reading and publishing hold a page or a line at a time, not the file.

Held whole, these files' records would take some 30 times the file's size; tracemalloc
(which slows Python five-fold, hence the modest line count) shows a small fraction.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from pathlib import Path

from crmsync.sdk.records import Match, ReadRequest, WriteAction, WriteOp

from .helpers import file_object

LINES = 50_000


def peak_bytes(work: Callable[[], None]) -> int:
    """The most memory Python held while ``work`` ran."""
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_reading_a_large_file_holds_about_a_page(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write("id,email,updated_at\n")
        out.writelines(f"{n},person{n}@example.com,2024-05-06T12:00:00Z\n" for n in range(LINES))
    source = file_object(tmp_path, path="big.csv", updated_at="updated_at", page_size=100)
    counted: list[int] = []

    def read() -> None:
        counted.append(sum(len(page.records) for page in source.read(ReadRequest())))

    peak = peak_bytes(read)
    assert counted == [LINES]
    size = path.stat().st_size
    assert peak < size / 5, f"reading a {size}-byte file peaked at {peak} bytes"


def test_publishing_a_large_file_holds_about_a_line(tmp_path: Path) -> None:
    target = file_object(tmp_path, path="big.jsonl", max_batch_size=10_000)
    for start in range(0, LINES, 10_000):
        keys = [str(n) for n in range(start, start + 10_000)]
        target.write([WriteOp(WriteAction.UPSERT, k, {"n": k}, match=Match("id", k)) for k in keys])
    peak = peak_bytes(target.finish)
    size = (tmp_path / "big.jsonl").stat().st_size
    assert size > LINES * 15
    assert peak < size / 5, f"publishing a {size}-byte file peaked at {peak} bytes"
