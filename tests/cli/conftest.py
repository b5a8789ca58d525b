"""A reference broker process for the command line's tests (the client tests' helper)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "client"))

from eb_processes import QUICK_SIMULATED, BrokerProcess  # noqa: E402


@pytest.fixture(scope="module")
def broker_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    broker = BrokerProcess(tmp_path_factory.mktemp("broker"), QUICK_SIMULATED).start()
    try:
        yield broker.url
    finally:
        broker.stop()
