"""Whether a test that needs a real engine skips or fails when the engine is missing.

On a developer's machine a missing engine (podman's API, Slurm) is a skip with the reason and
how to install it. In CI (``CI=true``, set by ``.ci/run``, which installs the engines) it is a
failure: an engine test that silently skipped there would prove nothing.
"""

from __future__ import annotations

import os

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def absent(problem: str) -> None:
    """Skip (developer machine) or fail (CI) a test whose engine is missing."""
    if in_ci():
        pytest.fail(f"{problem} (CI is set: engine tests must run, not skip)", pytrace=False)
    pytest.skip(problem)
