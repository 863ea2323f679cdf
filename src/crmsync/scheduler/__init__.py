"""Scheduled syncs: ``crmsync scheduler`` and what it serves.

:class:`Scheduler` fires each sync that has a ``schedule``; several processes may share
one state store, and each firing runs exactly once across them.
"""

from crmsync.scheduler.service import HEARTBEAT, Scheduler, scheduled_syncs
from crmsync.scheduler.triggers import next_fire

__all__ = ["HEARTBEAT", "Scheduler", "next_fire", "scheduled_syncs"]
