"""``federation``: three site brokers (simulated platforms with short steps) and a head that
fronts them, as processes; the tests speak to the head with the typed client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from federation_support import Federation


@pytest.fixture(scope="session")
def federation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    running = Federation(tmp_path_factory.mktemp("federation"))
    try:
        yield running.start()
    finally:
        running.stop()
