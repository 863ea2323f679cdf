"""One firing of a sync's schedule: claimed by exactly one scheduler, run, and recorded.

Every scheduler process fires every scheduled sync at the same instants (see
:mod:`crmsync.scheduler.triggers`). For each firing, each process:

1. skips it if it is stopping, or if the firing is later than the misfire grace;
2. claims it in the state store: of all the processes, exactly one wins the claim, and
   the others let it go;
3. runs the sync, under the sync's lock like every run. If the previous run still holds
   the lock, the firing is recorded ``locked`` and skipped, not queued: a sync never
   overlaps itself;
4. records what became of the firing, counts the run in the metrics and notifies when
   the run needs a human.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from crmsync.engine.job import RunOptions
from crmsync.engine.reports import RunReport
from crmsync.scheduler.metrics import MISSED, TAKEN, Metrics
from crmsync.scheduler.notify import Notifier
from crmsync.scheduler.triggers import fire_time
from crmsync.sdk.clock import Clock
from crmsync.sdk.errors import CrmsyncError, SyncLockedError
from crmsync.sdk.redact import REDACTOR
from crmsync.state import FiringOutcome, StateStore
from crmsync.workspace import Workspace

log = logging.getLogger("crmsync.scheduler")


class Firer:
    """Handles the firings of one scheduler process.

    Args:
        store: the state store shared by every scheduler process.
        workspace_for: the workspace that runs a sync (one per sync, so that each run
            counts its own API calls).
        clock: where "now" comes from, to judge lateness.
        grace: how late a firing may start; later ones are skipped as missed.
        stop: set to stop: new firings are skipped, and runs in flight finish the batch
            they are writing, commit it and end ``interrupted``.
        metrics: where firings and runs are counted.
        notifier: posts summaries of runs that need a human; None: no notifications.
    """

    def __init__(
        self,
        store: StateStore,
        workspace_for: Callable[[str], Workspace],
        *,
        clock: Clock,
        grace: timedelta,
        stop: threading.Event,
        metrics: Metrics,
        notifier: Notifier | None = None,
    ) -> None:
        self.store = store
        self.workspace_for = workspace_for
        self.clock = clock
        self.grace = grace
        self.stop = stop
        self.metrics = metrics
        self.notifier = notifier

    def fire(self, sync: str, scheduled: datetime) -> str | None:
        """Handle the firing of ``sync`` scheduled at ``scheduled``.

        Returns:
            What became of it: a :class:`FiringOutcome` value, ``taken`` (another
            scheduler claimed it) or ``missed`` (too late); None when stopping.
        """
        if self.stop.is_set():
            return None
        when = fire_time(scheduled)
        late = self.clock.now() - when
        if late > self.grace:
            log.warning(
                "sync %s: skipped the firing of %s: %.1fs late, more than the misfire grace",
                sync,
                _iso(when),
                late.total_seconds(),
            )
            return self._counted(sync, MISSED)
        try:
            if not self.store.claim_firing(sync, when):
                log.debug("sync %s: the firing of %s is another scheduler's", sync, _iso(when))
                return self._counted(sync, TAKEN)
        except CrmsyncError as exc:
            log.error("sync %s: could not claim the firing of %s: %s", sync, _iso(when), exc)
            return self._counted(sync, FiringOutcome.ERROR)
        return self._counted(sync, self._run(sync, when))

    def _run(self, sync: str, when: datetime) -> FiringOutcome:
        try:
            before = self._failures(sync)
            report = self.workspace_for(sync).run(
                sync, RunOptions(), stop=self.stop, owner="crmsync scheduler"
            )
        except SyncLockedError as exc:
            log.info("sync %s: skipped the firing of %s: %s", sync, _iso(when), exc.message)
            self._finish(sync, when, FiringOutcome.LOCKED, message=exc.message)
            return FiringOutcome.LOCKED
        except Exception as exc:  # a firing must never take the scheduler down with it
            message = str(exc) if isinstance(exc, CrmsyncError) else f"internal error: {exc!r}"
            message = REDACTOR.redact(message)
            log.error("sync %s: the firing of %s failed to run: %s", sync, _iso(when), message)
            self._finish(sync, when, FiringOutcome.ERROR, message=message)
            if self.notifier is not None:
                self._delivered(self.notifier.failed_to_run(sync, when, message))
            return FiringOutcome.ERROR
        self._finish(sync, when, FiringOutcome.RAN, run_id=report.run_id)
        self.metrics.observe(report)
        log.info(
            "sync %s: the firing of %s ran run %d: %s",
            sync,
            _iso(when),
            report.run_id,
            report.outcome,
        )
        self._notify(report, when, before)
        return FiringOutcome.RAN

    def _failures(self, sync: str) -> int | None:
        """The sync's stored failures, when the notifier needs them; else None."""
        if self.notifier is None or not self.notifier.counts_failures:
            return None
        return self.store.failure_count(sync)

    def _notify(self, report: RunReport, when: datetime, before: int | None) -> None:
        if self.notifier is None:
            return
        try:
            failures = None if before is None else (before, self.store.failure_count(report.sync))
        except CrmsyncError as exc:
            log.warning("sync %s: cannot count its failures to notify: %s", report.sync, exc)
            failures = None
        self._delivered(self.notifier.after_run(report, when, failures))

    def _delivered(self, sent: bool | None) -> None:
        """Count a notification that was due (``sent`` is None when none was)."""
        if sent is not None:
            self.metrics.notified(sent)

    def _finish(
        self,
        sync: str,
        when: datetime,
        outcome: FiringOutcome,
        *,
        run_id: int | None = None,
        message: str | None = None,
    ) -> None:
        try:
            self.store.finish_firing(sync, when, outcome, run_id=run_id, message=message)
        except CrmsyncError as exc:
            log.error("sync %s: could not record the firing of %s: %s", sync, _iso(when), exc)

    def _counted(self, sync: str, outcome: str) -> str:
        self.metrics.fired(sync, outcome)
        return outcome


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
