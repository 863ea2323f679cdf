"""How plans read in a terminal."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from rich.console import Console

from crmsync.cli.render import plan_report
from crmsync.engine.job import RunKind
from crmsync.engine.reports import PlanReport, Sample


def test_sample_values_read_as_data_not_as_python() -> None:
    fields = {
        "name": "Ada",
        "rate": Decimal("20.0"),
        "since": date(2025, 9, 2),
        "closed": datetime(2025, 12, 12, 7, 8, tzinfo=UTC),
        "visits": 4,
        "opted_in": True,
        "sales": None,
        "tags": ["vip", "early"],
    }
    report = PlanReport(
        sync="s",
        kind=RunKind.RUN,
        read=1,
        to_create=1,
        to_update=0,
        to_archive=0,
        unchanged=0,
        skipped=0,
        failing=0,
        write_calls=1,
        api_calls={},
        samples={"upsert": [Sample("7", None, fields)]},
    )
    console = Console(record=True, width=120)

    plan_report(console, report)

    assert console.export_text().split("  upsert 7\n")[1] == (
        "      name: 'Ada'\n"
        "      rate: 20.0\n"
        "      since: 2025-09-02\n"
        "      closed: 2025-12-12T07:08:00+00:00\n"
        "      visits: 4\n"
        "      opted_in: true\n"
        "      sales: none\n"
        '      tags: ["vip", "early"]\n'
    )
