"""HttpClient: classification, retries, Retry-After, auth refresh, redaction, counting."""

from __future__ import annotations

import json
import logging
import random
import socket
from collections.abc import Iterable, Iterator, Mapping
from datetime import timedelta
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any

import pytest
import requests
import responses
import tenacity

from crmsync.sdk.auth import BearerToken
from crmsync.sdk.errors import (
    ApiError,
    ApiRequestError,
    AuthError,
    Blame,
    CrmsyncError,
    RateLimitedError,
    TransientApiError,
)
from crmsync.sdk.http import HttpClient, RetryPolicy
from crmsync.sdk.ratelimit import RateLimiter
from crmsync.sdk.redact import Redactor
from crmsync.sdk.usage import RequestCounter
from crmsync.testing.clock import FakeClock
from crmsync.testing.emulator import serve_wsgi

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

BASE = "https://api.vendor.test"
URL = f"{BASE}/v1/things"
TOKEN = "sk_live_abcdef123456"


@pytest.fixture
def counter() -> RequestCounter:
    return RequestCounter()


@pytest.fixture
def redactor() -> Redactor:
    return Redactor()


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as mock:
        yield mock


class Client:
    """Builds HttpClients wired to the test's clock, counter and redactor."""

    def __init__(self, clock: FakeClock, counter: RequestCounter, redactor: Redactor) -> None:
        self.clock, self.counter, self.redactor = clock, counter, redactor

    def __call__(self, base_url: str = BASE, **kwargs: Any) -> HttpClient:
        return HttpClient(
            base_url,
            name="vendor",
            clock=self.clock,
            counter=self.counter,
            redactor=self.redactor,
            **kwargs,
        )


@pytest.fixture
def client(clock: FakeClock, counter: RequestCounter, redactor: Redactor) -> Client:
    return Client(clock, counter, redactor)


def add_statuses(
    mock: responses.RequestsMock, method: str, statuses: Iterable[int], **kwargs: Any
) -> None:
    for status in statuses:
        mock.add(method, URL, status=status, json={"status": status}, **kwargs)


