"""Reports of a run: JSON and JUnit XML for machines, Markdown and HTML for people."""

from __future__ import annotations

from .html import render_html
from .json_report import render_json
from .junit import render_junit
from .markdown import render_markdown

__all__ = ["render_html", "render_json", "render_junit", "render_markdown"]
