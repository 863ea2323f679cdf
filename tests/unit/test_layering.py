"""Imports go one way: cli -> workspace -> engine -> (mapping, state, sdk); connectors use the SDK.

A module may import only the crmsync packages listed for its own package below, so a
connector written against ``crmsync.sdk`` keeps working whatever the engine becomes.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import crmsync
import crmsync_connectors

SDK = ("crmsync.sdk",)
BOTTOM = (*SDK, "crmsync.yamlfile", "crmsync.durations", "crmsync.schedules")
ALLOWED: dict[str, tuple[str, ...]] = {
    "crmsync": (),  # the package root; a new top-level module needs a rule of its own
    "crmsync.sdk": SDK,
    "crmsync.testing": (*SDK, "crmsync.testing"),
    "crmsync.yamlfile": SDK,
    "crmsync.durations": (),
    "crmsync.schedules": ("crmsync.durations",),
    "crmsync.mapping": (*BOTTOM, "crmsync.mapping"),
    "crmsync.state": (*SDK, "crmsync.state"),
    "crmsync.engine": (*SDK, "crmsync.mapping", "crmsync.state", "crmsync.engine"),
    "crmsync.config": BOTTOM,
    "crmsync.sandbox": SDK,
    "crmsync.workspace": (
        *BOTTOM,
        "crmsync.config",
        "crmsync.engine",
        "crmsync.mapping",
        "crmsync.state",
    ),
    "crmsync.scheduler": (
        *BOTTOM,
        "crmsync.config",
        "crmsync.engine",
        "crmsync.state",
        "crmsync.workspace",
    ),
    "crmsync.cli": ("crmsync",),
    "crmsync_connectors": (*SDK, "crmsync_connectors"),
}
ROOTS = {
    "crmsync": Path(crmsync.__file__).parent,
    "crmsync_connectors": Path(crmsync_connectors.__file__).parent,
}


def _module(path: Path) -> str:
    for root, folder in ROOTS.items():
        if path.is_relative_to(folder):
            parts = path.relative_to(folder).with_suffix("").parts
            return ".".join((root, *parts)).removesuffix(".__init__")
    raise AssertionError(path)


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.split(".")[0] in ROOTS}


def _rule(module: str) -> tuple[str, tuple[str, ...]]:
    owner = max((p for p in ALLOWED if module == p or module.startswith(p + ".")), key=len)
    return owner, ALLOWED[owner]


def _within(name: str, allowed: tuple[str, ...]) -> bool:
    return any(name == a or name.startswith(a + ".") for a in allowed)


SOURCES = sorted(p for folder in ROOTS.values() for p in folder.rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=_module)
def test_a_module_imports_only_what_its_layer_may(path: Path) -> None:
    owner, allowed = _rule(_module(path))
    offending = sorted(n for n in _imports(path) if not _within(n, (owner, *allowed)))
    assert offending == [], f"{_module(path)} ({owner}) may import only {allowed}"
