"""What crmsync remembers between runs: cursors, links, runs, failures, audit, locks and firings.

Open a :class:`StateStore` with :meth:`StateStore.connect`; it keeps its tables current
with the Alembic migrations shipped in ``crmsync/state/migrations``.
"""

from crmsync.state.store import StateStore
from crmsync.state.values import (
    COMPLETED,
    AuditAction,
    AuditEntry,
    AuditRow,
    BatchCommit,
    Failure,
    FailureWrite,
    Firing,
    FiringOutcome,
    Lease,
    Link,
    LinkStatus,
    LinkWrite,
    LockHolder,
    RunCounts,
    RunOutcome,
    RunRow,
    SchedulerProcess,
    SyncStatus,
)

__all__ = [
    "COMPLETED",
    "AuditAction",
    "AuditEntry",
    "AuditRow",
    "BatchCommit",
    "Failure",
    "FailureWrite",
    "Firing",
    "FiringOutcome",
    "Lease",
    "Link",
    "LinkStatus",
    "LinkWrite",
    "LockHolder",
    "RunCounts",
    "RunOutcome",
    "RunRow",
    "SchedulerProcess",
    "StateStore",
    "SyncStatus",
]
