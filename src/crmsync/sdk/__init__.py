"""What a connector author needs, in one place: ``from crmsync.sdk import ...``.

Connectors import only this package (a test enforces it). See docs/writing-a-connector.md.
"""

from crmsync.sdk.auth import Auth, BasicAuth, BearerToken, RefreshingToken, TokenGrant
from crmsync.sdk.clock import SYSTEM_CLOCK, Clock, SystemClock
from crmsync.sdk.connector import Capability, Connector, ObjectType
from crmsync.sdk.context import ConnectorContext
from crmsync.sdk.errors import (
    ApiError,
    ApiRequestError,
    AuthError,
    Blame,
    ConfigError,
    CrmsyncError,
    NotSupportedError,
    RateLimitedError,
    RecordRejectedError,
    StateError,
    SyncLockedError,
    TransientApiError,
)
from crmsync.sdk.http import HttpClient, RetryPolicy, Timeout
from crmsync.sdk.paging import follow_cursor, follow_pages
from crmsync.sdk.ratelimit import Rate, RateLimiter, RateSpec
from crmsync.sdk.records import (
    Cursor,
    Match,
    Outcome,
    Page,
    ReadRequest,
    Record,
    Rejected,
    WriteAction,
    WriteOp,
    WriteResult,
)
from crmsync.sdk.redact import REDACTOR, Redactor
from crmsync.sdk.schema import FieldSchema, FieldType, ObjectSchema
from crmsync.sdk.usage import RequestCounter

__all__ = [
    "REDACTOR",
    "SYSTEM_CLOCK",
    "ApiError",
    "ApiRequestError",
    "Auth",
    "AuthError",
    "BasicAuth",
    "BearerToken",
    "Blame",
    "Capability",
    "Clock",
    "ConfigError",
    "Connector",
    "ConnectorContext",
    "CrmsyncError",
    "Cursor",
    "FieldSchema",
    "FieldType",
    "HttpClient",
    "Match",
    "NotSupportedError",
    "ObjectSchema",
    "ObjectType",
    "Outcome",
    "Page",
    "Rate",
    "RateLimitedError",
    "RateLimiter",
    "RateSpec",
    "ReadRequest",
    "Record",
    "RecordRejectedError",
    "Redactor",
    "RefreshingToken",
    "Rejected",
    "RequestCounter",
    "RetryPolicy",
    "StateError",
    "SyncLockedError",
    "SystemClock",
    "Timeout",
    "TokenGrant",
    "TransientApiError",
    "WriteAction",
    "WriteOp",
    "WriteResult",
    "follow_cursor",
    "follow_pages",
]
