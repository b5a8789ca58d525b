"""Fixtures for the Docker-API platform's tests: a real engine (skipped with a reason when
absent) and a platform writing into a per-test work directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from docker_support import MADE, engine_problem, remove_leftovers, settings
from engine_gate import absent
from ivoa_eb_broker.platforms.docker_api import DockerApiPlatform


@pytest.fixture(scope="session")
def engine() -> None:
    problem = engine_problem()
    if problem:
        absent(problem)  # skip here, fail in CI


@pytest.fixture
def work(tmp_path: Path) -> Path:
    folder = tmp_path / "work"
    folder.mkdir()
    return folder


@pytest.fixture
def platform(engine: None, work: Path) -> Iterator[DockerApiPlatform]:
    MADE.clear()
    yield DockerApiPlatform(settings(work))
    remove_leftovers(MADE)  # leave nothing running, even after a failed test
