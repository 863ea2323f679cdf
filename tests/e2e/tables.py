"""Reading the rich tables the CLI prints."""

from __future__ import annotations


def tables(text: str) -> list[list[dict[str, str]]]:
    """The rows of every rich table in ``text``, by column (cells must not wrap)."""

    def cells(line: str, bar: str) -> list[str]:
        return [cell.strip() for cell in line.strip(bar).split(bar)]

    found: list[list[dict[str, str]]] = []
    header: list[str] = []
    for line in text.splitlines():
        if line.startswith("┃"):
            header = cells(line, "┃")
            found.append([])
        elif line[:1] == "│":
            found[-1].append(dict(zip(header, cells(line, "│"), strict=True)))
    return found
