"""crmsync.mapping is a bottom layer: it imports only the SDK, yamlfile and itself."""

from __future__ import annotations

import ast
from pathlib import Path

import crmsync.mapping

ALLOWED = ("crmsync.sdk", "crmsync.yamlfile", "crmsync.mapping")


def crmsync_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {name for name in names if name.split(".")[0] == "crmsync"}


def test_mapping_imports_only_lower_layers() -> None:
    package = Path(crmsync.mapping.__file__).parent
    offending = {
        f"{path.name}: {name}"
        for path in package.glob("*.py")
        for name in crmsync_imports(path)
        if not name.startswith(ALLOWED) and name != "crmsync"
    }
    assert offending == set()
