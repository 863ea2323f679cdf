"""Every error crmsync raises, grouped by what the caller must do about it.

::

    CrmsyncError                 root; ``str(err)`` is a user-facing message without secrets
    ├── ConfigError              fix the configuration, field map or command line
    │   └── NotSupportedError    the object type lacks a capability the sync needs
    ├── AuthError                credentials are missing, wrong or expired
    ├── ApiError                 a vendor call failed; ``status`` and ``blame`` say how
    │   ├── RateLimitedError     slow down; ``retry_after`` seconds when the vendor said
    │   ├── TransientApiError    try again later (5xx, timeouts, dropped connections)
    │   └── ApiRequestError      the request itself is wrong; retrying will not help
    ├── RecordRejectedError      this one record is bad; park it and carry on
    └── StateError               the state store refuses (schema, lock, lease)
        └── SyncLockedError      another run of the same sync holds the lock

Connectors raise these (never bare ``requests`` errors) so that the engine can decide
between retrying, failing the run, and parking one record while its batch-mates land.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum


class Blame(StrEnum):
    """Who has to act for a failed call to succeed."""

    USER = "user"  # configuration, credentials, permissions, bad data
    VENDOR = "vendor"  # outage, throttling
    CRMSYNC = "crmsync"  # a request we built wrongly: a bug to report


class CrmsyncError(Exception):
    """Root of crmsync's errors.

    Args:
        message: what went wrong, in words an admin understands. Never include secrets.
        hint: what to do about it, when there is something to do.
    """

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if self.hint is None else f"{self.message}\n  hint: {self.hint}"


class ConfigError(CrmsyncError):
    """The configuration, a field map or a command-line argument is invalid.

    Args:
        message: the problem.
        source: the file (or ``--option``) the problem is in.
        location: the key path inside it, e.g. ``syncs[1].mapping``.
        line: the 1-based line in ``source`` when known.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        location: str | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.source = source
        self.location = location
        self.line = line
        self.problems: tuple[ConfigError, ...] = (self,)
        super().__init__(message, hint=hint)

    def __str__(self) -> str:
        where = ""
        if self.source is not None:
            where = self.source if self.line is None else f"{self.source}:{self.line}"
        if self.location:
            where = f"{where}: {self.location}" if where else self.location
        text = f"{where}: {self.message}" if where else self.message
        return text if self.hint is None else f"{text}\n  hint: {self.hint}"

    @classmethod
    def combine(cls, problems: Sequence[ConfigError]) -> ConfigError:
        """One error reporting every problem found, so a user fixes them in one pass."""
        if len(problems) == 1:
            return problems[0]
        error = cls(f"{len(problems)} problems:\n" + "\n".join(f"- {p}" for p in problems))
        error.problems = tuple(problems)
        return error


class NotSupportedError(ConfigError):
    """An object type was asked for something it cannot do (e.g. upsert, incremental read)."""


class AuthError(CrmsyncError):
    """Credentials are missing, invalid, expired or lack a permission."""


class ApiError(CrmsyncError):
    """A call to a vendor API failed.

    Args:
        message: what failed, e.g. ``POST /crm/v3/objects/contacts/batch/upsert returned 503``.
        status: the HTTP status, if a response arrived.
        blame: who must act.
    """

    blame_default = Blame.VENDOR

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        blame: Blame | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.blame = blame or self.blame_default


class RateLimitedError(ApiError):
    """The vendor throttled us. ``retry_after`` is the wait it asked for, in seconds."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        status: int | None = 429,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, status=status, blame=Blame.VENDOR, hint=hint)
        self.retry_after = retry_after


class TransientApiError(ApiError):
    """A failure that is likely to pass: 5xx, timeout, connection reset."""


class ApiRequestError(ApiError):
    """The vendor rejected a request as malformed; retrying the same request cannot help."""

    blame_default = Blame.CRMSYNC


class RecordRejectedError(CrmsyncError):
    """One record cannot be written or mapped; the rest of its batch can.

    Args:
        message: the vendor's (or the mapper's) own explanation.
        code: a short machine-readable reason, e.g. ``VALIDATION_ERROR``, when known.
    """

    def __init__(self, message: str, *, code: str | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.code = code


class StateError(CrmsyncError):
    """The state store cannot do what was asked (unreachable, wrong schema, lost lease)."""


class SyncLockedError(StateError):
    """Another run of this sync holds its lock."""
