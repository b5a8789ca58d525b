"""MkDocs hook: writes the reference pages and the use-case gallery from the normative files.

Nothing in these pages is copied by hand. At every build the hook reads ``spec/`` (through
``ivoa_eb_spec``), ``examples/`` and, when present, what ``make docs`` recorded in ``build/``:
the reference broker's answers to the examples (``build/answers/``) and the conformance report
of the reference broker (``build/conformance.json``). Without them the pages still build, and
say that the answers and verdicts were not captured.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from mkdocs.structure.files import File, Files

sys.path.insert(0, str(Path(__file__).parent))

import render_api  # noqa: E402
import render_examples  # noqa: E402
import render_kinds  # noqa: E402
import render_platforms  # noqa: E402
import render_requirements  # noqa: E402
import render_schema  # noqa: E402
import render_xml  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
#: Where `make docs` records the broker's answers and verdicts; EB_DOCS_BUILD points elsewhere
#: (the tests use it to build the site as it looks without them).
BUILD = Path(os.environ.get("EB_DOCS_BUILD") or REPO / "build")
MERMAID = "assets/mermaid.min.js"

log = logging.getLogger("mkdocs.hooks.generate")

PAGES = {
    "reference/kinds.md": render_kinds.page,
    "reference/classes.md": render_schema.page,
    "reference/api.md": render_api.page,
    "reference/xml-schema.md": render_xml.page,
    "reference/platforms.md": render_platforms.page,
    "reference/requirements.md": lambda: render_requirements.page(BUILD / "conformance.json"),
    "examples.md": lambda: render_examples.page(REPO / "examples", BUILD / "answers"),
}


def on_files(files: Files, config) -> Files:
    if files.get_file_from_path(MERMAID) is None:
        # Not a warning: `mkdocs build --strict` must work without `make docs`.
        log.info("%s is missing: diagrams stay as source text (run `make docs`)", MERMAID)
    for uri, render in PAGES.items():
        existing = files.get_file_from_path(uri)
        if existing is not None:
            files.remove(existing)
        files.append(File.generated(config, uri, content=render()))
    # The Working Draft (scripts/wd/build.py, `make wd` for the PDF), from the same sources.
    files.append(File.generated(config, WD_PAGE, content=_working_draft()))
    return files


WD_PAGE = "wd/ExecutionBroker-WD.html"


def _working_draft() -> str:
    import importlib.util

    spec = importlib.util.spec_from_file_location("wd_build", REPO / "scripts" / "wd" / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.render(module.document(), mermaid="../" + MERMAID)
