"""Templates: ``"{first_name} {last_name}"`` with source paths between braces.

Placeholders hold source paths only; there are no format specs, conversions or
expressions, so nothing in a template is ever evaluated. ``{{`` and ``}}`` are literal
braces. A placeholder without a value renders as nothing; the result is stripped, and
a template whose placeholders are all empty gives None, so ``default`` and ``required``
apply to it like to a missing source value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from string import Formatter
from typing import Any

from crmsync.mapping.coerce import as_text, is_empty
from crmsync.mapping.paths import compile_path, path_problem

__all__ = ["compile_template", "template_paths"]

_FORMATTER = Formatter()


def template_paths(template: str) -> list[str]:
    """The source paths a template reads, in order.

    Raises:
        ValueError: the template is malformed; the message says how.
    """
    return [path for _, path in _parse(template) if path is not None]


def _parse(template: str) -> list[tuple[str, str | None]]:
    try:
        parsed = list(_FORMATTER.parse(template))
    except ValueError:
        raise ValueError(
            f"unbalanced braces in template {template!r}; write {{{{ or }}}} for a literal brace"
        ) from None
    pieces: list[tuple[str, str | None]] = []
    for literal, path, spec, conversion in parsed:
        if path is not None:
            if spec or conversion:
                raise ValueError(
                    f"placeholders hold a source path only, found {{{path}"
                    f"{'!' + conversion if conversion else ''}{':' + spec if spec else ''}}}"
                )
            problem = path_problem(path)
            if problem:
                raise ValueError(f"placeholder {{{path}}}: {problem}")
        pieces.append((literal, path))
    if not any(path for _, path in pieces):
        raise ValueError(f"template {template!r} has no {{placeholder}}; use constant instead")
    return pieces


def compile_template(template: str) -> Callable[[Mapping[str, Any]], str | None]:
    """A function rendering ``template`` for a record's fields."""
    pieces = tuple(
        (literal, None if path is None else compile_path(path))
        for literal, path in _parse(template)
    )

    def render(fields: Mapping[str, Any]) -> str | None:
        parts: list[str] = []
        found = False
        for literal, get in pieces:
            parts.append(literal)
            if get is not None:
                value = get(fields)
                if not is_empty(value):
                    found = True
                    parts.append(as_text(value))
        return "".join(parts).strip() if found else None

    return render
