"""Small Markdown helpers shared by the page renderers."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence


def anchor(text: str) -> str:
    """A stable HTML id for a heading."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def cell(text: object) -> str:
    """Text safe inside one Markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")


def table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def fenced(text: str, language: str) -> str:
    fence = "````" if "```" in text else "```"
    return f"{fence}{language}\n{text.rstrip()}\n{fence}\n"
