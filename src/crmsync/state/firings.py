"""Scheduled firings: each (sync, fire time) is claimed by exactly one scheduler process.

Every scheduler process computes the same fire times and tries to claim each one with an
INSERT that only one of them can win (the table's key is the sync and the fire time); the
losers count themselves in ``contenders``. The winner records what became of the firing.
A winner that dies leaves its firing ``claimed``; the next firing of the sync that gets
to run (and so found the lock free, or took it over) marks it ``interrupted``, naming the
run it had started.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, Select, and_, func, select, update

from crmsync.state.database import dialect_insert
from crmsync.state.locks import this_host
from crmsync.state.schema import firings, runs, syncs
from crmsync.state.values import Firing, FiringOutcome, RunOutcome


def claim(connection: Connection, sync_id: int, fire_time: datetime, now: datetime) -> bool:
    """Claim the firing; False when another scheduler already has (it is then counted)."""
    row = {
        "sync_id": sync_id,
        "fire_time": fire_time,
        "outcome": FiringOutcome.CLAIMED,
        "host": this_host(),
        "pid": os.getpid(),
        "claimed_at": now,
        "contenders": 1,
    }
    statement = dialect_insert(connection.dialect, firings).values(row).on_conflict_do_nothing()
    result = connection.execute(statement, execution_options={"preserve_rowcount": True})
    if result.rowcount == 1:
        return True
    connection.execute(
        update(firings).where(_key(sync_id, fire_time)).values(contenders=firings.c.contenders + 1)
    )
    return False


def finish(
    connection: Connection,
    sync_id: int,
    fire_time: datetime,
    values: dict[str, Any],
) -> None:
    """Record how the firing ended; a firing that ran also settles older abandoned claims."""
    connection.execute(update(firings).where(_key(sync_id, fire_time)).values(values))
    if values["outcome"] is FiringOutcome.RAN:
        _settle_abandoned(connection, sync_id, fire_time, values["finished_at"])


def _settle_abandoned(
    connection: Connection, sync_id: int, fire_time: datetime, now: datetime
) -> None:
    """Mark earlier firings still ``claimed`` as interrupted.

    This firing's run took the sync's lock, so whoever claimed an earlier firing is no
    longer running it: it died (its run was marked interrupted by the takeover) or it is
    about to record its own outcome, which then overwrites this one.
    """
    their_run = (
        select(runs.c.id)
        .where(
            runs.c.sync_id == firings.c.sync_id,
            runs.c.host == firings.c.host,
            runs.c.pid == firings.c.pid,
            runs.c.started_at >= firings.c.claimed_at,
            runs.c.outcome == RunOutcome.INTERRUPTED,
        )
        .order_by(runs.c.id)
        .limit(1)
        .scalar_subquery()
    )
    connection.execute(
        update(firings)
        .where(
            firings.c.sync_id == sync_id,
            firings.c.fire_time < fire_time,
            firings.c.outcome == FiringOutcome.CLAIMED,
        )
        .values(
            outcome=FiringOutcome.INTERRUPTED,
            finished_at=now,
            run_id=their_run,
            message="its scheduler stopped before recording how it ended",
        )
    )


def listed(connection: Connection, sync_id: int | None, *, limit: int) -> list[Firing]:
    """The newest ``limit`` firings of one sync (or of all), newest first."""
    query = _query().order_by(firings.c.fire_time.desc(), syncs.c.name).limit(limit)
    if sync_id is not None:
        query = query.where(firings.c.sync_id == sync_id)
    return [_firing(row) for row in connection.execute(query)]


def latest(connection: Connection) -> dict[int, Firing]:
    """The newest firing of each sync that has one, by sync id."""
    newest = (
        select(firings.c.sync_id, func.max(firings.c.fire_time).label("fire_time"))
        .group_by(firings.c.sync_id)
        .subquery()
    )
    query = _query().join(
        newest,
        and_(newest.c.sync_id == firings.c.sync_id, newest.c.fire_time == firings.c.fire_time),
    )
    return {row.sync_id: _firing(row) for row in connection.execute(query)}


def fire_time_of_run() -> Any:
    """A scalar subquery: the fire time of the firing that started ``runs.id``, if any."""
    return (
        select(firings.c.fire_time)
        .where(firings.c.run_id == runs.c.id)
        .limit(1)
        .scalar_subquery()
        .label("fire_time")
    )


def _key(sync_id: int, fire_time: datetime) -> Any:
    return and_(firings.c.sync_id == sync_id, firings.c.fire_time == fire_time)


def _query() -> Select[Any]:
    return select(syncs.c.name.label("sync"), firings).join_from(firings, syncs)


def _firing(row: Row[Any]) -> Firing:
    values = dict(row._mapping)
    del values["sync_id"]
    return Firing(**values | {"outcome": FiringOutcome(row.outcome)})
