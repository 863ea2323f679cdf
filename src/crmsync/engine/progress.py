"""Progress reporting hooks; the CLI draws bars from them, tests and services ignore them."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """Told what phase a run is in and how far it got."""

    def start(self, phase: str, total: int | None) -> None:
        """A phase begins (``reading``, ``writing``); ``total`` when known in advance."""
        ...

    def advance(self, count: int) -> None:
        """``count`` more records done in the current phase."""
        ...


class NoProgress:
    """Reports nothing."""

    def start(self, phase: str, total: int | None) -> None:
        pass

    def advance(self, count: int) -> None:
        pass
