"""The Working Draft: the normative text as one IVOA document, in HTML and PDF (``make wd``).

Generated, never copied: the sections are the site's specification pages (``docs/spec/*.md``,
in the order of mkdocs.yml), each followed by the requirements of the catalogue that belong
to it; the appendices are built from ``docs/review/upstream.md``, the kind vocabulary and the
catalogue; the front matter (title block, abstract, status, conformance language, role in
the IVOA architecture) is ``front.yaml``. The version is the standard's
(``ivoa_eb_spec.versions``), the date that of the last commit. Figures are mermaid, drawn by
the local copy the site uses (``docs/assets/mermaid.min.js``); the PDF is printed by headless
Chromium once they are drawn.

    python scripts/wd/build.py [--out build/wd] [--pdf]
"""

from __future__ import annotations

import argparse
import html
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import markdown
import yaml
from ivoa_eb_spec.requirements import Requirement, load_requirements, load_retired
from ivoa_eb_spec.versions import SPEC_VERSION
from ivoa_eb_spec.vocabulary import load_kinds
from markdown.extensions.toc import slugify
from pymdownx.superfences import fence_div_format

ROOT = Path(__file__).resolve().parents[2]
FRONT = Path(__file__).with_name("front.yaml")
STYLE = Path(__file__).with_name("wd.css")
MERMAID = ROOT / "docs" / "assets" / "mermaid.min.js"
NAME = "ExecutionBroker-WD"

#: Which section states the requirements of each group (by id prefix); others go to the last.
SECTION_OF = {
    "SVC": "interaction",
    "OFF": "interaction",
    "NEG": "serialisation",
    "XML": "serialisation",
    "TIME": "scheduling",
    "LIFE": "lifecycle",
    "ERR": "errors",
    "REF": "data-model",
    "KIND": "data-model",
    "FED": "federation",
    "SEC": "security",
    "DOC": "conformance",
}
#: Site pages outside the specification that the appendices stand for.
APPENDIX_OF = {"kinds.md": "appendix-kinds", "requirements.md": "appendix-requirements"}


class _Loader(yaml.SafeLoader):
    """Reads mkdocs.yml, whose ``!!python/name:`` tags are not needed here."""


_Loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)


def spec_pages() -> list[Path]:
    """The specification pages, in the order of the site's navigation."""
    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506
    for entry in config["nav"]:
        if isinstance(entry, dict) and "Specification" in entry:
            return [
                ROOT / "docs" / page
                for page in entry["Specification"]
                if isinstance(page, str) and page.endswith(".md")
            ]
    raise ValueError("mkdocs.yml has no 'Specification' section in its nav")


def draft_date() -> str:
    """The date of the last commit (so that a rebuild gives the same document), else today."""
    try:
        done = subprocess.run(
            ["git", "-C", str(ROOT), "log", "-1", "--format=%cs"],
            capture_output=True,
            text=True,
            check=True,
        )
        if done.stdout.strip():
            return done.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    return datetime.now(UTC).date().isoformat()


def _slug(text: str) -> str:
    return slugify(text, "-")


def _link(match: re.Match[str], stems: set[str], here: str) -> str:
    text, target = match.group(1), match.group(2)
    path, _, fragment = target.partition("#")
    name = Path(path).name
    if "://" in target:
        return match.group(0)
    if target.startswith("#"):
        return f"[{text}](#{here}-{fragment})"
    if Path(name).stem in stems and not path.startswith(".."):
        stem = Path(name).stem
        return f"[{text}](#{stem}-{fragment})" if fragment else f"[{text}](#sec-{stem})"
    if name in APPENDIX_OF:
        return f"[{text}](#{APPENDIX_OF[name]})"
    return text  # a page of the site that is not part of the document


def _numbered(source: str, number: int | str, stem: str, stems: set[str]) -> tuple[str, int]:
    """A page with numbered headings (its title the section), ids prefixed by the page,
    links made internal; and how many subsections it has."""
    out: list[str] = []
    counters: list[int | str] = [number, 0, 0, 0]
    fence: str | None = None
    for line in source.splitlines():
        marker = re.match(r"^\s*(```+|~~~+)", line)
        if marker:
            fence = (
                None if fence and marker.group(1).startswith(fence) else (fence or marker.group(1))
            )
        heading = None if fence else re.match(r"^(#{1,4})\s+(.*?)\s*$", line)
        if heading:
            level, text = len(heading.group(1)), heading.group(2)
            if level == 1:
                out.append(f"## {number} {text} {{#sec-{stem}}}")
                continue
            counters[level - 1] = int(counters[level - 1]) + 1
            counters[level:] = [0] * (len(counters) - level)
            label = ".".join(str(c) for c in counters[:level])
            out.append(f"{'#' * (level + 1)} {label} {text} {{#{stem}-{_slug(text)}}}")
            continue
        if not fence:
            line = re.sub(r"\[([^\]]+)\]\(([^)\s]+)\)", lambda m: _link(m, stems, stem), line)
        out.append(line)
    return "\n".join(out) + "\n", int(counters[1])


