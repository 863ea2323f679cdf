"""docs/connectors/hubspot.md stays true to the code: settings, defaults, links."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from crmsync_connectors.hubspot import HubSpotSettings, OAuthSettings

ROOT = Path(__file__).parents[4]
DOC = ROOT / "docs" / "connectors" / "hubspot.md"
_ROW = re.compile(r"^\| `([a-z_.]+)` \| (.+?) \|", re.MULTILINE)
_LINK = re.compile(r"\]\(([^)#]+\.md)(?:#[^)]*)?\)")


def _section(title: str) -> str:
    text = DOC.read_text("utf-8")
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def _defaults(model: type[BaseModel], prefix: str = "") -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        if name == "oauth":
            found |= _defaults(OAuthSettings, "oauth.")
        else:
            found[prefix + name] = "required" if field.is_required() else field.default
    return found


def test_the_settings_table_lists_every_setting_with_its_default() -> None:
    rows = dict(_ROW.findall(_section("Settings")))
    defaults = _defaults(HubSpotSettings)

    assert set(rows) == set(defaults)
    for name, default in defaults.items():
        shown = rows[name]
        expected = {None: "none", "required": "required"}.get(default, f"`{default}`")
        assert shown == expected, f"{name}: the doc says {shown}, the model {expected}"


def test_relative_links_lead_to_files() -> None:
    for target in _LINK.findall(DOC.read_text("utf-8")):
        assert (DOC.parent / target).resolve().exists(), target
