"""Running a sync (plan, guard, apply, under the sync's lock) and dry-running one."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from crmsync.engine.applier import Applier
from crmsync.engine.guards import planned_changes, violations
from crmsync.engine.job import Guards, RunKind, RunOptions, SyncJob
from crmsync.engine.planner import Interrupted, Plan, Planner, spool_plan
from crmsync.engine.progress import NoProgress, Progress
from crmsync.engine.reports import PlanReport, RunReport, Sample
from crmsync.engine.spool import FAILURE, RELINK
from crmsync.sdk.clock import SYSTEM_CLOCK, Clock
from crmsync.sdk.errors import CrmsyncError
from crmsync.sdk.records import Cursor, WriteOp
from crmsync.sdk.redact import REDACTOR
from crmsync.sdk.usage import RequestCounter
from crmsync.state import Lease, RunCounts, RunOutcome, StateStore

log = logging.getLogger("crmsync.engine")

DEFAULT_LEASE = timedelta(minutes=5)
SAMPLES_PER_KIND = 3


class _Heartbeat:
    """Renews the lease while planning, when no batch commit does it."""

    def __init__(self, store: StateStore, lease: Lease, clock: Clock, duration: timedelta) -> None:
        self.store, self.lease, self.clock = store, lease, clock
        self.every = duration.total_seconds() / 3
        self.last = clock.monotonic()

    def __call__(self) -> None:
        if self.clock.monotonic() - self.last >= self.every:
            self.lease = self.store.renew(self.lease)
            self.last = self.clock.monotonic()


def _cursor_policy(
    kind: RunKind, stored: Cursor | None, started: datetime
) -> Callable[[Cursor | None], Cursor | None]:
    """Which checkpoints may become the stored cursor.

    Backfills and retries never move it. Other runs move it forward only, and never
    past the run's start: records changed while the run was reading are read again.
    """
    if kind in (RunKind.BACKFILL, RunKind.RETRY):
        return lambda checkpoint: None

    def policy(checkpoint: Cursor | None) -> Cursor | None:
        if checkpoint is None:
            return None
        capped = checkpoint.capped(started)
        return None if stored is not None and capped <= stored else capped

    return policy


def _calls_since(counter: RequestCounter, before: dict[str, int]) -> dict[str, int]:
    after = counter.by_connection()
    return {name: n - before.get(name, 0) for name, n in after.items() if n != before.get(name, 0)}


class _Run:
    """One run's mutable progress, so that any ending can be recorded."""

    def __init__(self, job: SyncJob, store: StateStore, lease: Lease, run_id: int) -> None:
        self.job, self.store, self.lease, self.run_id = job, store, lease, run_id
        self.outcome = RunOutcome.FAILED
        self.message: str | None = None
        self.error: CrmsyncError | None = None
        self.planner: Planner | None = None
        self.applier: Applier | None = None

    @property
    def counts(self) -> RunCounts:
        """Planning's counts (records needing no write) plus the applier's."""
        tally = self.applier.tally if self.applier else RunCounts()
        planner = self.planner
        return RunCounts(
            read=planner.read if planner else 0,
            created=tally.created,
            updated=tally.updated,
            unchanged=tally.unchanged + (planner.unchanged if planner else 0),
            archived=tally.archived,
            skipped=tally.skipped + (planner.skipped if planner else 0),
            failed=tally.failed,
        )

    def execute(
        self,
        options: RunOptions,
        started: datetime,
        heartbeat: _Heartbeat,
        progress: Progress,
        stop: threading.Event,
    ) -> None:
        job, store = self.job, self.store
        if options.kind is RunKind.RETRY:
            store.unpark(job.name)  # a retry by request gives parked records fresh attempts
        self.planner = planner = Planner(job, store, options)
        self.applier = applier = Applier(
            job,
            store,
            self.lease,
            self.run_id,
            failure_ids=planner.failure_ids,
            progress=progress,
            stop=stop,
        )
        policy = _cursor_policy(options.kind, planner.stored, started)
        linked = store.link_count(job.name)
        # finish() runs even when this run wrote nothing: an earlier run may have been
        # killed after its writes were acknowledged but before the target published them.
        try:
            if options.force or not _guarded(job.guards, linked):
                pages = planner.pages(progress=progress, stop=stop, heartbeat=heartbeat)
                applier.apply_streamed(planner, pages, policy)
            else:
                with _planned(planner, progress, stop, heartbeat=heartbeat) as plan:
                    problems = violations(job.guards, planned_changes(plan.spool.counts()), linked)
                    if problems:
                        self.outcome = RunOutcome.GUARDED
                        self.message = (
                            "stopped before writing: "
                            + "; ".join(problems)
                            + ". Run with --force to proceed."
                        )
                        return
                    progress.start("writing", sum(plan.spool.counts().values()))
                    applier.apply_spooled(plan, policy)
        finally:
            job.target.finish()
        self.outcome = RunOutcome.PARTIAL if applier.tally.failed else RunOutcome.SUCCEEDED


