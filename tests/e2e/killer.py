"""Run the crmsync CLI and SIGKILL this process at the N-th step of a sync.

Used by test_kill.py. A step is the moment just before or just after one of the calls
that change something durable: planning a page, a target write, a state commit, the
target's publish and its atomic rename. ``CRMSYNC_KILL_AT=N`` kills at step N (SIGKILL:
no cleanup of any kind runs); ``CRMSYNC_KILL_AT=0`` kills nowhere and prints the number
of steps on stderr as ``steps: N``.
"""

from __future__ import annotations

import functools
import itertools
import os
import signal
import sys
from collections.abc import Callable
from typing import Any

from crmsync.cli import main
from crmsync.engine.planner import Planner
from crmsync.state.store import StateStore
from crmsync_connectors.files.connector import FileObject
from crmsync_connectors.files.store import RowStore

KILL_AT = int(os.environ.get("CRMSYNC_KILL_AT", "0"))
_steps = itertools.count(1)
_taken = [0]


def _step() -> None:
    _taken[0] = next(_steps)
    if _taken[0] == KILL_AT:
        os.kill(os.getpid(), signal.SIGKILL)


def _watch(owner: Any, name: str) -> None:
    original: Callable[..., Any] = getattr(owner, name)

    @functools.wraps(original)
    def watched(*args: Any, **kwargs: Any) -> Any:
        _step()
        result = original(*args, **kwargs)
        _step()
        return result

    setattr(owner, name, watched)


for owner, name in (
    (Planner, "plan_records"),
    (FileObject, "write"),
    (StateStore, "commit"),
    (RowStore, "publish_pending"),
    (os, "replace"),
):
    _watch(owner, name)

if __name__ == "__main__":
    try:
        main()
    finally:
        print(f"steps: {_taken[0]}", file=sys.stderr)
