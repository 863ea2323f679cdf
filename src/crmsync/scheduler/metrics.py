"""The scheduler's Prometheus metrics, in a registry of its own.

Counters and the duration histogram count what this process did, so sum them over every
scheduler process. Gauges (failing, parked and linked records, the last success, the
next firing, live schedulers) are read from the state store when scraped, so every
process reports the same values for them, whichever process ran the sync.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import fields

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.process_collector import ProcessCollector

from crmsync.engine.reports import RunReport
from crmsync.scheduler.triggers import next_fire
from crmsync.schedules import Schedule
from crmsync.sdk.clock import Clock
from crmsync.sdk.errors import StateError
from crmsync.state import FiringOutcome, RunCounts, RunOutcome, StateStore

log = logging.getLogger("crmsync.scheduler")

ACTIONS = tuple(f.name for f in fields(RunCounts) if f.name != "api_calls")
# Firings this process did not run: another scheduler claimed them, or it was too late.
TAKEN = "taken"
MISSED = "missed"
FIRING_OUTCOMES = (FiringOutcome.RAN, FiringOutcome.LOCKED, FiringOutcome.ERROR, TAKEN, MISSED)
_DURATION_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, float("inf"))


class Metrics:
    """What the scheduler exposes on ``/metrics``.

    Args:
        store: where the gauges are read at each scrape.
        schedules: the scheduled syncs, by name.
        clock: for the next fire times.
    """

    def __init__(self, store: StateStore, schedules: Mapping[str, Schedule], clock: Clock) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.runs = Counter(
            "crmsync_runs",
            "Runs started by this scheduler, by sync and outcome.",
            ["sync", "outcome"],
            registry=self.registry,
        )
        self.records = Counter(
            "crmsync_records",
            "Records handled by this scheduler's runs, by sync and what was done with them.",
            ["sync", "action"],
            registry=self.registry,
        )
        self.api_calls = Counter(
            "crmsync_api_calls",
            "API calls made by this scheduler's runs, by sync and connection.",
            ["sync", "connection"],
            registry=self.registry,
        )
        self.firings = Counter(
            "crmsync_firings",
            "Scheduled firings seen by this scheduler, by sync and what became of them.",
            ["sync", "outcome"],
            registry=self.registry,
        )
        self.notifications = Counter(
            "crmsync_notifications",
            "Failure notifications posted (sent) or lost after retries (failed).",
            ["outcome"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "crmsync_run_duration_seconds",
            "How long this scheduler's runs took, by sync.",
            ["sync"],
            buckets=_DURATION_BUCKETS,
            registry=self.registry,
        )
        for sync in schedules:
            for outcome in RunOutcome:
                if outcome is not RunOutcome.RUNNING:
                    self.runs.labels(sync, outcome.value)
            for action in ACTIONS:
                self.records.labels(sync, action)
            for fate in FIRING_OUTCOMES:
                self.firings.labels(sync, fate)
            self.duration.labels(sync)
        for delivery in ("sent", "failed"):
            self.notifications.labels(delivery)
        self.registry.register(_StoreCollector(store, schedules, clock))
        ProcessCollector(registry=self.registry)

    def observe(self, report: RunReport) -> None:
        """Count a finished run."""
        self.runs.labels(report.sync, report.outcome.value).inc()
        for action in ACTIONS:
            self.records.labels(report.sync, action).inc(getattr(report.counts, action))
        for connection, calls in report.api_calls.items():
            self.api_calls.labels(report.sync, connection).inc(calls)
        self.duration.labels(report.sync).observe(report.duration_s)

    def fired(self, sync: str, outcome: str) -> None:
        """Count a firing by what became of it: one of :data:`FIRING_OUTCOMES`."""
        self.firings.labels(sync, outcome).inc()

    def notified(self, sent: bool) -> None:
        self.notifications.labels("sent" if sent else "failed").inc()

    def exposition(self) -> bytes:
        """The registry in Prometheus' text format."""
        return generate_latest(self.registry)


class _StoreCollector:
    """Gauges read from the state store at each scrape."""

    def __init__(self, store: StateStore, schedules: Mapping[str, Schedule], clock: Clock) -> None:
        self.store, self.schedules, self.clock = store, schedules, clock

    def describe(self) -> Iterable[Metric]:
        return self._families()

    def collect(self) -> Iterator[Metric]:
        families = self._families()
        up = families.pop()
        try:
            statuses = {s.sync: s for s in self.store.status()}
            schedulers = len(self.store.schedulers())
        except StateError as exc:
            log.warning("metrics: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        failing, parked, linked, success, upcoming, alive = families
        now = self.clock.now()
        for sync, schedule in self.schedules.items():
            state = statuses.get(sync)
            failing.add_metric([sync], state.failures if state else 0)
            parked.add_metric([sync], state.parked if state else 0)
            linked.add_metric([sync], state.links if state else 0)
            if state is not None and state.last_completed is not None:
                success.add_metric([sync], state.last_completed.timestamp())
            fire = next_fire(schedule, now)
            if fire is not None:
                upcoming.add_metric([sync], fire.timestamp())
        alive.add_metric([], schedulers)
        up.add_metric([], 1)
        yield from (*families, up)

    @staticmethod
    def _families() -> list[GaugeMetricFamily]:
        def gauge(
            name: str, documentation: str, labels: tuple[str, ...] = ("sync",)
        ) -> GaugeMetricFamily:
            return GaugeMetricFamily(name, documentation, labels=list(labels))

        return [
            gauge("crmsync_failing_records", "Records in the failures table still retried."),
            gauge("crmsync_parked_records", "Failed records parked until `crmsync retry`."),
            gauge("crmsync_linked_records", "Source records linked to a target record."),
            gauge(
                "crmsync_last_success_timestamp_seconds",
                "When the newest run that got through all its records (succeeded or "
                "partial) finished.",
            ),
            gauge("crmsync_next_fire_timestamp_seconds", "When the sync fires next."),
            gauge("crmsync_schedulers", "Scheduler processes with a live heartbeat.", ()),
            gauge("crmsync_state_store_up", "1 if the state store answered this scrape.", ()),
        ]
