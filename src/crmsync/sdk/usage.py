"""Counting API calls, so every run can report what it cost."""

from __future__ import annotations

import threading
from collections import Counter


class RequestCounter:
    """Counts HTTP requests per connection (every attempt, retries included); thread-safe."""

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def add(self, connection: str, n: int = 1) -> None:
        with self._lock:
            self._counts[connection] += n

    def total(self) -> int:
        with self._lock:
            return sum(self._counts.values())

    def by_connection(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)
