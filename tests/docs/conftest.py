"""Fixtures for the tests of the rendered specification: the site built with mkdocs, and a
headless Chromium to look at it."""

from __future__ import annotations

import fcntl
import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HOOKS = ROOT / "docs" / "hooks"
SCREENSHOTS = ROOT / "build" / "screenshots"
MKDOCS = Path(sys.executable).parent / "mkdocs"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def missing(reason: str) -> None:
    """Skip locally; in CI (CI=true) a missing tool is a failure, not a skip."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: required in CI)")
    pytest.skip(reason)


#: Pages of the nav that another part of the project writes. While one is missing, the site is
#: built from a copy of docs/ with a placeholder for it (never in docs/ itself), so that the
#: other tests still check everything else; test_pages_written_elsewhere fails meanwhile.
WRITTEN_ELSEWHERE = ("howto/conformance.md",)


def config_with_placeholders(work: Path) -> Path:
    """A copy of docs/ and mkdocs.yml in ``work``, with placeholders for missing pages."""
    docs = work / "docs"
    shutil.copytree(ROOT / "docs", docs, ignore=shutil.ignore_patterns("__pycache__"))
    for name in WRITTEN_ELSEWHERE:
        target = docs / name
        if not target.exists():
            target.write_text(f"# Placeholder\n\n`docs/{name}` is not written yet.\n")
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^docs_dir: .*$", f"docs_dir: {docs}", text)
    # The real hook, so that it finds the repository (spec/, examples/, build/) from its path.
    text = text.replace("- docs/hooks/generate.py", f"- {ROOT / 'docs/hooks/generate.py'}")
    config = work / "mkdocs.yml"
    config.write_text(text, encoding="utf-8")
    return config


def missing_pages() -> list[str]:
    return [name for name in WRITTEN_ELSEWHERE if not (ROOT / "docs" / name).is_file()]


def build_site(destination: Path, build_dir: Path | None = None) -> Path:
    """``mkdocs build --strict`` of the repository's mkdocs.yml into ``destination``.

    ``build_dir`` replaces ``build/`` as the place the hooks read the broker's answers and
    the conformance report from (``EB_DOCS_BUILD``).
    """
    if not MKDOCS.exists() and shutil.which("mkdocs") is None:
        missing("mkdocs is not installed (pip install --group docs)")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    if build_dir is not None:
        env["EB_DOCS_BUILD"] = str(build_dir)
    config = ROOT / "mkdocs.yml"
    if missing_pages():
        config = config_with_placeholders(
            Path(tempfile.mkdtemp(prefix=f"{destination.name}-copy-", dir=destination.parent))
        )
    command = [str(MKDOCS) if MKDOCS.exists() else "mkdocs", "build", "--strict",
               "--config-file", str(config), "--site-dir", str(destination)]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=600, check=False)
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stderr}"
    return destination


def shared_build(factory: pytest.TempPathFactory, name: str, empty_build: bool) -> Path:
    """Build the site once per test run: pytest-xdist workers share it (and wait for it)."""
    root = factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the run's folder, shared by every worker
    target = root / f"docs-{name}"
    done = root / f"docs-{name}.built"
    with open(root / f"docs-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.is_file():
            shutil.rmtree(target, ignore_errors=True)
            build_dir = None
            if empty_build:
                build_dir = root / f"docs-{name}-empty-build"
                build_dir.mkdir(exist_ok=True)
            build_site(target, build_dir)
            done.touch()
    return target


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site as `make docs` builds it (with whatever build/ holds)."""
    return shared_build(tmp_path_factory, "site", empty_build=False)


@pytest.fixture(scope="session")
def bare_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site as a plain `mkdocs build --strict` builds it, with nothing recorded in build/."""
    return shared_build(tmp_path_factory, "bare-site", empty_build=True)


def page(site: Path, path: str) -> str:
    return (site / path / "index.html").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def hooks() -> Iterator[None]:
    """The hook modules importable by name, as mkdocs imports them."""
    sys.path.insert(0, str(HOOKS))
    try:
        yield
    finally:
        sys.path.remove(str(HOOKS))


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        pass


@pytest.fixture(scope="session")
def served(site: Path) -> Iterator[str]:
    """The built site over HTTP on a loopback port, from a thread of this process."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def chromium() -> str:
    """The Chromium executable (Debian's ``chromium`` package)."""
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).is_file():
            return candidate
    missing("chromium is not installed (Debian: apt-get install chromium)")
    raise AssertionError("unreachable")
