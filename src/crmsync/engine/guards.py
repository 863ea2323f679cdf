"""Mass-change guards: stop a run that would create, update or archive too much."""

from __future__ import annotations

from collections import Counter

from crmsync.engine.job import Guards, Limit
from crmsync.sdk.records import WriteAction


def planned_changes(kinds: Counter[str]) -> dict[str, int]:
    """Creates, updates and archives in a plan's counts by kind.

    Upserts of unlinked records count as creates: they create unless the target
    already holds a matching record, and the guard must assume the worst.
    """
    return {
        "create": kinds[WriteAction.CREATE] + kinds[WriteAction.UPSERT],
        "update": kinds[WriteAction.UPDATE],
        "archive": kinds[WriteAction.ARCHIVE],
    }


def violations(guards: Guards, changes: dict[str, int], linked: int) -> list[str]:
    """One sentence per limit the planned changes would cross."""
    found = []
    checks: list[tuple[str, Limit | None]] = [
        ("create", guards.creates),
        ("update", guards.updates),
        ("archive", guards.archives),
    ]
    for verb, limit in checks:
        allowed = None if limit is None else limit.allowed(linked)
        count = changes[verb]
        if limit is None or allowed is None or count <= allowed:
            continue
        noun = "record" if count == 1 else "records"
        if limit.percent is None:
            found.append(f"would {verb} {count:,} {noun}, more than max_{verb}s: {limit.count:,}")
        else:
            found.append(
                f"would {verb} {count:,} {noun} ({count / linked:.0%} of {linked:,} linked), "
                f"more than max_{verb}s: {limit.percent:g}% ({allowed:,})"
            )
    return found
