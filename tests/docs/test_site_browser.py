"""The built site in a real browser: headless Chromium, with every host but the loopback
unreachable, so that anything the pages would fetch from a CDN fails. Screenshots go to
build/screenshots/ (kept by CI as artefacts).

Chromium is Debian's ``chromium`` package; without it these tests skip, except in CI
(``CI=true``), where they fail.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from ivoa_eb_spec.requirements import load_requirements
from lxml import html as lxml_html

from .conftest import SCREENSHOTS, missing

pytestmark = pytest.mark.slow

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    # Offline: no name resolves, so a script or font from a CDN cannot load.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
BUDGET_MS = 15000
MERMAID_BLOCKS = "//div[contains(concat(' ', normalize-space(@class), ' '), ' mermaid ')]"
OPERATIONS = [
    "POST /requests",
    "POST /direct",
    "GET /offersets/{uuid}",
    "GET /sessions",
    "GET /sessions/{uuid}",
    "POST /sessions/{uuid}",
    "GET /availability",
    "GET /capabilities",
]


def chromium_run(chromium: str, tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    command = [chromium, *FLAGS, f"--user-data-dir={profile}",
               f"--virtual-time-budget={BUDGET_MS}", *arguments]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def dom(chromium: str, tmp_path: Path, url: str) -> lxml_html.HtmlElement:
    """The page's DOM after its scripts ran (``--dump-dom``)."""
    output = chromium_run(chromium, tmp_path, "--dump-dom", url).stdout
    assert "<html" in output, output[:500]
    return lxml_html.fromstring(output)


def screenshot(chromium: str, tmp_path: Path, url: str, name: str, height: int = 2000) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / f"{name}.png"
    target.unlink(missing_ok=True)
    chromium_run(chromium, tmp_path, f"--window-size=1400,{height}", f"--screenshot={target}",
                 url)
    assert target.is_file() and target.stat().st_size > 10_000, target
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return target


def text(element: lxml_html.HtmlElement) -> str:
    """Visible text, without the ¶ of heading permalinks."""
    return " ".join(element.text_content().replace("¶", "").split())


@pytest.fixture(scope="module")
def mermaid(site: Path) -> None:
    if not (site / "assets" / "mermaid.min.js").is_file():
        missing("docs/assets/mermaid.min.js is missing: run `make docs` (or "
                "scripts/docs/fetch_mermaid.sh) first")


def test_lifecycle_state_diagram_is_drawn(
    chromium: str, served: str, mermaid: None, tmp_path: Path
) -> None:
    url = served + "/spec/lifecycle/"
    page = dom(chromium, tmp_path, url)
    diagrams = page.xpath(MERMAID_BLOCKS)
    assert diagrams, "no mermaid block on the lifecycle page"
    svgs = [svg for d in diagrams for svg in d.iter("{*}svg", "svg")]
    assert svgs, "mermaid did not draw the diagram: " + text(diagrams[0])[:300]
    state = [s for s in svgs if s.get("aria-roledescription") == "stateDiagram"]
    assert state, [s.get("aria-roledescription") for s in svgs]
    drawn = " ".join(text(s) for s in state)
    for phase in ("OFFERED", "ACCEPTED", "RUNNING", "COMPLETED", "EXPIRED", "CANCELLED"):
        assert phase in drawn, phase
    assert "Syntax error" not in text(page)
    screenshot(chromium, tmp_path, url, "lifecycle", height=1400)


def test_sequence_diagrams_are_drawn(
    chromium: str, served: str, mermaid: None, tmp_path: Path
) -> None:
    url = served + "/spec/interaction/"
    page = dom(chromium, tmp_path, url)
    roles = [svg.get("aria-roledescription") for svg in page.iter("{*}svg", "svg")]
    assert roles.count("sequence") >= 2, roles
    screenshot(chromium, tmp_path, url, "interaction", height=2400)


def test_api_reference_shows_every_operation(
    chromium: str, served: str, tmp_path: Path
) -> None:
    url = served + "/reference/api/"
    page = dom(chromium, tmp_path, url)
    headings = [text(h) for h in page.xpath("//article//h2")]
    for operation in OPERATIONS:
        assert operation in headings, (operation, headings)
    summary = page.xpath("//article//table")[0]
    rows = [text(r) for r in summary.xpath(".//tbody/tr")]
    assert len(rows) == len(OPERATIONS), rows
    screenshot(chromium, tmp_path, url, "api")


def test_requirements_table_shows_the_ids(chromium: str, served: str, tmp_path: Path) -> None:
    url = served + "/reference/requirements/"
    page = dom(chromium, tmp_path, url)
    cells = {text(row.xpath("./td")[0]) for row in page.xpath("//article//table//tbody/tr")
             if row.xpath("./td")}
    ids = [r.id for r in load_requirements()]
    shown = {match for cell in cells for match in re.findall(r"[A-Z]+-\d+", cell)}
    assert set(ids) <= shown, sorted(set(ids) - shown)
    screenshot(chromium, tmp_path, url, "requirements")


def test_use_case_gallery(chromium: str, served: str, tmp_path: Path) -> None:
    url = served + "/examples/"
    page = dom(chromium, tmp_path, url)
    tabs = [text(label) for label in page.xpath("//div[contains(@class, 'tabbed-labels')]//label")]
    assert tabs[:4] == ["YAML", "JSON", "XML", "Answer"], tabs[:8]
    screenshot(chromium, tmp_path, url, "examples")
