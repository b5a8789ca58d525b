"""Shared by the notebook tests on the Docker-API and Slurm platforms: the example notebook
served on loopback, the example request pointed at it, and whether the notebook image
(scripts/engines/notebook-image.sh) and venv (scripts/engines/notebook-venv.sh) are here."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "20-notebook-run-headless.yaml"
NOTEBOOKS = ROOT / "examples" / "notebooks"
NOTEBOOK_IMAGE = os.environ.get("EB_NOTEBOOK_IMAGE", "localhost/eb-notebook:1")
NOTEBOOK_PYTHON = os.environ.get("EB_NOTEBOOK_PYTHON", "/opt/eb-notebook/bin/python")


def image_problem() -> str | None:
    """Why the notebook image cannot be used here, or None."""
    if shutil.which("podman") is None:
        return "podman is not installed; run scripts/engines/podman.sh"
    done = subprocess.run(["podman", "image", "exists", NOTEBOOK_IMAGE], capture_output=True,
                          timeout=30, check=False)
    if done.returncode != 0:
        return f"no notebook image {NOTEBOOK_IMAGE}; run scripts/engines/notebook-image.sh"
    return None


def venv_problem() -> str | None:
    """Why the notebook venv cannot be used here, or None."""
    if not Path(NOTEBOOK_PYTHON).exists():
        return f"no notebook venv at {NOTEBOOK_PYTHON}; run scripts/engines/notebook-venv.sh"
    return None


def example_request(base_url: str, name: str = "square-root.ipynb",
                    fragment: str | None = None) -> dict[str, Any]:
    """examples/20 with its notebook at ``base_url`` (a loopback server) and no set start."""
    document: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text())
    original = document["executable"]["location"]
    kept = original.partition("#")[2] if fragment is None else fragment
    document["executable"]["location"] = f"{base_url}/{name}" + (f"#{kept}" if kept else "")
    return document


def failing_notebook(folder: Path) -> str:
    """A copy of the example notebook whose second code cell divides by zero; its name."""
    notebook = json.loads((NOTEBOOKS / "square-root.ipynb").read_text())
    notebook["cells"][2]["source"] = ["print('about to fail')\n", "1 / 0"]
    (folder / "failing.ipynb").write_text(json.dumps(notebook))
    return "failing.ipynb"


def serve_folder(folder: Path) -> Path:
    """``folder`` filled with the example notebooks (and a failing one), to be served."""
    folder.mkdir(parents=True, exist_ok=True)
    for source in NOTEBOOKS.glob("*.ipynb"):
        shutil.copyfile(source, folder / source.name)
    failing_notebook(folder)
    return folder
