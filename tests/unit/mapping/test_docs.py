"""docs/mappings.md stays true: its maps load, its example maps as shown, it covers everything."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from crmsync import yamlfile
from crmsync.mapping import TRANSFORMS, compile_map, parse_field_map

ROOT = Path(__file__).parents[3]
DOCS = ROOT / "docs" / "mappings.md"
TEXT = DOCS.read_text(encoding="utf-8")
MAPS = [
    block
    for block in re.findall(r"```yaml\n(.*?)```", TEXT, re.DOTALL)
    if re.search(r"^version: 1$", block, re.MULTILINE)
]


def test_the_docs_hold_complete_maps() -> None:
    assert len(MAPS) >= 4


@pytest.mark.parametrize("text", MAPS, ids=lambda text: text.splitlines()[0])
def test_every_documented_map_loads_and_compiles(text: str) -> None:
    compile_map(parse_field_map(yamlfile.loads(text, "docs/mappings.md")))


def test_the_complete_example_maps_as_documented() -> None:
    record = json.loads(re.findall(r"```json\n(.*?)```", TEXT, re.DOTALL)[0])
    mapper = compile_map(parse_field_map(yamlfile.loads(MAPS[0], "docs/mappings.md")))
    assert mapper.accepts(record)
    assert mapper.map(record).fields == {
        "email": "ada@example.com",
        "firstname": "Ada",
        "lastname": "Lovelace",
        "affiliate_id": "aff_9a3c",
        "referral_link": "https://example.com/?via=ada",
        "referral_status": "under_review",
        "lead_source": "Affiliate",
        "commission_rate": Decimal("20.0"),
        "referral_sales": Decimal("12500.50"),
        "referral_visitors": 120,
        "referral_leads": 14,
        "referral_conversions": 5,
        "affiliate_since": date(2024, 3, 1),
    }


@pytest.mark.parametrize(
    "path",
    [
        *sorted((ROOT / "mappings").glob("*.yaml")),
        ROOT / "examples/files/mappings/contacts-to-affiliates.yaml",
    ],
    ids=lambda path: path.name,
)
def test_every_shipped_map_is_quoted_whole(path: Path) -> None:
    name = path.relative_to(ROOT)
    assert f"```yaml\n# {name}\n{path.read_text(encoding='utf-8')}```" in TEXT


def test_the_docs_describe_every_transform() -> None:
    assert [name for name in TRANSFORMS if f"### `{name}`" not in TEXT] == []
