"""The pytest plugin: inert without --eb-url, one item per check with it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def pytest_run(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--rootdir", str(folder), *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_plugin_is_loaded_by_entry_point_and_does_nothing_without_a_url(tmp_path: Path) -> None:
    (tmp_path / "test_one.py").write_text("def test_one():\n    assert True\n")
    done = pytest_run(tmp_path, "--collect-only", "-q")
    assert "1 test collected" in done.stdout, done.stdout + done.stderr
    assert "ivoa_eb_broker" not in done.stdout
    help_text = pytest_run(tmp_path, "--help").stdout
    assert "--eb-url" in help_text


def test_plugin_module_imports_nothing_heavy() -> None:
    code = (
        "import sys; import ivoa_eb_conformance.pytest_plugin; "
        "print(sorted(m for m in sys.modules if m.startswith(('schemathesis', "
        "'ivoa_eb_conformance.checks', "
        "'rich', 'httpx'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


@pytest.mark.slow
def test_checks_run_as_pytest_items_against_a_broker(reference_broker: str, tmp_path: Path) -> None:
    done = pytest_run(
        tmp_path,
        f"--eb-url={reference_broker}",
        "--eb-select=svc.*",
        "--eb-select=case.reject-*",
        "--eb-deselect=svc.direct",
        "--eb-header=X-Conformance-Test: plugin",
        "--eb-no-schemathesis",
        "-q",
        "-rA",
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert (
        "PASSED ivoa-eb-conformance::svc.post-requests" in done.stdout
        or "svc.post-requests" in done.stdout
    )
    assert " passed" in done.stdout
    assert "svc.direct" not in done.stdout
