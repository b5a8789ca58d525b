"""MkDocs hook: a requirement id cited in the narrative, ``[SVC-01]``, links to its entry.

The specification's pages cite the catalogue after every requirement word (the project's
tests check that each citation exists and has the keyword's level); here each citation becomes
a link to the requirement's row of the generated requirements page.
"""

from __future__ import annotations

import re

#: ``[SVC-01]`` not already a link (followed by ``(`` or ``[``) nor inside inline code.
CITATION = re.compile(
    r"(?<![\w`])\[((?:SVC|NEG|XML|OFF|TIME|LIFE|ERR|REF|KIND|FED|SEC|DOC|VOSI|EXT|UWS)-[0-9]{2})\](?![(\[])"
)


def link_citations(markdown: str, target: str) -> str:
    """``markdown`` with each citation outside code blocks linked to ``target#ID``."""
    out, fenced = [], False
    for line in markdown.split("\n"):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        if not fenced:
            line = CITATION.sub(lambda m: f"[{m.group(1)}]({target}#{m.group(1)})", line)
        out.append(line)
    return "\n".join(out)


def on_page_markdown(markdown: str, page, config, files) -> str:
    if not page.file.src_uri.startswith("spec/"):
        return markdown
    return link_citations(markdown, "../reference/requirements.md")
