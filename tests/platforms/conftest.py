"""Shared by the platform tests: this folder is on ``sys.path`` (``engine_gate``), and every
test that needs a real engine (through the ``engine`` or ``slurm`` fixture) is marked
``engine``, so that ``-m "not engine"`` leaves out exactly those."""

from __future__ import annotations

import pytest

ENGINE_FIXTURES = {"engine", "slurm"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if ENGINE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.engine)
