"""Documented exit codes, so scripts and schedulers can react to what happened."""

from __future__ import annotations

from enum import IntEnum

from crmsync.sdk.errors import (
    ApiError,
    AuthError,
    ConfigError,
    CrmsyncError,
    StateError,
    SyncLockedError,
)
from crmsync.state import RunOutcome


class ExitCode(IntEnum):
    OK = 0  # done; for `plan`: nothing to change
    ERROR = 1  # unexpected error (a bug: please report it with --log-level debug output)
    USAGE = 2  # bad command line, config or field map
    CHANGES = 3  # `plan` only: the sync has changes to write
    PARTIAL = 4  # the run finished but some records failed (see `crmsync failures`)
    LOCKED = 5  # another run of the sync is in progress
    GUARDED = 6  # a mass-change guard stopped the run before writing
    AUTH = 7  # credentials rejected
    FAILED = 8  # the run stopped on an API or state store error
    INTERRUPTED = 130  # stopped by Ctrl-C / SIGTERM after recording its progress


def for_error(error: CrmsyncError) -> ExitCode:
    # SyncLockedError is a StateError: test it first.
    table: list[tuple[type[CrmsyncError], ExitCode]] = [
        (ConfigError, ExitCode.USAGE),
        (SyncLockedError, ExitCode.LOCKED),
        (AuthError, ExitCode.AUTH),
        (ApiError, ExitCode.FAILED),
        (StateError, ExitCode.FAILED),
    ]
    return next((code for kind, code in table if isinstance(error, kind)), ExitCode.ERROR)


def for_outcome(outcome: RunOutcome) -> ExitCode:
    return {
        RunOutcome.SUCCEEDED: ExitCode.OK,
        RunOutcome.PARTIAL: ExitCode.PARTIAL,
        RunOutcome.FAILED: ExitCode.FAILED,
        RunOutcome.GUARDED: ExitCode.GUARDED,
        RunOutcome.INTERRUPTED: ExitCode.INTERRUPTED,
    }[outcome]