def _guarded(guards: Guards, linked: int) -> bool:
    """Whether a guard could stop this run: then it must be planned before writing."""
    limits = (guards.creates, guards.updates, guards.archives)
    return any(limit is not None and limit.allowed(linked) is not None for limit in limits)


@contextmanager
def _planned(
    planner: Planner,
    progress: Progress,
    stop: threading.Event,
    *,
    heartbeat: Callable[[], None] = lambda: None,
) -> Iterator[Plan]:
    plan = spool_plan(planner, progress=progress, stop=stop, heartbeat=heartbeat)
    with plan.spool:
        yield plan


def run_sync(
    job: SyncJob,
    store: StateStore,
    options: RunOptions | None = None,
    *,
    counter: RequestCounter,
    clock: Clock = SYSTEM_CLOCK,
    lease: timedelta = DEFAULT_LEASE,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
    owner: str | None = None,
) -> RunReport:
    """Run ``job`` once and record it in the runs table.

    ``owner`` names who runs it (``crmsync run``, ``scheduler``) in the sync's lock, so
    that ``status`` and "already running" errors can say.

    Record failures do not raise: they are counted, stored and reported (outcome
    ``partial``). Errors that stop the run (auth, outage, lost lease) end it as
    ``failed`` with their message; everything committed before them stays.

    Raises:
        SyncLockedError: another run of the same sync is in progress.
        NotSupportedError: the objects cannot do what the sync asks.
    """
    options = options or RunOptions()
    job.validate()
    started, t0, calls = clock.now(), clock.monotonic(), counter.by_connection()
    held = store.acquire(job.name, lease=lease, owner=owner)
    try:
        run = _Run(job, store, held, store.start_run(held, options.kind))
        try:
            run.execute(
                options,
                started,
                _Heartbeat(store, held, clock, lease),
                progress or NoProgress(),
                stop or threading.Event(),
            )
        except Interrupted:
            run.outcome, run.message = RunOutcome.INTERRUPTED, "stopped on request"
        except KeyboardInterrupt:
            run.outcome, run.message = RunOutcome.INTERRUPTED, "stopped at once (second signal)"
            raise
        except CrmsyncError as exc:
            run.message, run.error = REDACTOR.redact(str(exc)), exc
        except BaseException as exc:
            run.message = REDACTOR.redact(f"internal error: {exc!r}")
            raise
        finally:
            api_calls = _calls_since(counter, calls)
            counts = run.counts
            counts.api_calls = sum(api_calls.values())
            store.finish_run(run.run_id, run.outcome, counts, run.message)
    finally:
        store.release(held)
    duration = clock.monotonic() - t0
    log.info("sync %s %s: %s in %.1fs", job.name, options.kind, run.outcome, duration)
    return RunReport(
        job.name,
        run.run_id,
        options.kind,
        run.outcome,
        counts,
        api_calls,
        started,
        duration,
        run.message,
        run.error,
    )


def plan_sync(
    job: SyncJob,
    store: StateStore,
    options: RunOptions | None = None,
    *,
    counter: RequestCounter,
    progress: Progress | None = None,
) -> PlanReport:
    """What ``run_sync`` would do now, computed from the source and the state store.

    Writes nothing and takes no lock: it reads the source (costing its API calls).
    """
    options = options or RunOptions()
    job.validate()
    calls = counter.by_connection()
    planner = Planner(job, store, options)
    with _planned(planner, progress or NoProgress(), threading.Event()) as plan:
        kinds = plan.spool.counts()
        changes = planned_changes(kinds)
        samples = {
            kind: [
                Sample(
                    p.source_id,
                    p.target_id,
                    dict(p.fields),
                    None if p.failure is None else p.failure[0],
                )
                for p in plan.spool.samples(kind, SAMPLES_PER_KIND)
            ]
            for kind in kinds
            if kind != RELINK
        }
        write_calls = _write_calls(job, plan)
        problems = violations(job.guards, changes, store.link_count(job.name))
    return PlanReport(
        sync=job.name,
        kind=options.kind,
        read=planner.read,
        to_create=changes["create"],
        to_update=changes["update"],
        to_archive=changes["archive"],
        unchanged=planner.unchanged + kinds[RELINK],
        skipped=planner.skipped,
        failing=kinds[FAILURE],
        write_calls=write_calls,
        api_calls=_calls_since(counter, calls),
        samples=samples,
        guard_violations=problems,
    )


def _write_calls(job: SyncJob, plan: Plan) -> int:
    """The target's estimate of write calls, asked per action in batch-aligned chunks."""
    chunk = job.effective_batch_size * 10
    total = 0
    for kind in plan.spool.counts():
        if kind in (FAILURE, RELINK):
            continue
        ops: list[WriteOp] = []
        for item in plan.spool.of_kind(kind):
            assert item.action is not None
            ops.append(
                WriteOp(item.action, item.source_id, item.fields, item.target_id, item.match)
            )
            if len(ops) == chunk:
                total += job.target.write_calls(ops)
                ops = []
        total += job.target.write_calls(ops) if ops else 0
    return total
