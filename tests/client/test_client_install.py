"""The client installs and works alone: ``pip install ./spec ./client`` in a fresh venv.

A scientist installs the client without the reference broker or its server stack; this test
does exactly that and then runs a request, an accept and a wait against a broker process.
"""

from __future__ import annotations

import os
import subprocess
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: Must not be importable where only the spec and the client are installed.
ABSENT = ("ivoa_eb_broker", "ivoa_eb_conformance", "starlette", "sqlalchemy", "uvicorn")

SCRIPT = """
import sys
from ivoa_eb_client import Client
with Client(sys.argv[1], media_type="application/json") as client:
    offers = client.request(sys.argv[2])
    session = offers.offers[0].accept().wait(timeout=60, poll=0.2)
    print(offers.result, session.phase)
"""


@pytest.mark.slow
def test_the_client_installs_and_runs_without_the_broker(broker_url: str,
                                                          tmp_path: Path) -> None:
    env = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env)
    python = env / "bin" / "python"
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         str(ROOT / "spec"), str(ROOT / "client")],
        capture_output=True, text=True, timeout=900, env=clean,
    )
    assert install.returncode == 0, install.stdout[-2000:] + install.stderr[-3000:]
    found = subprocess.run(
        [str(python), "-c", "import importlib.util; "
         f"print([m for m in {ABSENT!r} if importlib.util.find_spec(m) is not None])"],
        capture_output=True, text=True, timeout=60, env=clean, cwd=tmp_path,
    )
    assert found.stdout.strip() == "[]", found.stdout + found.stderr
    ran = subprocess.run(
        [str(python), "-c", SCRIPT, broker_url, str(ROOT / "examples" / "01-sqrt-docker.yaml")],
        capture_output=True, text=True, timeout=120, env=clean, cwd=tmp_path,
    )
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert ran.stdout.split() == ["YES", "COMPLETED"]
