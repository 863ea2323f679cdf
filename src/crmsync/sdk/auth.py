"""How a client proves who it is: static tokens, HTTP Basic, and OAuth tokens that expire.

Every helper registers the secrets it handles with a :class:`~crmsync.sdk.redact.Redactor`
as soon as it sees them, so they are masked in logs and errors from then on.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

from pydantic import SecretStr

from crmsync.sdk.clock import Clock
from crmsync.sdk.redact import Redactor


class Auth(Protocol):
    """What :class:`~crmsync.sdk.http.HttpClient` asks of an authentication scheme."""

    def headers(self) -> Mapping[str, str]:
        """Headers to send with the next request; may fetch a new token first."""
        ...

    def refresh(self) -> bool:
        """Called after a 401. True if new credentials were obtained and a resend may pass.

        Must be single-flight: concurrent callers share one refresh and its outcome.
        """
        ...


def _reveal(value: str | SecretStr) -> str:
    return value.get_secret_value() if isinstance(value, SecretStr) else value


class BearerToken:
    """A long-lived token sent as ``Authorization: <scheme> <token>``.

    Args:
        token: the token (private-app token, API key).
        redactor: where the token is registered as a secret.
        scheme: the authorization scheme, ``Bearer`` unless the vendor differs.
    """

    def __init__(self, token: str | SecretStr, redactor: Redactor, *, scheme: str = "Bearer"):
        value = _reveal(token)
        redactor.add(value)
        self._headers = {"Authorization": f"{scheme} {value}"}

    def headers(self) -> Mapping[str, str]:
        return self._headers

    def refresh(self) -> bool:
        """A static token cannot be renewed."""
        return False


class BasicAuth:
    """HTTP Basic authentication.

    Args:
        username: the user name, or an API key for vendors that put the key there
            (pass a ``SecretStr`` and it is treated as a secret too).
        password: the password or API secret.
        redactor: where the password and the encoded header value are registered.
    """

    def __init__(
        self, username: str | SecretStr, password: str | SecretStr, redactor: Redactor
    ) -> None:
        user, secret = _reveal(username), _reveal(password)
        encoded = base64.b64encode(f"{user}:{secret}".encode()).decode("ascii")
        redactor.add(secret, encoded, username if isinstance(username, SecretStr) else None)
        self._headers = {"Authorization": f"Basic {encoded}"}

    def headers(self) -> Mapping[str, str]:
        return self._headers

    def refresh(self) -> bool:
        """Fixed credentials cannot be renewed."""
        return False


@dataclass(frozen=True, slots=True)
class TokenGrant:
    """What a token endpoint returned.

    Attributes:
        access_token: the token to send.
        expires_in: its lifetime in seconds, or None when the vendor does not say
            (Salesforce); such tokens are renewed only after a 401.
        refresh_token: a rotated refresh token, when the vendor issued one.
    """

    access_token: str = field(repr=False)
    expires_in: float | None
    refresh_token: str | None = field(default=None, repr=False)


class RefreshingToken:
    """An OAuth access token renewed ahead of expiry and after a 401.

    Tokens live in memory only. Renewals are serialised by a lock, and a 401 that arrives
    after another thread already renewed (or tried to) shares that outcome instead of
    asking the token endpoint again: vendors throttle refreshes (Zoho allows 10 per
    10 minutes).

    Args:
        fetch: obtains a new grant, e.g. by POSTing to ``/oauth/v1/token``; may raise
            AuthError. It must not use this object for its own request.
        clock: the time source for expiry.
        redactor: where every token obtained is registered.
        skew: how long before expiry to renew.
        scheme: the authorization scheme (Zoho wants ``Zoho-oauthtoken``).
    """

    def __init__(
        self,
        fetch: Callable[[], TokenGrant],
        clock: Clock,
        redactor: Redactor,
        skew: timedelta = timedelta(seconds=60),
        *,
        scheme: str = "Bearer",
    ) -> None:
        self._fetch = fetch
        self._clock = clock
        self._redactor = redactor
        self._skew = skew.total_seconds()
        self._scheme = scheme
        self._lock = threading.Lock()
        self._token: str | None = None
        self._renew_at: float | None = None
        self._fetches = 0
        self._last_fetch_ok = False
        # Per thread: how many fetches had run when it last took headers, so that its 401
        # can tell whether a renewal has happened since.
        self._sent = threading.local()

    def headers(self) -> Mapping[str, str]:
        with self._lock:
            token = self._token
            if token is None or self._expiring():
                token = self._renew()
            self._sent.fetches = self._fetches
        return {"Authorization": f"{self._scheme} {token}"}

    def refresh(self) -> bool:
        fetches_when_sent: int | None = getattr(self._sent, "fetches", None)
        with self._lock:
            if fetches_when_sent is not None and fetches_when_sent != self._fetches:
                # Another thread renewed (or tried to) after this thread's request went
                # out: the rejected token is already replaced, or the renewal failed.
                return self._last_fetch_ok
            self._renew()
            return True

    def _expiring(self) -> bool:
        return self._renew_at is not None and self._clock.monotonic() >= self._renew_at

    def _renew(self) -> str:
        """Fetch a new grant and return its token; the caller holds the lock."""
        self._fetches += 1
        self._last_fetch_ok = False
        grant = self._fetch()
        self._redactor.add(grant.access_token, grant.refresh_token)
        self._token = grant.access_token
        self._renew_at = None
        if grant.expires_in is not None:
            self._renew_at = self._clock.monotonic() + self._lifetime(grant.expires_in)
        self._last_fetch_ok = True
        return grant.access_token

    def _lifetime(self, expires_in: float) -> float:
        # A token shorter-lived than twice the skew is renewed at half-life instead, so a
        # short grant does not trigger a renewal on every request.
        return expires_in - self._skew if expires_in > 2 * self._skew else expires_in / 2
