"""``crmsync scheduler``: runs each scheduled sync at its fire times, until stopped.

Several scheduler processes may share one state store (for availability). They all fire
every sync at the same instants, and each firing runs exactly once across them (see
:mod:`crmsync.scheduler.firings`). APScheduler wakes the process at each fire time; the
state store, not the process, decides who runs what.
"""

from __future__ import annotations

import logging
import secrets
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from pydantic_core import to_jsonable_python

from crmsync.config import LoadedConfig
from crmsync.scheduler.executor import FIRE_TIME, FiringExecutor
from crmsync.scheduler.firings import Firer
from crmsync.scheduler.health import HttpEndpoint, application
from crmsync.scheduler.metrics import Metrics
from crmsync.scheduler.notify import Notifier
from crmsync.scheduler.triggers import next_fire
from crmsync.schedules import Schedule, parse_schedule
from crmsync.sdk.errors import ConfigError, StateError
from crmsync.state.locks import this_host
from crmsync.workspace import Workspace

log = logging.getLogger("crmsync.scheduler")

HEARTBEAT = timedelta(seconds=15)
# A scheduler whose heartbeat is this many beats old counts as gone.
_BEATS_TO_EXPIRE = 3


class Scheduler:
    """Fires the syncs of one config that have a ``schedule``.

    Build it, :meth:`start` it, and :meth:`stop` it (the command line does so on the
    first SIGTERM or Ctrl-C). Between the two it runs in background threads.

    Args:
        workspace: the config's workspace; the scheduler uses its state store and
            clock, and gives each sync a workspace of its own sharing that store.
        heartbeat: how often this process reports itself alive in the state store.
        session: a ``requests`` session for notifications (tests).

    Raises:
        ConfigError: no sync has a schedule, or a scheduled sync cannot be built (a
            missing field map, an object type the connector lacks).
        StateError: the state store cannot be opened.
    """

    def __init__(
        self,
        workspace: Workspace,
        *,
        heartbeat: timedelta = HEARTBEAT,
        session: requests.Session | None = None,
    ) -> None:
        self.workspace = workspace
        self.settings = workspace.loaded.config.scheduler
        self.schedules = scheduled_syncs(workspace.loaded)
        for name in self.schedules:
            workspace.job(name).validate()
        self.id = secrets.token_hex(8)
        self.clock = workspace.clock
        self.heartbeat = heartbeat
        self.stopping = threading.Event()
        self.store = workspace.store
        self.metrics = Metrics(self.store, self.schedules, self.clock)
        self.notifier = Notifier.for_config(workspace.loaded, clock=self.clock, session=session)
        self.firer = Firer(
            self.store,
            self._workspace_for,
            clock=self.clock,
            grace=self.settings.misfire_grace,
            stop=self.stopping,
            metrics=self.metrics,
            notifier=self.notifier,
        )
        self._workspaces: dict[str, Workspace] = {}
        self._lock = threading.Lock()
        self._apscheduler = self._build_apscheduler()
        self._endpoint: HttpEndpoint | None = None
        self._started_at: datetime | None = None
        self._last_beat: float | None = None
        self._beat_problem: str | None = None

    # -- life cycle ------------------------------------------------------------------

    def start(self) -> None:
        """Report this process, serve ``/healthz`` and ``/metrics`` if configured, and fire.

        Raises:
            StateError: the state store cannot be reached.
            ConfigError: the metrics address cannot be listened on.
        """
        self._started_at = self.clock.now()
        self._report_alive()
        try:
            self._endpoint = self._serve()
        except ConfigError:
            self.store.forget_scheduler(self.id)
            raise
        self._apscheduler.start()
        log.info(
            "scheduler %s started on %s: %s",
            self.id,
            this_host(),
            ", ".join(f"{name} ({s.text})" for name, s in self.schedules.items()),
        )

    def stop(self) -> None:
        """Stop firing; let each run in flight finish its batch, commit it and end.

        Runs stopped this way end ``interrupted``; the next firing carries on from what
        they committed. Returns once they have ended.
        """
        self.stopping.set()
        if self._apscheduler.running:
            self._apscheduler.shutdown(wait=True)
        if self._endpoint is not None:
            self._endpoint.stop()
        try:
            self.store.forget_scheduler(self.id)
        except StateError as exc:
            log.warning("could not remove this scheduler's heartbeat: %s", exc)
        for workspace in self._workspaces.values():
            workspace.close()
        if self.notifier is not None:
            self.notifier.close()
        log.info("scheduler %s stopped", self.id)

    @property
    def url(self) -> str | None:
        """Where ``/healthz`` and ``/metrics`` are served; None when they are not."""
        return None if self._endpoint is None else self._endpoint.url

    def next_fires(self) -> dict[str, datetime | None]:
        """When each scheduled sync fires next."""
        now = self.clock.now()
        return {name: next_fire(schedule, now) for name, schedule in self.schedules.items()}

    # -- health ----------------------------------------------------------------------

    def health(self) -> tuple[bool, dict[str, Any]]:
        """Whether this scheduler is working, and a JSON-able account of every sync.

        Unhealthy while stopping, when the scheduler's loop has stopped running its
        heartbeat, or when the state store does not answer.
        """
        problem = self._problem()
        try:
            statuses = {s.sync: s for s in self.store.status()}
        except StateError as exc:
            problem, statuses = problem or exc.message, {}
        fires = self.next_fires()
        document = {
            "status": "ok" if problem is None else "stopping" if self.stopping.is_set() else "down",
            "problem": problem,
            "scheduler": {
                "id": self.id,
                "host": this_host(),
                "started_at": self._started_at,
                "parallel_runs": self.settings.parallel_runs,
            },
            "syncs": [
                {
                    "sync": name,
                    "schedule": schedule.text,
                    "next_fire": fires[name],
                    "last_run": statuses[name].last_run if name in statuses else None,
                    "last_firing": statuses[name].last_firing if name in statuses else None,
                    "running": name in statuses and statuses[name].lock is not None,
                }
                for name, schedule in self.schedules.items()
            ],
        }
        return problem is None, to_jsonable_python(document)

    def _problem(self) -> str | None:
        if self.stopping.is_set():
            return "stopping"
        if not self._apscheduler.running or self._last_beat is None:
            return "not started"
        if self._beat_problem is not None:
            return f"the heartbeat failed: {self._beat_problem}"
        silent = self.clock.monotonic() - self._last_beat
        if silent > 2 * self.heartbeat.total_seconds():
            return f"the scheduler has not run its heartbeat for {silent:.0f}s"
        return None

    # -- internals -------------------------------------------------------------------

    def _build_apscheduler(self) -> BackgroundScheduler:
        workers = self.settings.parallel_runs
        scheduler = BackgroundScheduler(
            timezone=UTC,
            executors={"default": ThreadPoolExecutor(1), "firings": FiringExecutor(workers)},
            # The firer judges lateness itself; a sync may have a firing waiting to be
            # recorded as locked while its run goes on, so instances are not limited to 1.
            job_defaults={"coalesce": True, "max_instances": workers, "misfire_grace_time": None},
        )
        for name, schedule in self.schedules.items():
            scheduler.add_job(
                self.firer.fire,
                schedule.trigger(),
                args=(name, FIRE_TIME),
                id=f"sync:{name}",
                name=f"sync {name}",
                executor="firings",
            )
        scheduler.add_job(
            self._beat,
            IntervalTrigger(seconds=self.heartbeat.total_seconds(), timezone=UTC),
            id="heartbeat",
            name="heartbeat",
        )
        return scheduler

    def _report_alive(self) -> None:
        self.store.beat(self.id, ttl=self.heartbeat * _BEATS_TO_EXPIRE)
        self._beat_problem = None
        self._last_beat = self.clock.monotonic()

    def _beat(self) -> None:
        """The heartbeat job: its failure makes the scheduler unhealthy, not stop."""
        try:
            self._report_alive()
        except StateError as exc:
            self._beat_problem = exc.message
            log.warning("heartbeat: %s", exc)

    def _serve(self) -> HttpEndpoint | None:
        where = self.settings.metrics
        if where is None:
            return None
        try:
            endpoint = HttpEndpoint(application(self.metrics, self.health), where.host, where.port)
        except OSError as exc:
            loaded = self.workspace.loaded
            raise ConfigError(
                f"cannot listen on {where.host}:{where.port}: {exc.strerror or exc}",
                source=loaded.document.source,
                line=loaded.line("scheduler", "metrics"),
                location="scheduler.metrics",
                hint="choose a free port, and an address of this machine",
            ) from None
        log.info("serving /healthz and /metrics on %s", endpoint.url)
        return endpoint

    def _workspace_for(self, sync: str) -> Workspace:
        with self._lock:
            if sync not in self._workspaces:
                self._workspaces[sync] = Workspace(
                    self.workspace.loaded, clock=self.clock, store=self.store
                )
            return self._workspaces[sync]


def scheduled_syncs(loaded: LoadedConfig) -> dict[str, Schedule]:
    """The syncs of ``loaded`` that have a schedule, with it.

    Raises:
        ConfigError: none has one.
    """
    found = {s.name: parse_schedule(s.schedule) for s in loaded.config.syncs if s.schedule}
    if not found:
        raise ConfigError(
            "no sync has a schedule: the scheduler would have nothing to do",
            source=loaded.document.source,
            hint="give a sync a schedule, such as `schedule: every 15m` or `schedule: '0 6 * * *'`",
        )
    return found
