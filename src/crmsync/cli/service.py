"""``crmsync scheduler``: the long-running service that runs syncs on their schedules."""

from __future__ import annotations

import logging
import os
import sys
import threading
from typing import TYPE_CHECKING

from crmsync.cli import render
from crmsync.cli.app import _call, _graceful_stop, _tell, _workspace, app, out
from crmsync.cli.exitcodes import ExitCode

if TYPE_CHECKING:
    from crmsync.scheduler import Scheduler

# The main thread never waits longer than this at a time. A signal can land in another
# thread (the kernel picks one); Python handles it only once the main thread wakes.
_WAKE_SECONDS = 1.0


@app.command()
def scheduler() -> None:
    """Run every sync that has a `schedule`, until SIGTERM or Ctrl-C.

    Several schedulers may share one PostgreSQL state store: each firing runs once
    across them. The first signal lets runs in flight finish their batch, then exits 0;
    a second exits at once with 130 (the next firing carries on). `scheduler.metrics`
    in crmsync.yaml serves /healthz and /metrics.
    """
    from crmsync.scheduler import Scheduler

    with _workspace() as workspace:
        service = _call(lambda: Scheduler(workspace))
        try:
            with _graceful_stop() as stop:
                _call(service.start)
                _announce(service)
                while not stop.wait(_WAKE_SECONDS):
                    pass
                stopping = threading.Thread(target=service.stop, name="crmsync-stop")
                stopping.start()
                while stopping.is_alive():
                    stopping.join(_WAKE_SECONDS)
        except KeyboardInterrupt:
            _stop_now()
    out.print("scheduler stopped")


def _announce(service: Scheduler) -> None:
    fires = service.next_fires()
    out.print(
        render.table(
            None,
            ["sync", "schedule", "next fire"],
            [[name, s.text, fires[name]] for name, s in service.schedules.items()],
        )
    )
    served = f"; /healthz and /metrics on {service.url}" if service.url else ""
    out.print(f"scheduler {service.id} running (times are UTC){served}")


def _stop_now() -> None:
    """The second signal: leave at once, as a crash would; what runs committed stays."""
    _tell(
        logging.WARNING,
        "stopped at once: runs in flight end where they are; the next firing resumes them",
    )
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(int(ExitCode.INTERRUPTED))  # threads still writing must not delay the exit