def _requirement_html(item: Requirement) -> str:
    profile = (
        f" <span class='profile'>profile {html.escape(item.profile)}</span>" if item.profile else ""
    )
    return (
        f"<div class='req' id='req-{item.id}'><span class='rid'>{item.id}</span> "
        f"<span class='level'>{item.level}</span>{profile} "
        f"<strong>{html.escape(item.title)}.</strong> {html.escape(item.statement)}</div>"
    )


def _requirements_by_section(stems: list[str]) -> dict[str, list[Requirement]]:
    grouped: dict[str, list[Requirement]] = {stem: [] for stem in stems}
    for item in load_requirements():
        stem = SECTION_OF.get(item.id.split("-")[0], stems[-1])
        grouped[stem if stem in grouped else stems[-1]].append(item)
    return grouped


def _upstream_changes() -> str:
    review = ROOT / "docs" / "review" / "upstream.md"
    if not review.is_file():
        return "The review of the upstream model is not part of this build.\n"
    text = review.read_text(encoding="utf-8")
    body = text.split("\n", 1)[1] if text.startswith("# ") else text
    text, _ = _numbered("# x\n" + body, "A", "upstream", set())
    return text.split("\n", 1)[1]


def _kinds_table() -> str:
    rows = ["| kind URI | family | title | aliases |", "|---|---|---|---|"]
    for kind in load_kinds():
        aliases = "<br>".join(f"`{a}`" for a in kind.aliases) or "none"
        rows.append(f"| `{kind.uri}` | {kind.family} | {kind.title} | {aliases} |")
    return "\n".join(rows) + "\n"


def _requirements_table() -> str:
    rows = ["| id | level | title |", "|---|---|---|"]
    rows += [f"| [{r.id}](#req-{r.id}) | {r.level} | {r.title} |" for r in load_requirements()]
    return "\n".join(rows) + "\n"


def _retired_table() -> str:
    """Retired ids keep an anchor (other documents cite them) and point to their successors."""
    rows = [
        "Retired ids bind nothing and are never reused; each points to the requirements that "
        "now carry its content.",
        "",
        "| id | retired in | see | its last title |",
        "|---|---|---|---|",
    ]
    for item in load_retired():
        see = ", ".join(f"[{i}](#req-{i})" for i in item.replaced_by)
        rows.append(
            f"| <span id='req-{item.id}'></span>{item.id} | {item.retired_in} | {see} "
            f"| {item.title} |"
        )
    return "\n".join(rows) + "\n"


def document() -> str:
    """The whole Working Draft as Markdown (with HTML blocks), ready for :func:`render`."""
    front: dict[str, Any] = yaml.safe_load(FRONT.read_text(encoding="utf-8"))
    pages = spec_pages()
    stems = [page.stem for page in pages]
    grouped = _requirements_by_section(stems)
    date = draft_date()
    parts = [
        "<div class='titleblock'>",
        f"<h1 class='title'>{html.escape(front['title'])}</h1>",
        f"<p class='version'>Version {SPEC_VERSION}</p>",
        f"<p class='status'>IVOA {html.escape(front['status'])} {date}</p>",
        "<dl class='meta'>",
        f"<dt>Working Group</dt><dd>{html.escape(front['group'])}</dd>",
        f"<dt>This version</dt><dd>{front['status_code']}-{front['short_name']}-{SPEC_VERSION}-"
        f"{date.replace('-', '')}</dd>",
        f"<dt>Editors</dt><dd>{html.escape(', '.join(front['editors']))}</dd>",
        f"<dt>Authors</dt><dd>{html.escape(', '.join(front['authors']))}</dd>",
        "</dl></div>",
        "",
        "## Abstract {#abstract .unnumbered}",
        "",
        front["abstract"],
        "",
        "## Status of This Document {#status .unnumbered}",
        "",
        front["status_text"],
        "",
        "## Contents {#contents .unnumbered}",
        "",
        "[TOC]",
        "",
        "## Conformance language {#conformance-language .unnumbered}",
        "",
        front["conformance_text"],
        "",
        "## Role within the IVOA Architecture {#architecture .unnumbered}",
        "",
        front["architecture_text"],
        "",
        "```mermaid",
        front["architecture_figure"].rstrip(),
        "```",
        "",
    ]
    for number, page in enumerate(pages, start=1):
        text, subsections = _numbered(
            page.read_text(encoding="utf-8"), number, page.stem, set(stems)
        )
        parts.append(text)
        if grouped[page.stem]:
            parts += [
                f"### {number}.{subsections + 1} Requirements {{#{page.stem}-requirements}}",
                "",
            ]
            parts += [_requirement_html(item) for item in grouped[page.stem]]
            parts.append("")
    parts += [
        "## Appendix A: Changes from the upstream v1.0 line {#appendix-changes}",
        "",
        "What this version changes with respect to the Calycopis-openapi v1.0 definition, the "
        "HemarisDM model and the prototype broker, and why. Field names, enumeration values and "
        "kind URIs of v1.0 are kept.",
        "",
        _upstream_changes(),
        "## Appendix B: The kind vocabulary {#appendix-kinds}",
        "",
        "Every kind URI this version defines, with its family and the older spellings a broker "
        "may accept (KIND-02) and answers with the canonical URI for (KIND-01).",
        "",
        _kinds_table(),
        "## Appendix C: Requirements {#appendix-requirements}",
        "",
        _requirements_table(),
        "### Retired requirement ids {#appendix-retired .unnumbered}",
        "",
        _retired_table(),
        "## References {#references .unnumbered}",
        "",
        *[f"- {item}" for item in front["references"]],
        "",
    ]
    return "\n".join(parts)


