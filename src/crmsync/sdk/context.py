"""What the engine hands a connector: the clock, the HTTP factory, counting and redaction."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from crmsync.sdk.clock import SYSTEM_CLOCK, Clock
from crmsync.sdk.redact import REDACTOR, Redactor
from crmsync.sdk.usage import RequestCounter

if TYPE_CHECKING:
    import requests

    from crmsync.sdk.auth import Auth
    from crmsync.sdk.errors import CrmsyncError
    from crmsync.sdk.http import HttpClient, RetryPolicy, Timeout
    from crmsync.sdk.ratelimit import Rate, RateLimiter


@dataclass
class ConnectorContext:
    """Services a connector gets from whoever runs it (engine, CLI, tests).

    Attributes:
        connection: the connection's name in crmsync.yaml; requests are counted under it.
        base_dir: relative paths in settings resolve against it (the config's folder).
        clock: time source; tests inject a fake so waits cost nothing.
        counter: the API-call counter the engine reports per run.
        redactor: where secrets obtained at run time (refreshed tokens) are registered.
        session: what every client built by :meth:`http` sends through unless given its
            own; tests pass ``crmsync.testing.emulator.wsgi_session(emulator)``.
    """

    connection: str
    base_dir: Path = field(default_factory=Path.cwd)
    clock: Clock = SYSTEM_CLOCK
    counter: RequestCounter = field(default_factory=RequestCounter)
    redactor: Redactor = REDACTOR
    session: requests.Session | None = None

    @property
    def logger(self) -> logging.Logger:
        return logging.getLogger(f"crmsync.connection.{self.connection}")

    def path(self, value: str | Path) -> Path:
        """``value`` resolved against ``base_dir`` unless it is absolute."""
        candidate = Path(value).expanduser()
        return candidate if candidate.is_absolute() else self.base_dir / candidate

    def limiter(self, credential: str, rates: Sequence[Rate]) -> RateLimiter:
        """The rate limiter shared by every client using ``credential`` in this process.

        ``credential`` is hashed before use as a key; it is never stored or logged.
        """
        from crmsync.sdk.ratelimit import shared_limiter

        return shared_limiter(credential, rates, clock=self.clock)

    def http(
        self,
        base_url: str,
        *,
        auth: Auth | None = None,
        limiter: RateLimiter | None = None,
        retry: RetryPolicy | None = None,
        timeout: Timeout | None = None,
        classify: Callable[[requests.Response], CrmsyncError | None] | None = None,
        session: requests.Session | None = None,
    ) -> HttpClient:
        """An HTTP client wired to this context's clock, counter and redactor."""
        from crmsync.sdk.http import HttpClient

        return HttpClient(
            base_url,
            name=self.connection,
            clock=self.clock,
            counter=self.counter,
            redactor=self.redactor,
            auth=auth,
            limiter=limiter,
            retry=retry,
            timeout=timeout,
            classify=classify,
            session=session if session is not None else self.session,
        )
