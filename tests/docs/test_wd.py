"""The Working Draft builds with the IVOA structure, every requirement id, and drawn figures."""

from __future__ import annotations

import importlib.util
import re
import subprocess
from pathlib import Path
from types import ModuleType

import pytest
from ivoa_eb_spec.requirements import load_requirements, load_retired
from ivoa_eb_spec.versions import SPEC_VERSION
from ivoa_eb_spec.vocabulary import load_kinds

from .conftest import missing

ROOT = Path(__file__).resolve().parents[2]
STRUCTURE = (
    "Abstract",
    "Status of This Document",
    "Conformance language",
    "Role within the IVOA Architecture",
    "1 Introduction",
    "Appendix A: Changes from the upstream v1.0 line",
    "Appendix B: The kind vocabulary",
    "Appendix C: Requirements",
    "References",
)


def _builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location("wd_build", ROOT / "scripts" / "wd" / "build.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def wd() -> ModuleType:
    return _builder()


@pytest.fixture(scope="module")
def page(wd: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return wd.build(tmp_path_factory.mktemp("wd"))


def test_the_draft_has_the_ivoa_structure_in_order(page: Path, wd: ModuleType) -> None:
    text = page.read_text(encoding="utf-8")
    headings = [re.sub(r"<[^>]+>", "", h) for h in re.findall(r"<h2[^>]*>(.*?)</h2>", text)]
    found = [next(i for i, h in enumerate(headings) if h.startswith(s)) for s in STRUCTURE]
    assert found == sorted(found), headings
    assert f"Version {SPEC_VERSION}" in text and re.search(
        r"IVOA Working Draft \d{4}-\d{2}-\d{2}", text
    )
    # Every page of the site's specification is a numbered section, in the site's order.
    titles = [p.read_text(encoding="utf-8").splitlines()[0].lstrip("# ") for p in wd.spec_pages()]
    numbered = [h for h in headings if re.match(r"\d+ ", h)]
    assert numbered == [f"{n} {t}" for n, t in enumerate(titles, start=1)]


def test_every_requirement_and_kind_appears_and_every_link_resolves(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    ids = set(re.findall(r"""id=["']([^"']+)["']""", text))
    for item in load_requirements():
        assert f"req-{item.id}" in ids, item.id
        assert text.count(item.id) >= 2, f"{item.id}: stated in its section and listed in C"
    for gone in load_retired():  # listed as retired, pointing to its successors
        assert f"req-{gone.id}" in ids, gone.id
        assert all(f'href="#req-{i}"' in text for i in gone.replaced_by), gone.id
    for kind in load_kinds():
        assert kind.uri in text
    targets = set(re.findall(r'href="#([^"]+)"', text))
    assert targets and targets <= ids, sorted(targets - ids)


def test_figures_render_and_the_pdf_prints(page: Path, wd: ModuleType, chromium: str) -> None:
    if not wd.MERMAID.is_file():
        missing("docs/assets/mermaid.min.js is missing (run scripts/docs/fetch_mermaid.sh)")
    figures = page.read_text(encoding="utf-8").count('class="mermaid"')
    assert figures >= 4
    dom = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--virtual-time-budget=20000",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    ).stdout
    assert 'data-figures="drawn"' in dom
    drawn = re.findall(r'<div class="mermaid"[^>]*>\s*<svg', dom)
    assert len(drawn) == figures, "every figure is drawn as SVG"
    assert "Syntax error" not in dom
    pypdf = pytest.importorskip("pypdf")
    pdf = page.with_suffix(".pdf")
    wd.print_pdf(page, pdf, chromium)
    reader = pypdf.PdfReader(str(pdf))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert len(reader.pages) >= 10
    first = reader.pages[0].extract_text()
    assert "IVOA ExecutionBroker" in first and "Working Draft" in first
    flat = re.sub(r"\s+", "", text)
    for item in load_requirements():
        assert item.id in flat, item.id