class FakeAuth:
    """Hands out token-1; ``refresh`` switches to token-2 when ``renews``."""

    def __init__(self, *, renews: bool = True) -> None:
        self.token = "token-1"
        self.renews = renews
        self.refreshes = 0

    def headers(self) -> Mapping[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def refresh(self) -> bool:
        self.refreshes += 1
        if self.renews:
            self.token = "token-2"
        return self.renews


class RecordingLimiter(RateLimiter):
    def __init__(self, clock: FakeClock) -> None:
        super().__init__([], clock)
        self.acquired = 0
        self.pauses: list[float] = []

    def acquire(self) -> None:
        self.acquired += 1
        super().acquire()

    def pause(self, seconds: float) -> None:
        self.pauses.append(seconds)
        super().pause(seconds)


# -- success and classification ------------------------------------------------------


def test_returns_the_response_counts_it_and_logs_it(
    client: Client,
    mocked: responses.RequestsMock,
    counter: RequestCounter,
    caplog: pytest.LogCaptureFixture,
) -> None:
    mocked.get(URL, json={"ok": True})
    caplog.set_level(logging.DEBUG, logger="crmsync.http")

    response = client().get("/v1/things")

    assert response.json() == {"ok": True}
    assert counter.by_connection() == {"vendor": 1}
    assert caplog.messages == ["GET /v1/things -> 200 in 0 ms (attempt 1)"]


@pytest.mark.parametrize(
    ("status", "error_type"),
    [
        (400, ApiRequestError),
        (404, ApiRequestError),
        (422, ApiRequestError),
        (401, AuthError),
        (403, AuthError),
        (408, TransientApiError),
        (425, TransientApiError),
        (429, RateLimitedError),
        (500, TransientApiError),
        (502, TransientApiError),
        (503, TransientApiError),
    ],
)
def test_default_classification(
    client: Client, mocked: responses.RequestsMock, status: int, error_type: type[CrmsyncError]
) -> None:
    mocked.get(URL, status=status, json={"message": "nope"})

    with pytest.raises(CrmsyncError) as raised:
        client(retry=RetryPolicy(attempts=1)).get("/v1/things", params={"page": "2"})

    assert type(raised.value) is error_type
    assert raised.value.message == f'GET /v1/things returned {status}: {{"message": "nope"}}'
    if isinstance(raised.value, ApiError):
        assert raised.value.status == status


def test_a_3xx_that_requests_did_not_follow_is_returned(
    client: Client, mocked: responses.RequestsMock
) -> None:
    mocked.get(URL, status=304)

    assert client().get("/v1/things").status_code == 304


def test_long_bodies_are_cut_to_a_one_line_snippet(
    client: Client, mocked: responses.RequestsMock
) -> None:
    mocked.get(URL, status=400, body="bad\n  request " + "x" * 500)

    with pytest.raises(ApiRequestError) as raised:
        client().get("/v1/things")

    assert raised.value.message == "GET /v1/things returned 400: bad request " + "x" * 188 + "..."


def test_the_connectors_classifier_comes_first(
    client: Client, mocked: responses.RequestsMock, counter: RequestCounter
) -> None:
    def classify(response: requests.Response) -> CrmsyncError | None:
        if response.status_code == 403 and "REQUEST_LIMIT_EXCEEDED" in response.text:
            return RateLimitedError("daily API limit reached", retry_after=5, status=403)
        if response.status_code == 429:
            return ApiRequestError("payload too large", status=429)
        return None

    mocked.get(URL, status=403, json=[{"errorCode": "REQUEST_LIMIT_EXCEEDED"}])
    mocked.get(URL, status=200, json={})
    mocked.post(URL, status=429)
    http = client(classify=classify)

    assert http.get("/v1/things").status_code == 200
    with pytest.raises(ApiRequestError, match="payload too large"):
        http.post("/v1/things", json={})
    assert counter.total() == 3


def test_an_absolute_url_on_the_same_host_is_used_as_is(
    client: Client, mocked: responses.RequestsMock
) -> None:
    mocked.get(f"{BASE}/v1/things?after=abc", json={})
    mocked.get(f"{BASE}:443/v1/things?after=def", json={})
    http = client(f"{BASE}/v1/")

    assert http.get(f"{URL}?after=abc").status_code == 200
    assert http.get(f"{BASE}:443/v1/things?after=def").status_code == 200


def test_credentials_are_not_sent_to_another_host(client: Client, counter: RequestCounter) -> None:
    with pytest.raises(ApiRequestError, match=r"to evil\.test"):
        client(auth=FakeAuth()).get("https://evil.test/steal?key=1")
    assert counter.total() == 0


def test_auth_headers_override_the_callers(client: Client, mocked: responses.RequestsMock) -> None:
    mocked.get(URL, json={})

    client(auth=FakeAuth()).get("/v1/things", headers={"Authorization": "x", "X-Trace": "t"})

    sent = mocked.calls[0].request.headers
    assert (sent["Authorization"], sent["X-Trace"]) == ("Bearer token-1", "t")


# -- retries -------------------------------------------------------------------------


def test_transient_errors_are_retried_until_success(
    client: Client, mocked: responses.RequestsMock, counter: RequestCounter, clock: FakeClock
) -> None:
    add_statuses(mocked, "GET", [503, 502, 200])

    assert client().get("/v1/things").json() == {"status": 200}
    assert counter.total() == 3
    assert len(clock.sleeps) == 2


def test_retries_stop_after_the_policys_attempts_with_the_typed_error(
    client: Client, mocked: responses.RequestsMock, counter: RequestCounter, clock: FakeClock
) -> None:
    add_statuses(mocked, "GET", [503] * 4)

    with pytest.raises(TransientApiError) as raised:
        client(retry=RetryPolicy(attempts=4)).get("/v1/things")

    assert not isinstance(raised.value, tenacity.RetryError)
    assert raised.value.status == 503
    assert counter.total() == 4
    assert len(clock.sleeps) == 3


def test_request_errors_are_not_retried(
    client: Client, mocked: responses.RequestsMock, counter: RequestCounter
) -> None:
    add_statuses(mocked, "GET", [400])

    with pytest.raises(ApiRequestError):
        client().get("/v1/things")
    assert counter.total() == 1


@pytest.fixture
def seeded_random() -> Iterator[None]:
    state = random.getstate()
    random.seed(20260101)
    yield
    random.setstate(state)


@pytest.mark.usefixtures("seeded_random")
def test_backoff_is_exponential_with_full_jitter(
    client: Client, mocked: responses.RequestsMock, clock: FakeClock
) -> None:
    add_statuses(mocked, "GET", [500] * 10)
    policy = RetryPolicy(attempts=10, initial_wait=0.5, max_backoff=8.0)

    with pytest.raises(TransientApiError):
        client(retry=policy).get("/v1/things")

    windows = [min(8.0, 0.5 * 2**n) for n in range(9)]
    assert len(clock.sleeps) == len(windows)
    assert all(0 <= slept <= window for slept, window in zip(clock.sleeps, windows, strict=True))
    assert any(slept < window / 2 for slept, window in zip(clock.sleeps, windows, strict=True))


def test_retry_after_seconds_is_honoured_and_pauses_the_limiter(
    client: Client, mocked: responses.RequestsMock, clock: FakeClock, counter: RequestCounter
) -> None:
    mocked.get(URL, status=429, headers={"Retry-After": "7"})
    mocked.get(URL, json={})
    limiter = RecordingLimiter(clock)

    client(limiter=limiter).get("/v1/things")

    assert clock.sleeps == [7.0]
    assert limiter.pauses == [7.0]
    assert limiter.acquired == 2
    assert counter.total() == 2


def test_retry_after_http_date_is_honoured(
    client: Client, mocked: responses.RequestsMock, clock: FakeClock
) -> None:
    when = format_datetime(clock.now() + timedelta(seconds=30), usegmt=True)
    mocked.get(URL, status=429, headers={"Retry-After": when})
    mocked.get(URL, json={})

    client().get("/v1/things")

    assert clock.sleeps == [30.0]


def test_a_429_without_retry_after_backs_off(
    client: Client, mocked: responses.RequestsMock, clock: FakeClock
) -> None:
    add_statuses(mocked, "GET", [429, 200])

    client(retry=RetryPolicy(initial_wait=0.5)).get("/v1/things")

    assert len(clock.sleeps) == 1
    assert 0 <= clock.sleeps[0] <= 0.5


def test_a_retry_after_longer_than_max_wait_is_raised_not_waited(
    client: Client, mocked: responses.RequestsMock, clock: FakeClock
) -> None:
    mocked.get(URL, status=429, headers={"Retry-After": "3600"})

    with pytest.raises(RateLimitedError) as raised:
        client(retry=RetryPolicy(max_wait=120)).get("/v1/things")

    assert raised.value.retry_after == 3600
    assert clock.sleeps == []


def test_each_retry_is_logged_as_a_warning_with_wait_and_reason(
    client: Client, mocked: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    mocked.get(URL, status=429, headers={"Retry-After": "7"}, body="slow down")
    mocked.get(URL, json={})

    client().get("/v1/things")

    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        "GET /v1/things attempt 1 of 5 failed: GET /v1/things returned 429: slow down; "
        "retrying in 7.0 s"
    ]


# -- idempotency ---------------------------------------------------------------------


def test_a_post_is_not_retried_on_503(
    client: Client, mocked: responses.RequestsMock, counter: RequestCounter
) -> None:
    add_statuses(mocked, "POST", [503])

    with pytest.raises(TransientApiError):
        client().post("/v1/things", json={"name": "x"})
    assert counter.total() == 1


def test_an_idempotent_post_is_retried_on_503(
    client: Client, mocked: responses.RequestsMock, counter: RequestCounter
) -> None:
    add_statuses(mocked, "POST", [503, 200])

    client().post("/v1/things", json={"query": "x"}, idempotent=True)
    assert counter.total() == 2


def test_a_post_is_retried_on_429(
    client: Client, mocked: responses.RequestsMock, counter: RequestCounter
) -> None:
    mocked.post(URL, status=429, headers={"Retry-After": "1"})
    mocked.post(URL, json={})

    client().post("/v1/things", json={"name": "x"})
    assert counter.total() == 2


def test_a_post_is_not_retried_after_a_read_timeout(
    client: Client, mocked: responses.RequestsMock, counter: RequestCounter
) -> None:
    mocked.patch(URL, body=requests.ReadTimeout("read timed out"))

    with pytest.raises(TransientApiError, match=r"PATCH /v1/things failed \(ReadTimeout\)"):
        client().patch("/v1/things", json={"name": "x"})
    assert counter.total() == 1


def test_a_get_is_retried_after_a_connect_timeout_that_sent_nothing(
    client: Client, mocked: responses.RequestsMock, counter: RequestCounter
) -> None:
    mocked.get(URL, body=requests.ConnectTimeout())
    mocked.get(URL, json={})

    client().get("/v1/things")
    assert counter.total() == 1


def test_other_request_failures_become_request_errors(
    client: Client, mocked: responses.RequestsMock
) -> None:
    mocked.get(URL, body=requests.TooManyRedirects("too many"))

    with pytest.raises(ApiRequestError, match="too many"):
        client().get("/v1/things")


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_a_post_is_retried_when_the_connection_was_refused(
    client: Client, counter: RequestCounter, clock: FakeClock
) -> None:
    http = client(f"http://127.0.0.1:{closed_port()}", retry=RetryPolicy(attempts=3))

    with pytest.raises(TransientApiError) as raised:
        http.post("/v1/things", params={"api_key": TOKEN}, json={})
    http.close()

    assert "Connection refused" in raised.value.message
    assert TOKEN not in str(raised.value)
    assert raised.value.__cause__ is None
    assert len(clock.sleeps) == 2
    assert counter.total() == 0


# -- auth ----------------------------------------------------------------------------


def test_a_401_refreshes_once_and_resends_without_using_a_retry(
    client: Client, mocked: responses.RequestsMock, counter: RequestCounter, clock: FakeClock
) -> None:
    add_statuses(mocked, "POST", [401, 200])
    auth = FakeAuth()

    client(auth=auth, retry=RetryPolicy(attempts=1)).post("/v1/things", json={})

    assert auth.refreshes == 1
    sent = [call.request.headers["Authorization"] for call in mocked.calls]
    assert sent == ["Bearer token-1", "Bearer token-2"]
    assert counter.total() == 2
    assert clock.sleeps == []


def test_a_second_401_is_an_auth_error(
    client: Client, mocked: responses.RequestsMock, counter: RequestCounter
) -> None:
    add_statuses(mocked, "GET", [401, 401])
    auth = FakeAuth()

    with pytest.raises(AuthError, match="returned 401"):
        client(auth=auth).get("/v1/things")
    assert auth.refreshes == 1
    assert counter.total() == 2


def test_a_401_that_cannot_be_refreshed_is_not_resent(
    client: Client, mocked: responses.RequestsMock, counter: RequestCounter
) -> None:
    add_statuses(mocked, "GET", [401])

    with pytest.raises(AuthError, match="check the connection's credentials"):
        client(auth=FakeAuth(renews=False)).get("/v1/things")
    assert counter.total() == 1


def test_a_403_is_not_refreshed(client: Client, mocked: responses.RequestsMock) -> None:
    add_statuses(mocked, "GET", [403])
    auth = FakeAuth()

    with pytest.raises(AuthError, match="lack a permission"):
        client(auth=auth).get("/v1/things")
    assert auth.refreshes == 0


# -- secrets -------------------------------------------------------------------------


def test_a_token_echoed_in_the_body_is_masked(
    client: Client, mocked: responses.RequestsMock, redactor: Redactor
) -> None:
    mocked.get(URL, status=400, json={"error": f"key {TOKEN} has no access here"})

    with pytest.raises(ApiRequestError) as raised:
        client(auth=BearerToken(TOKEN, redactor)).get("/v1/things")

    assert TOKEN not in str(raised.value)
    assert '"key *** has no access here"' in str(raised.value)


def test_a_classifiers_message_is_masked_too(
    client: Client, mocked: responses.RequestsMock, redactor: Redactor
) -> None:
    mocked.get(URL, status=418)

    def classify(response: requests.Response) -> CrmsyncError | None:
        return ApiRequestError(f"rejected {TOKEN}", hint=f"rotate {TOKEN}")

    with pytest.raises(ApiRequestError) as raised:
        client(auth=BearerToken(TOKEN, redactor), classify=classify).get("/v1/things")

    assert str(raised.value) == "rejected ***\n  hint: rotate ***"
    assert raised.value.args == ("rejected ***",)


def test_query_string_secrets_stay_out_of_errors_and_logs(
    client: Client, mocked: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    add_statuses(mocked, "GET", [500, 404])
    caplog.set_level(logging.DEBUG)

    with pytest.raises(ApiRequestError) as raised:
        client().get("/v1/things", params={"hapikey": "unregistered-secret-value"})

    assert "unregistered-secret-value" not in str(raised.value)
    assert "unregistered-secret-value" not in caplog.text
    assert raised.value.blame is Blame.CRMSYNC


# -- over a real socket --------------------------------------------------------------


class FlakyApp:
    """Answers 503 to the first request, then 200 with the Authorization it received."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        self.calls += 1
        if self.calls == 1:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"try later"]
        body = json.dumps({"auth": environ.get("HTTP_AUTHORIZATION")}).encode()
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body]


def test_over_loopback_a_503_is_retried(
    client: Client, counter: RequestCounter, redactor: Redactor
) -> None:
    app = FlakyApp()
    with serve_wsgi(app) as server:
        http = client(server.url, auth=BearerToken(TOKEN, redactor))
        try:
            response = http.get("/v1/things")
        finally:
            http.close()

    assert response.json() == {"auth": f"Bearer {TOKEN}"}
    assert app.calls == 2
    assert counter.total() == 2
