"""The redactor masks registered secrets, their encoded forms and credential-shaped text."""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections.abc import Callable
from functools import partial
from urllib.parse import quote, quote_plus

import pytest
from pydantic import BaseModel, SecretStr

from crmsync.sdk.redact import MASK, RedactingFilter, Redactor

SECRET = "s3cr+t/val ue"  # percent-encodes differently with quote and quote_plus


@pytest.fixture
def redactor() -> Redactor:
    r = Redactor()
    r.add(SECRET)
    return r


def test_a_registered_secret_is_masked(redactor: Redactor) -> None:
    assert redactor.redact(f"token {SECRET} rejected") == f"token {MASK} rejected"


@pytest.mark.parametrize("encode", [quote_plus, partial(quote, safe="")])
def test_a_secret_is_masked_percent_encoded(
    redactor: Redactor, encode: Callable[[str], str]
) -> None:
    encoded = encode(SECRET)
    assert encoded != SECRET

    assert redactor.redact(f"sent {encoded} twice: {encoded}") == f"sent {MASK} twice: {MASK}"


def test_a_secret_is_masked_json_escaped() -> None:
    redactor = Redactor()
    secret = 'pa"ss\\word'
    redactor.add(secret)
    body = json.dumps({"echo": secret})

    assert redactor.redact(body) == json.dumps({"echo": MASK})


def test_short_values_are_not_treated_as_secrets() -> None:
    redactor = Redactor()
    redactor.add("abc", "", None)

    assert redactor.redact("abc") == "abc"


def test_secret_str_and_nested_settings_are_registered() -> None:
    class Oauth(BaseModel):
        client_secret: SecretStr

    class Settings(BaseModel):
        name: str
        oauth: Oauth
        keys: list[SecretStr]

    redactor = Redactor()
    redactor.add_model(
        Settings(
            name="visible-name",
            oauth=Oauth(client_secret=SecretStr("nested-secret")),
            keys=[SecretStr("listed-secret")],
        )
    )

    assert redactor.redact("visible-name nested-secret listed-secret") == (
        f"visible-name {MASK} {MASK}"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Bearer abc.def.ghi", f"Authorization: Bearer {MASK}"),
        ("{'Authorization': 'Basic dXNlcjpwYXNz'}", f"{{'Authorization': 'Basic {MASK}'}}"),
        ("authorization=Zoho-oauthtoken 1000.xyz", f"authorization=Zoho-oauthtoken {MASK}"),
        ("sent Bearer eyJhbGciOiJIUzI1NiJ9.x", f"sent Bearer {MASK}"),
        ("/v1?hapikey=abc123&limit=10", f"/v1?hapikey={MASK}&limit=10"),
        ('{"access_token": "ya29.a0Af", "x": 1}', f'{{"access_token": "{MASK}", "x": 1}}'),
        ("X-Api-Key: k-123456", f"X-Api-Key: {MASK}"),
        ("client_secret=shh-123", f"client_secret={MASK}"),
        ("https://user:hunter22@host.test/x", f"https://user:{MASK}@host.test/x"),
    ],
)
def test_credential_shaped_text_is_masked_unregistered(text: str, expected: str) -> None:
    assert Redactor().redact(text) == expected


def test_plain_text_is_left_alone() -> None:
    text = "GET /crm/v3/objects/contacts returned 404: the bearer of bad news"
    assert Redactor().redact(text) == text


def test_concurrent_registrations_are_all_kept() -> None:
    redactor = Redactor()
    secrets = [f"concurrent-secret-{n:02d}" for n in range(16)]
    barrier = threading.Barrier(len(secrets))

    def register(secret: str) -> None:
        barrier.wait()
        redactor.add(secret)

    threads = [threading.Thread(target=register, args=(s,)) for s in secrets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert redactor.redact(" ".join(secrets)) == " ".join([MASK] * len(secrets))


def test_the_logging_filter_masks_message_arguments_traceback_and_stack(
    redactor: Redactor,
) -> None:
    try:
        raise ValueError(f"bad {SECRET}")
    except ValueError:
        exc_info = sys.exc_info()
    record = logging.LogRecord(
        "crmsync.test", logging.ERROR, __file__, 1, "using %s", (SECRET,), exc_info
    )
    record.stack_info = f"Stack:\n  token={SECRET}"

    assert RedactingFilter(redactor).filter(record)

    assert record.getMessage() == f"using {MASK}"
    assert SECRET not in (record.exc_text or "")
    assert "ValueError: bad ***" in (record.exc_text or "")
    assert SECRET not in record.stack_info


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the refresh token: missing", "the refresh token: missing"),
        ("Secret santa: a password manager", "Secret santa: a password manager"),
        ("?token=abc123xyz&page=2", "?token=***&page=2"),
        ('{"password":"p4ssw0rd!", "user":"ada"}', '{"password":"***", "user":"ada"}'),
        ("access_token: zzzz1234", "access_token: ***"),
        ("settings.access_token: environment variable X is not set", None),
    ],
)
def test_credential_words_in_prose_are_left_alone(text: str, expected: str | None) -> None:
    assert Redactor().redact(text) == (text if expected is None else expected)
