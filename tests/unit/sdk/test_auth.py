"""Auth helpers: header values, secret registration, expiry and single-flight refresh."""

from __future__ import annotations

import base64
import threading
from datetime import timedelta

import pytest
from pydantic import SecretStr

from crmsync.sdk.auth import BasicAuth, BearerToken, RefreshingToken, TokenGrant
from crmsync.sdk.errors import AuthError
from crmsync.sdk.redact import MASK, Redactor
from crmsync.testing.clock import FakeClock


def test_a_bearer_token_is_sent_and_registered_as_a_secret() -> None:
    redactor = Redactor()

    auth = BearerToken(SecretStr("pat-na1-123456"), redactor)

    assert auth.headers() == {"Authorization": "Bearer pat-na1-123456"}
    assert redactor.redact("got pat-na1-123456") == f"got {MASK}"
    assert auth.refresh() is False


def test_a_bearer_token_can_use_the_vendors_scheme() -> None:
    auth = BearerToken("1000.abcdef", Redactor(), scheme="Zoho-oauthtoken")

    assert auth.headers() == {"Authorization": "Zoho-oauthtoken 1000.abcdef"}


def test_basic_auth_registers_the_password_and_the_encoded_header() -> None:
    redactor = Redactor()
    encoded = base64.b64encode(b"admin:s3cret-pass").decode()

    auth = BasicAuth("admin", SecretStr("s3cret-pass"), redactor)

    assert auth.headers() == {"Authorization": f"Basic {encoded}"}
    assert redactor.redact(f"s3cret-pass {encoded} admin") == f"{MASK} {MASK} admin"
    assert auth.refresh() is False


def test_basic_auth_treats_a_secret_username_as_a_secret() -> None:
    redactor = Redactor()

    BasicAuth(SecretStr("api-secret-key"), "", redactor)

    assert redactor.redact("api-secret-key") == MASK


def test_a_grant_does_not_show_its_tokens() -> None:
    grant = TokenGrant("access-123456", 3600, refresh_token="refresh-123456")

    assert "123456" not in repr(grant)


class TokenEndpoint:
    """Issues access-1, access-2, ...; fails when ``failing`` is set."""

    def __init__(self, expires_in: float | None = 3600, failing: bool = False) -> None:
        self.expires_in = expires_in
        self.failing = failing
        self.issued = 0
        self._lock = threading.Lock()

    def __call__(self) -> TokenGrant:
        with self._lock:
            self.issued += 1
            if self.failing:
                raise AuthError("the refresh token was revoked")
            return TokenGrant(f"access-{self.issued}", self.expires_in, f"refresh-{self.issued}")


def sent_token(auth: RefreshingToken) -> str:
    return auth.headers()["Authorization"].removeprefix("Bearer ")


def test_the_first_request_fetches_a_token_and_later_ones_reuse_it() -> None:
    endpoint, redactor = TokenEndpoint(), Redactor()
    auth = RefreshingToken(endpoint, FakeClock(), redactor)

    assert [sent_token(auth), sent_token(auth)] == ["access-1", "access-1"]
    assert endpoint.issued == 1
    assert redactor.redact("access-1 refresh-1") == f"{MASK} {MASK}"


def test_a_token_is_renewed_skew_seconds_before_it_expires() -> None:
    endpoint, clock = TokenEndpoint(expires_in=3600), FakeClock()
    auth = RefreshingToken(endpoint, clock, Redactor(), skew=timedelta(seconds=60))
    sent_token(auth)

    clock.advance(3539)
    assert sent_token(auth) == "access-1"
    clock.advance(1)
    assert sent_token(auth) == "access-2"


def test_a_short_lived_token_is_renewed_at_half_life() -> None:
    endpoint, clock = TokenEndpoint(expires_in=60), FakeClock()
    auth = RefreshingToken(endpoint, clock, Redactor(), skew=timedelta(seconds=60))
    sent_token(auth)

    clock.advance(29)
    assert sent_token(auth) == "access-1"
    clock.advance(1)
    assert sent_token(auth) == "access-2"


def test_a_token_without_expiry_is_renewed_only_after_a_401() -> None:
    endpoint, clock = TokenEndpoint(expires_in=None), FakeClock()
    auth = RefreshingToken(endpoint, clock, Redactor())
    sent_token(auth)

    clock.advance(timedelta(days=30).total_seconds())
    assert sent_token(auth) == "access-1"
    assert auth.refresh() is True
    assert sent_token(auth) == "access-2"


def test_a_failed_first_fetch_raises_from_headers() -> None:
    auth = RefreshingToken(TokenEndpoint(failing=True), FakeClock(), Redactor())

    with pytest.raises(AuthError, match="revoked"):
        auth.headers()


def refresh_after_401s(auth: RefreshingToken, count: int) -> list[object]:
    """``count`` threads each send with the current token, then all refresh at once.

    Returns what each ``refresh`` returned or raised.
    """
    barrier = threading.Barrier(count)
    results: list[object] = []
    lock = threading.Lock()

    def run() -> None:
        sent_token(auth)  # the request that the vendor rejected
        barrier.wait()
        try:
            outcome: object = auth.refresh()
        except AuthError as error:
            outcome = error
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_concurrent_401s_share_one_refresh() -> None:
    endpoint = TokenEndpoint()
    auth = RefreshingToken(endpoint, FakeClock(), Redactor())
    sent_token(auth)

    outcomes = refresh_after_401s(auth, 8)

    assert outcomes == [True] * 8
    assert endpoint.issued == 2
    assert sent_token(auth) == "access-2"


def test_concurrent_401s_share_a_failed_refresh() -> None:
    endpoint = TokenEndpoint()
    auth = RefreshingToken(endpoint, FakeClock(), Redactor())
    sent_token(auth)
    endpoint.failing = True

    outcomes = refresh_after_401s(auth, 8)

    assert sum(isinstance(o, AuthError) for o in outcomes) == 1
    assert outcomes.count(False) == 7
    assert endpoint.issued == 2


def test_a_401_on_a_token_another_thread_already_replaced_just_retries() -> None:
    endpoint = TokenEndpoint()
    auth = RefreshingToken(endpoint, FakeClock(), Redactor())
    sent_token(auth)

    other = threading.Thread(target=auth.refresh)
    other.start()
    other.join()

    assert auth.refresh() is True
    assert endpoint.issued == 2


def test_a_later_401_tries_again_after_a_failed_refresh() -> None:
    endpoint = TokenEndpoint(failing=False)
    auth = RefreshingToken(endpoint, FakeClock(), Redactor())
    sent_token(auth)
    endpoint.failing = True
    with pytest.raises(AuthError):
        auth.refresh()

    endpoint.failing = False
    sent_token(auth)

    assert auth.refresh() is True
    assert endpoint.issued == 3
    assert sent_token(auth) == "access-3"
