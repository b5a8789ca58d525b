"""Fixtures for the Slurm platform's tests: a real Slurm (skipped with a reason when absent)
and a platform writing into a per-test work directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from engine_gate import absent
from ivoa_eb_broker.platforms.slurm import SlurmPlatform
from slurm_support import cancel_leftovers, host_settings, sinfo_problem


@pytest.fixture(scope="session")
def slurm() -> None:
    problem = sinfo_problem()
    if problem:
        absent(problem)  # skip here, fail in CI


@pytest.fixture
def work(tmp_path: Path) -> Path:
    folder = tmp_path / "work"
    folder.mkdir()
    return folder


@pytest.fixture
def platform(slurm: None, work: Path) -> Iterator[SlurmPlatform]:
    made = SlurmPlatform(host_settings(work))
    yield made
    cancel_leftovers(work)
