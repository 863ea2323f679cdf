"""Values the state store tests share."""

from __future__ import annotations

from datetime import timedelta

from crmsync.state import Link, LinkStatus

SYNC = "contacts"
LEASE = timedelta(minutes=5)


def link(n: int, *, version: int = 1, status: LinkStatus = LinkStatus.LINKED) -> Link:
    """The link of source record ``src-<n>``; ``version`` changes what was written."""
    return Link(
        source_id=f"src-{n}",
        target_id=f"tgt-{n}",
        fingerprint=f"{n:08x}{version:08x}",
        field_hashes={"email": f"e{n}v{version}", "name": f"n{n}"},
        status=status,
    )
