"""Keep secrets out of logs, error messages, the state store and the audit trail.

Every secret crmsync loads (``SecretStr`` settings, tokens obtained at run time) is
registered with the process-wide :data:`REDACTOR`; text on its way to a log or a user
passes through :meth:`Redactor.redact`. Credential-shaped fragments (``Authorization``
headers, ``access_token=...``, passwords in URLs) are masked even when the secret was
never registered.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

from pydantic import BaseModel, SecretStr

MASK = "***"

# Secrets shorter than this are not searched for: masking every "abc" in a message would
# make it unreadable, and no vendor issues credentials that short.
_MIN_SECRET_LENGTH = 6

# A value after a credential's name: credentials are long and hold digits, while words
# ("access_token: environment variable ... not set") do not. Registered secrets are
# masked whatever they look like.
_CREDENTIAL_VALUE = r"(?=[^\s\"'&,}]*\d)[^\s\"'&,}]{6,}"

_CREDENTIAL_PATTERNS = (
    re.compile(
        r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?(?:bearer|basic|token|zoho-oauthtoken)\s+)"
        r"[^\s\"',}]+"
    ),
    re.compile(r"(?i)(\bbearer\s+)[A-Za-z0-9\-._~+/]{6,}=*"),
    re.compile(
        r"(?i)((?:access_token|refresh_token|client_secret|api[_-]?key|hapikey|secret_key"
        r"|private_key)[\"']?\s*[:=]\s*[\"']?)" + _CREDENTIAL_VALUE
    ),
    # Bare "token", "secret" or "password" name a credential only as a query parameter or
    # a quoted JSON key; in prose ("the refresh token: missing") they are just words.
    re.compile(
        r"(?i)((?:[\"'](?:password|secret|token)[\"']\s*:\s*[\"']?|\b(?:password|secret|token)=))"
        + _CREDENTIAL_VALUE
    ),
    re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^/\s:@]+:)[^/\s@]+(?=@)"),
)


class Redactor:
    """Masks registered secret values and credential-shaped fragments in text.

    A secret is also masked in the encoded forms it takes in URLs and JSON bodies,
    since vendors echo requests back in error messages.
    """

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()

    def add(self, *secrets: str | SecretStr | None) -> None:
        """Register secret values to be masked wherever they appear."""
        values = {s.get_secret_value() if isinstance(s, SecretStr) else s for s in secrets}
        forms = {form for v in values if v and len(v) >= _MIN_SECRET_LENGTH for form in _forms(v)}
        with self._lock:
            if forms <= self._secrets:
                return
            self._secrets |= forms
            ordered = sorted(self._secrets, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(s) for s in ordered))

    def add_model(self, model: BaseModel) -> None:
        """Register every ``SecretStr`` inside a (possibly nested) settings model."""
        self.add(*_secret_values(model))

    def redact(self, text: str) -> str:
        """``text`` with every known secret and credential-shaped fragment masked."""
        pattern = self._pattern
        if pattern is not None:
            text = pattern.sub(MASK, text)
        for credential in _CREDENTIAL_PATTERNS:
            text = credential.sub(lambda m: m.group(1) + MASK, text)
        return text


def _forms(secret: str) -> set[str]:
    """``secret`` as written, percent-encoded (query strings) and JSON-escaped (bodies)."""
    return {secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1]}


def _secret_values(value: object) -> Iterable[str]:
    if isinstance(value, SecretStr):
        yield value.get_secret_value()
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _secret_values(getattr(value, name))
    elif isinstance(value, dict):
        for item in value.values():
            yield from _secret_values(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _secret_values(item)


class RedactingFilter(logging.Filter):
    """A logging filter that masks secrets in the rendered message, traceback and stack."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redactor.redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redactor.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redactor.redact(record.stack_info)
        return True


REDACTOR = Redactor()
"""The process-wide redactor; settings and auth helpers register secrets here."""
