"""The state store: what crmsync remembers between runs, on SQLite or PostgreSQL."""

from __future__ import annotations

import os
import secrets
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import asdict, replace
from datetime import datetime, timedelta
from types import TracebackType

from sqlalchemy import Connection, Engine, delete, func, insert, select, update

from crmsync.sdk.clock import SYSTEM_CLOCK, Clock
from crmsync.sdk.errors import StateError
from crmsync.sdk.records import Cursor
from crmsync.sdk.redact import REDACTOR
from crmsync.state import firings, heartbeats, locks, reports
from crmsync.state.batch import write_batch
from crmsync.state.database import dialect_insert, open_engine, translate_errors, writer
from crmsync.state.migrate import upgrade
from crmsync.state.schema import cursors, failures, links, runs, syncs
from crmsync.state.types import LazyJSON
from crmsync.state.values import (
    AuditRow,
    BatchCommit,
    Failure,
    Firing,
    FiringOutcome,
    Lease,
    Link,
    LinkStatus,
    RunCounts,
    RunOutcome,
    RunRow,
    SchedulerProcess,
    SyncStatus,
)

# Keeps each IN list well inside every database's limit on bound parameters.
_IN_CHUNK = 1000

_LINKS_SQL = (
    "SELECT source_id, target_id, fingerprint, field_hashes, status FROM links "
    "WHERE sync_id = {0} AND source_id IN ({1})"
)


