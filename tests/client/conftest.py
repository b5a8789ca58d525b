"""A reference broker process for the client tests (this folder is on ``sys.path``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from eb_processes import QUICK_SIMULATED, BrokerProcess


@pytest.fixture(scope="module")
def broker_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    broker = BrokerProcess(tmp_path_factory.mktemp("broker"), QUICK_SIMULATED).start()
    try:
        yield broker.url
    finally:
        broker.stop()