def render(source: str, mermaid: str = "mermaid.min.js") -> str:
    """HTML of the Working Draft, with the site's Markdown extensions and local mermaid
    (``mermaid``: its URL relative to the page)."""
    front = yaml.safe_load(FRONT.read_text(encoding="utf-8"))
    body = markdown.markdown(
        source,
        extensions=[
            "admonition",
            "attr_list",
            "def_list",
            "md_in_html",
            "tables",
            "toc",
            "pymdownx.details",
            "pymdownx.highlight",
            "pymdownx.tabbed",
            "pymdownx.superfences",
        ],
        extension_configs={
            "toc": {"toc_depth": "2-3"},
            "pymdownx.tabbed": {"alternate_style": True},
            "pymdownx.superfences": {
                "custom_fences": [
                    {"name": "mermaid", "class": "mermaid", "format": fence_div_format}
                ]
            },
        },
    )
    title = f"{front['title']} Version {SPEC_VERSION}"
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title>"
        f"<style>{STYLE.read_text(encoding='utf-8')}</style></head>\n<body>\n{body}\n"
        f"<script src='{mermaid}'></script>\n"
        "<script>if (window.mermaid) { mermaid.initialize({startOnLoad: false, "
        "securityLevel: 'strict', theme: 'default'}); mermaid.run().then(() => "
        "{ document.body.dataset.figures = 'drawn'; }); }</script>\n"
        "</body></html>\n"
    )


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def print_pdf(page: Path, pdf: Path, browser: str) -> None:
    """Print the page once its figures are drawn (virtual time lets the scripts finish)."""
    command = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-pdf-header-footer",
        "--virtual-time-budget=20000",
        f"--print-to-pdf={pdf}",
        page.resolve().as_uri(),
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=180)
    if not pdf.is_file() or not pdf.read_bytes().startswith(b"%PDF-"):
        raise RuntimeError(f"chromium wrote no PDF to {pdf}")


def build(out: Path, pdf: bool = False) -> Path:
    """Write ``NAME.html`` (with mermaid beside it) and, with ``pdf``, ``NAME.pdf`` to ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    page = out / f"{NAME}.html"
    page.write_text(render(document()), encoding="utf-8")
    if MERMAID.is_file():
        shutil.copyfile(MERMAID, out / "mermaid.min.js")
    if pdf:
        browser = chromium()
        if browser is None:
            raise SystemExit("make wd: chromium is needed for the PDF (apt-get install chromium)")
        if not MERMAID.is_file():
            raise SystemExit(
                "make wd: docs/assets/mermaid.min.js is missing (scripts/docs/fetch_mermaid.sh)"
            )
        print_pdf(page, out / f"{NAME}.pdf", browser)
    return page


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "wd")
    parser.add_argument("--pdf", action="store_true", help="also print the PDF with chromium")
    args = parser.parse_args(argv)
    page = build(args.out, args.pdf)
    print(f"Working Draft: {page}" + (f" and {page.with_suffix('.pdf')}" if args.pdf else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