class StateStore:
    """Cursors, links, runs, failures, audit and locks of every sync, in one database.

    Open one with :meth:`connect`. A store is safe to share between threads; several
    processes may share one database, coordinating through :meth:`acquire`.
    """

    def __init__(self, engine: Engine, *, clock: Clock, max_attempts: int) -> None:
        self._engine = engine
        self._writer = writer(engine)
        self._clock = clock
        self._max_attempts = max_attempts
        self._sync_ids: dict[str, int] = {}

    @classmethod
    def connect(
        cls,
        url: str,
        *,
        schema: str | None = None,
        clock: Clock = SYSTEM_CLOCK,
        max_attempts: int = 5,
    ) -> StateStore:
        """Open the store at ``url``, creating or upgrading its tables as needed.

        Args:
            url: a SQLAlchemy URL: ``sqlite:///path/state.db`` (the folder is created) or
                ``postgresql+psycopg://user:password@host:5432/database``.
            schema: the PostgreSQL schema to keep the tables in, created if missing.
            clock: where the store gets the time (leases, timestamps).
            max_attempts: failures of one record after which it is parked.

        Raises:
            StateError: the database cannot be reached or used; the message never holds
                the URL's password.
        """
        engine = open_engine(url, schema)
        try:
            with translate_errors(engine.url, "cannot open the state store"):
                upgrade(engine, schema)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, clock=clock, max_attempts=max_attempts)

    def close(self) -> None:
        """Close the store's database connections."""
        self._engine.dispose()

    def __enter__(self) -> StateStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- cursors and links ---------------------------------------------------------------

    def cursor(self, sync: str) -> Cursor | None:
        """Where the next incremental read of ``sync`` starts; None before its first run."""
        sync_id = self._sync_id(sync)
        if sync_id is None:
            return None
        with self._reading() as connection:
            row = connection.execute(
                select(cursors.c.updated_at, cursors.c.record_id).where(
                    cursors.c.sync_id == sync_id
                )
            ).one_or_none()
        return None if row is None else Cursor(row.updated_at, row.record_id)

    def links(self, sync: str, source_ids: Collection[str]) -> dict[str, Link]:
        """The links of those of ``source_ids`` that have one, by source id."""
        sync_id = self._sync_id(sync)
        if sync_id is None or not source_ids:
            return {}
        ids = list(source_ids)
        found: dict[str, Link] = {}
        with self._reading() as connection:
            marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
            for start in range(0, len(ids), _IN_CHUNK):
                chunk = ids[start : start + _IN_CHUNK]
                # The engine's hot path: the driver's rows as they are (SQLAlchemy's row
                # processing costs several times what the database does).
                sql = _LINKS_SQL.format(marker, ", ".join([marker] * len(chunk)))
                for source_id, target_id, digest, hashes, status in connection.exec_driver_sql(
                    sql, (sync_id, *chunk)
                ):
                    found[source_id] = Link(
                        source_id, target_id, digest, LazyJSON(hashes), LinkStatus(status)
                    )
        return found

    def link_count(self, sync: str, status: LinkStatus = LinkStatus.LINKED) -> int:
        """How many of ``sync``'s links have ``status``."""
        sync_id = self._sync_id(sync)
        if sync_id is None:
            return 0
        with self._reading() as connection:
            count = connection.scalar(
                select(func.count()).where(links.c.sync_id == sync_id, links.c.status == status)
            )
        return count or 0

    # -- locks -------------------------------------------------------------------------

    def acquire(self, sync: str, *, lease: timedelta, owner: str | None = None) -> Lease:
        """Take the lock of ``sync`` for ``lease``, or take it over from a holder that is gone.

        A holder is gone when its lease has expired, or when it ran on this host and its
        process no longer exists. Runs a gone holder left unfinished are marked interrupted.

        Args:
            sync: the sync to lock.
            lease: how long the lock holds without a ``renew`` or ``commit``.
            owner: who is asking (``scheduler``, ``cli``), shown to whoever is refused.

        Raises:
            SyncLockedError: another live run holds the lock.
        """
        sync_id = self._ensure_sync(sync)
        now = self._clock.now()
        granted = Lease(sync, secrets.token_hex(16), now + lease, lease)
        row = {
            "sync_id": sync_id,
            "token": granted.token,
            "owner": owner,
            "host": locks.this_host(),
            "pid": os.getpid(),
            "acquired_at": now,
            "expires_at": granted.expires_at,
        }
        with self._writing() as connection:
            locks.take(connection, sync, row)
            connection.execute(
                update(runs)
                .where(runs.c.sync_id == sync_id, runs.c.outcome == RunOutcome.RUNNING)
                .values(
                    outcome=RunOutcome.INTERRUPTED,
                    finished_at=now,
                    message="stopped without finishing; found by the next run",
                )
            )
        return granted

    def renew(self, lease: Lease) -> Lease:
        """Extend ``lease`` by its duration from now.

        Raises:
            StateError: the lock was taken over; the run must stop.
        """
        sync_id = self._ensure_sync(lease.sync)
        renewed = replace(lease, expires_at=self._clock.now() + lease.duration)
        with self._writing() as connection:
            self._fence(connection, sync_id, renewed)
        return renewed

    def release(self, lease: Lease) -> None:
        """Give up the lock; nothing happens if it was already taken over."""
        sync_id = self._ensure_sync(lease.sync)
        with self._writing() as connection:
            locks.release(connection, sync_id, lease.token)

    # -- runs --------------------------------------------------------------------------

    def start_run(self, lease: Lease, kind: str) -> int:
        """Record that a run of ``kind`` (``run``, ``full-refresh``, ...) starts; its id.

        Raises:
            StateError: ``lease`` lost the lock.
        """
        sync_id = self._ensure_sync(lease.sync)
        now = self._clock.now()
        with self._writing() as connection:
            self._fence(connection, sync_id, replace(lease, expires_at=now + lease.duration))
            key = connection.execute(
                insert(runs).values(
                    sync_id=sync_id,
                    kind=kind,
                    outcome=RunOutcome.RUNNING,
                    started_at=now,
                    host=locks.this_host(),
                    pid=os.getpid(),
                    lease_token=lease.token,
                    **asdict(RunCounts()),
                )
            ).inserted_primary_key
        assert key is not None
        run_id: int = key.id
        return run_id

    def commit(
        self, lease: Lease, run_id: int, batch: BatchCommit, *, max_attempts: int | None = None
    ) -> None:
        """Store one written batch in one transaction, if ``lease`` still holds the lock.

        Also extends the lease by its duration, so a run that commits often need not renew.
        ``max_attempts`` (the sync's own limit) overrides the store's for parking failures.

        Raises:
            StateError: ``lease`` lost the lock (nothing is stored), or the database failed.
        """
        sync_id = self._ensure_sync(lease.sync)
        now = self._clock.now()
        with self._writing() as connection:
            self._fence(connection, sync_id, replace(lease, expires_at=now + lease.duration))
            write_batch(
                connection,
                batch,
                sync_id=sync_id,
                run_id=run_id,
                now=now,
                max_attempts=max_attempts or self._max_attempts,
            )

    def finish_run(
        self, run_id: int, outcome: str, counts: RunCounts, message: str | None = None
    ) -> None:
        """Record how run ``run_id`` ended.

        Args:
            run_id: from :meth:`start_run`.
            outcome: a :class:`RunOutcome` other than ``running``.
            counts: what the run did.
            message: why it failed or was guarded, for ``crmsync runs``.
        """
        ended = RunOutcome(outcome)
        if ended is RunOutcome.RUNNING:
            raise ValueError("a finished run needs an outcome other than 'running'")
        now = self._clock.now()
        with self._writing() as connection:
            started = connection.scalar(select(runs.c.started_at).where(runs.c.id == run_id))
            if started is None:
                raise StateError(f"there is no run {run_id}")
            connection.execute(
                update(runs)
                .where(runs.c.id == run_id)
                .values(
                    outcome=ended,
                    finished_at=now,
                    duration_ms=(now - started) // timedelta(milliseconds=1),
                    message=None if message is None else REDACTOR.redact(message),
                    **asdict(counts),
                )
            )

    def runs(self, sync: str | None = None, *, limit: int = 20) -> list[RunRow]:
        """The newest ``limit`` runs of ``sync`` (or of every sync), newest first."""
        sync_id = None if sync is None else self._sync_id(sync)
        if sync is not None and sync_id is None:
            return []
        with self._reading() as connection:
            return reports.runs(connection, sync_id, limit=limit)

    # -- failures ----------------------------------------------------------------------

    def failures(self, sync: str | None = None, *, include_parked: bool = True) -> list[Failure]:
        """The failing records of ``sync`` (or of every sync), by sync and source id."""
        sync_id = None if sync is None else self._sync_id(sync)
        if sync is not None and sync_id is None:
            return []
        with self._reading() as connection:
            return reports.failures(connection, sync_id, include_parked=include_parked)

    def unpark(self, sync: str) -> int:
        """Give the parked records of ``sync`` a fresh set of attempts; how many there were."""
        sync_id = self._sync_id(sync)
        if sync_id is None:
            return 0
        with self._writing() as connection:
            result = connection.execute(
                update(failures)
                .where(failures.c.sync_id == sync_id, failures.c.parked.is_(True))
                .values(parked=False, attempts=0)
            )
        return result.rowcount

    def failure_count(self, sync: str) -> int:
        """How many records of ``sync`` are in the failures table, parked ones included."""
        sync_id = self._sync_id(sync)
        if sync_id is None:
            return 0
        with self._reading() as connection:
            count = connection.scalar(select(func.count()).where(failures.c.sync_id == sync_id))
        return count or 0

    # -- scheduled firings and the schedulers ------------------------------------------

    def claim_firing(self, sync: str, fire_time: datetime) -> bool:
        """Claim the firing of ``sync`` scheduled at ``fire_time`` for this process.

        Of all the processes that claim one firing, exactly one gets True: it runs the
        sync and then calls :meth:`finish_firing`. The others get False.
        """
        sync_id = self._ensure_sync(sync)
        with self._writing() as connection:
            return firings.claim(connection, sync_id, fire_time, self._clock.now())

    def finish_firing(
        self,
        sync: str,
        fire_time: datetime,
        outcome: FiringOutcome,
        *,
        run_id: int | None = None,
        message: str | None = None,
    ) -> None:
        """Record what became of a firing this process claimed.

        Args:
            sync: the sync fired.
            fire_time: the firing's scheduled time, as claimed.
            outcome: anything but ``claimed``.
            run_id: the run it started (outcome ``ran``).
            message: why it did not run (``locked``, ``error``); secrets are masked.
        """
        if outcome is FiringOutcome.CLAIMED:
            raise ValueError("a finished firing needs an outcome other than 'claimed'")
        sync_id = self._ensure_sync(sync)
        values = {
            "outcome": outcome,
            "finished_at": self._clock.now(),
            "run_id": run_id,
            "message": None if message is None else REDACTOR.redact(message),
        }
        with self._writing() as connection:
            firings.finish(connection, sync_id, fire_time, values)

    def firings(self, sync: str | None = None, *, limit: int = 20) -> list[Firing]:
        """The newest ``limit`` firings of ``sync`` (or of every sync), newest first."""
        sync_id = None if sync is None else self._sync_id(sync)
        if sync is not None and sync_id is None:
            return []
        with self._reading() as connection:
            return firings.listed(connection, sync_id, limit=limit)

    def beat(self, scheduler_id: str, *, ttl: timedelta) -> None:
        """Report scheduler ``scheduler_id`` (this process) alive for ``ttl`` from now."""
        now = self._clock.now()
        with self._writing() as connection:
            heartbeats.beat(connection, scheduler_id, now, now + ttl)

    def forget_scheduler(self, scheduler_id: str) -> None:
        """Remove the heartbeat of a scheduler that stops cleanly."""
        with self._writing() as connection:
            heartbeats.forget(connection, scheduler_id)

    def schedulers(self) -> list[SchedulerProcess]:
        """The scheduler processes whose heartbeat has not expired, oldest first."""
        with self._reading() as connection:
            return heartbeats.alive(connection, self._clock.now())

    # -- reading for people ------------------------------------------------------------

    def status(self) -> list[SyncStatus]:
        """Where every sync the store knows stands, by name."""
        with self._reading() as connection:
            return reports.status(connection)

    def audit(self, sync: str, *, source_id: str | None = None, limit: int = 100) -> list[AuditRow]:
        """What runs of ``sync`` did to target records (or to ``source_id``'s), newest first."""
        sync_id = self._sync_id(sync)
        if sync_id is None:
            return []
        with self._reading() as connection:
            return reports.audit(connection, sync_id, source_id=source_id, limit=limit)

    def reset(self, sync: str) -> None:
        """Forget the cursor, links and failures of ``sync``; its runs and audit stay.

        Raises:
            SyncLockedError: a run of ``sync`` holds its lock.
        """
        sync_id = self._sync_id(sync)
        if sync_id is None:
            return
        with self._writing() as connection:
            holder = locks.holder(connection, sync_id, for_update=True)
            if holder is not None and not locks.abandoned(holder, self._clock.now()):
                raise locks.locked_error(sync, holder)
            for table in (cursors, links, failures):
                connection.execute(delete(table).where(table.c.sync_id == sync_id))

    # -- internals ---------------------------------------------------------------------

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        with (
            translate_errors(self._engine.url, "the state store failed"),
            self._engine.connect() as connection,
        ):
            yield connection

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        with (
            translate_errors(self._engine.url, "the state store failed"),
            self._writer.begin() as connection,
        ):
            yield connection

    @staticmethod
    def _fence(connection: Connection, sync_id: int, lease: Lease) -> None:
        """Extend ``lease`` to its ``expires_at`` inside the caller's transaction.

        Raises:
            StateError: another run took the lock over; the caller's writes roll back.
        """
        if not locks.extend(connection, sync_id, lease.token, lease.expires_at):
            raise StateError(
                f"lost the lock on sync {lease.sync!r}: another run took it over",
                hint="its lease ran out before it was renewed; this run must stop, and what it "
                "had not committed is not saved",
            )

    def _sync_id(self, sync: str) -> int | None:
        """The id of ``sync``; None when the store has never seen it."""
        sync_id = self._sync_ids.get(sync)
        if sync_id is None:
            with self._reading() as connection:
                sync_id = connection.scalar(select(syncs.c.id).where(syncs.c.name == sync))
            if sync_id is not None:
                self._sync_ids[sync] = sync_id
        return sync_id

    def _ensure_sync(self, sync: str) -> int:
        """The id of ``sync``, registering the sync on first use."""
        sync_id = self._sync_id(sync)
        if sync_id is None:
            with self._writing() as connection:
                insert_name = dialect_insert(connection.dialect, syncs).values(name=sync)
                connection.execute(insert_name.on_conflict_do_nothing())
                sync_id = connection.scalar(select(syncs.c.id).where(syncs.c.name == sync))
            assert sync_id is not None
            self._sync_ids[sync] = sync_id
        return sync_id
