"""The gallery's federation use case: a real run of three site brokers and a head.

The answers are written by ``scripts/docs/capture_federation.py`` (``make docs``) into
``build/answers/federation/``: one file per step and ``index.yaml`` naming them in order with
their titles. A build without them says so.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from mdutil import fenced

ANCHOR = "federation"
TITLE = "One request, three sites: a head broker"
INTRO = (
    "The square root of the first use case sent to a **head broker** that fronts three site "
    "brokers, with the config files of [Deploy a federation](howto/deploy-federation.md) "
    "(`examples/federation/`), each broker a process of its own. The head asks its sites in "
    "parallel and answers with the best of their offers under its own URLs; each offer's "
    "messages name the site that made it and its address there. Accepting one at the head "
    "accepts it at its site and rejects every other offer at its own site; read at the head, "
    "the session follows the site's phase to COMPLETED. A request that has already passed the "
    "head (its id in `EB-Via`) is refused with 508, so a cycle of heads cannot loop."
)


def _tab(title: str, body: str) -> str:
    indented = "\n".join(("    " + line) if line else "" for line in body.rstrip().splitlines())
    return f'=== "{title}"\n\n{indented}\n'


def section(answers: Path) -> str:
    """The use case's Markdown: the story, then each captured step as a tab."""
    parts = [f"## {TITLE} {{#{ANCHOR}}}", "", INTRO, ""]
    index = answers / "index.yaml"
    if not index.is_file():
        parts += [
            '!!! note "Not captured in this build"',
            "    The run is recorded by `make docs` (`scripts/docs/capture_federation.py`).",
            "",
        ]
        return "\n".join(parts) + "\n"
    steps = yaml.safe_load(index.read_text(encoding="utf-8"))
    parts += [
        f"`{steps['request']}`, sent to the head's `/requests`. Captured from a real run by "
        "`scripts/docs/capture_federation.py` (`make docs`); the ports are shown as in the "
        "how-to (head 8080, sites 8081 to 8083).",
        "",
    ]
    for number, step in enumerate(steps["steps"], start=1):
        text = (answers / step["file"]).read_text(encoding="utf-8")
        parts.append(_tab(f"{number}. {step['title']}", fenced(text, "yaml")))
    return "\n".join(parts) + "\n"
