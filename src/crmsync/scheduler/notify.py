"""Failure notifications: a JSON summary of a scheduled run, posted to a webhook.

A run notifies when its outcome is one of ``notify.on`` (a firing that ends without a
run, because the run could not start or crashed, counts as ``failed``), or when it
brings the sync's stored failures from below ``notify.failures_threshold`` to it or
above: a lasting problem notifies once, when it appears, not after every run. The
summary names the sync, the run, its outcome, message and counts; it never holds record
data. Its ``text`` field makes it readable as it is by chat webhooks (Slack, Mattermost).

Posts go through the SDK's HttpClient (timeouts, retries, redaction). A notification
that cannot be delivered is logged; it never stops the scheduler.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import asdict
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import requests

from crmsync.config import LoadedConfig, NotifyConfig
from crmsync.engine.reports import RunReport
from crmsync.sdk.clock import Clock
from crmsync.sdk.errors import CrmsyncError
from crmsync.sdk.http import HttpClient, RetryPolicy
from crmsync.sdk.redact import REDACTOR
from crmsync.state.locks import this_host
from crmsync.yamlfile import FromEnv

log = logging.getLogger("crmsync.scheduler")

# A notification sent twice beats one lost: posts are retried like idempotent calls.
_RETRY = RetryPolicy(attempts=3, initial_wait=1.0, max_backoff=10.0, max_wait=30.0)
FAILURES_THRESHOLD = "failures_threshold"


class Notifier:
    """Posts run summaries to the ``notify.webhook`` of one config.

    Args:
        config: the ``notify`` section.
        clock: where retries wait.
        session: a ``requests`` session to send through (tests); None opens one.
    """

    def __init__(
        self, config: NotifyConfig, *, clock: Clock, session: requests.Session | None = None
    ) -> None:
        self.config = config
        self._client = HttpClient(
            config.webhook.url,
            name="notify",
            clock=clock,
            retry=_RETRY,
            timeout=config.webhook.timeout.total_seconds(),
            session=session,
        )

    @classmethod
    def for_config(
        cls, loaded: LoadedConfig, *, clock: Clock, session: requests.Session | None = None
    ) -> Notifier | None:
        """The notifier of ``loaded``'s ``notify`` section (None without one).

        Values that came from ``${ENV}`` references are secrets: they are registered
        with the redactor, and so is the URL's path when the URL holds one (chat
        webhooks keep their token in the path, and error messages show the path).
        """
        config = loaded.config.notify
        if config is None:
            return None
        section = loaded.document.data.get("notify")
        REDACTOR.add(*_from_env(section))
        url = section["webhook"]["url"] if isinstance(section, dict) else None
        if isinstance(url, FromEnv):
            parts = urlsplit(config.webhook.url)
            REDACTOR.add(parts.path, parts.query)
        return cls(config, clock=clock, session=session)

    @property
    def counts_failures(self) -> bool:
        """Whether :meth:`after_run` needs the sync's stored failures before and after."""
        return self.config.failures_threshold is not None

    def after_run(
        self, report: RunReport, fire_time: datetime, failures: tuple[int, int] | None = None
    ) -> bool | None:
        """Notify about a finished run if it needs it.

        Args:
            report: the run.
            fire_time: the firing that started it.
            failures: the sync's stored failures before and after the run, when
                :attr:`counts_failures`.

        Returns:
            None when the run needs no notification; else whether it was delivered.
        """
        reasons = [str(report.outcome)] if report.outcome in self.config.on else []
        if self._crossed(failures):
            reasons.append(FAILURES_THRESHOLD)
        if not reasons:
            return None
        summary = {
            "sync": report.sync,
            "reasons": reasons,
            "run_id": report.run_id,
            "kind": str(report.kind),
            "outcome": str(report.outcome),
            "message": report.message,
            "fire_time": fire_time.isoformat(),
            "started_at": report.started_at.isoformat(),
            "duration_s": round(report.duration_s, 3),
            "counts": asdict(report.counts),
            "api_calls": report.api_calls,
        }
        if failures is not None:
            summary["failures"] = {
                "before": failures[0],
                "stored": failures[1],
                "threshold": self.config.failures_threshold,
            }
        return self._post(summary, _headline(report, reasons, failures))

    def failed_to_run(self, sync: str, fire_time: datetime, message: str) -> bool | None:
        """Notify that a firing ended without a run report (it counts as ``failed``).

        Returns:
            None when ``failed`` runs do not notify; else whether it was delivered.
        """
        if "failed" not in self.config.on:
            return None
        summary = {
            "sync": sync,
            "reasons": ["failed"],
            "run_id": None,
            "outcome": "failed",
            "message": message,
            "fire_time": fire_time.isoformat(),
        }
        return self._post(summary, f"crmsync: sync {sync} failed to run: {message}")

    def close(self) -> None:
        self._client.close()

    def _crossed(self, failures: tuple[int, int] | None) -> bool:
        threshold = self.config.failures_threshold
        if threshold is None or failures is None:
            return False
        before, after = failures
        return before < threshold <= after

    def _post(self, summary: dict[str, Any], text: str) -> bool:
        body = {"text": REDACTOR.redact(text), **summary, "host": this_host()}
        if body["message"] is not None:
            body["message"] = REDACTOR.redact(body["message"])
        try:
            self._client.post(
                self.config.webhook.url,
                json=body,
                headers=self.config.webhook.headers,
                idempotent=True,
            )
        except CrmsyncError as exc:
            host = urlsplit(self.config.webhook.url).hostname
            log.warning("%s", REDACTOR.redact(f"could not notify {host}: {exc}"))
            return False
        return True


def _headline(report: RunReport, reasons: list[str], failures: tuple[int, int] | None) -> str:
    what = f"crmsync: sync {report.sync} run {report.run_id} {report.outcome}"
    if report.message:
        what += f": {report.message}"
    if FAILURES_THRESHOLD in reasons and failures is not None:
        what += f" ({failures[1]} records failing, {failures[0]} before this run)"
    return what


def _from_env(value: Any) -> Iterator[str]:
    """Every value under ``value`` that came from ``${ENV}`` references."""
    if isinstance(value, FromEnv):
        yield str(value)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _from_env(item)
    elif isinstance(value, list):
        for item in value:
            yield from _from_env(item)
