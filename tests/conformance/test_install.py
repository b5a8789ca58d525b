"""The suite installs and runs alone: ``pip install ./spec ./conformance`` in a fresh venv.

An implementer of another broker installs the suite without the reference broker or its
server stack; this test does exactly that (from PyPI, through pip's cache) and then judges a
reference broker started by the fixture, over HTTP, with the installed command.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import venv
from pathlib import Path

import pytest
from ivoa_eb_spec.requirements import load_requirements

ROOT = Path(__file__).resolve().parents[2]
#: Must not be importable where only the spec and the suite are installed.
ABSENT = ("ivoa_eb_broker", "fastapi", "starlette", "sqlalchemy", "uvicorn")


def _bin(env: Path, name: str) -> Path:
    folder = "Scripts" if os.name == "nt" else "bin"
    return env / folder / (name + (".exe" if os.name == "nt" else ""))


@pytest.mark.slow
def test_the_suite_installs_and_runs_without_the_reference_broker(
    reference_broker: str, tmp_path: Path
) -> None:
    env = tmp_path / "venv"
    started = time.monotonic()
    venv.EnvBuilder(with_pip=True, clear=True).create(env)
    python = _bin(env, "python")
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        + [str(ROOT / "spec"), str(ROOT / "conformance")],
        capture_output=True,
        text=True,
        timeout=900,
        env=clean,
    )
    installed = time.monotonic() - started
    assert install.returncode == 0, install.stdout[-2000:] + install.stderr[-3000:]
    print(f"venv and pip install of ./spec ./conformance: {installed:.0f} s")

    found = subprocess.run(
        [
            str(python),
            "-c",
            "import importlib.util, sys; "
            f"print([m for m in {ABSENT!r} if importlib.util.find_spec(m) is not None])",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=clean,
        cwd=tmp_path,  # not the repository: nothing importable by accident
    )
    assert found.stdout.strip() == "[]", found.stdout + found.stderr

    command = _bin(env, "ivoa-eb-conformance")
    helped = subprocess.run(
        [str(command), "--help"], capture_output=True, text=True, timeout=60, env=clean
    )
    assert helped.returncode == 0 and "run" in helped.stdout, helped.stderr

    report = tmp_path / "report.json"
    done = subprocess.run(
        [str(command), "run", "--url", reference_broker, "--time-budget", "40", "-q"]
        + ["--json", str(report), "--junit-xml", str(tmp_path / "report.xml")],
        capture_output=True,
        text=True,
        timeout=180,
        env=clean,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    entries = json.loads(report.read_text(encoding="utf-8"))["requirements"]
    assert [e["id"] for e in entries] == [r.id for r in load_requirements()]
    assert not [e["id"] for e in entries if e["verdict"] == "fail" and e["level"] == "MUST"]
    assert sys.executable != str(python)
