"""Test kit for connector authors: conformance suites, emulator serving, a fake clock.

Needs pytest (``pip install crmsync[test]``). See docs/writing-a-connector.md.
"""

from crmsync.testing.clock import FakeClock
from crmsync.testing.conformance import ConformanceHarness, ConnectorConformance, SeedRecord
from crmsync.testing.emulator import LocalServer, serve_wsgi, wsgi_session
from crmsync.testing.http_conformance import HttpConformance, HttpHarness

__all__ = [
    "ConformanceHarness",
    "ConnectorConformance",
    "FakeClock",
    "HttpConformance",
    "HttpHarness",
    "LocalServer",
    "SeedRecord",
    "serve_wsgi",
    "wsgi_session",
]
