"""Source paths: ``email``, ``customer.email``, ``items.0.sku``.

Dots always step into a nested mapping, and a part made of digits also indexes a list.
A path that leads nowhere reads as None, never as an error: vendors omit empty fields.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["Getter", "compile_path", "path_problem", "path_root"]

Getter = Callable[[Mapping[str, Any]], Any]


def path_problem(path: str) -> str | None:
    """Why ``path`` is not a source path, or None when it is one."""
    if not path.strip():
        return "a source path cannot be empty"
    if "" in path.split("."):
        return f"{path!r} has an empty part; write parts separated by single dots"
    return None


def path_root(path: str) -> str:
    """The top-level field a path reads (what the source must fetch)."""
    return path.split(".", 1)[0]


def compile_path(path: str) -> Getter:
    """A function reading ``path`` from a record's fields."""
    if "." not in path:
        return lambda fields: fields.get(path)
    steps = tuple((part, int(part) if part.isdigit() else None) for part in path.split("."))

    def get(fields: Mapping[str, Any]) -> Any:
        value: Any = fields
        for key, index in steps:
            if isinstance(value, (dict, Mapping)):  # a tuple, dict first: far faster than ABC alone
                value = value.get(key)
            elif index is not None and isinstance(value, (list, tuple)):
                value = value[index] if index < len(value) else None
            else:
                return None
        return value

    return get
