"""The Skaha test double on loopback, fresh for each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from skaha_double import Served, SkahaDouble
from skaha_support import TOKEN


@pytest.fixture
def double() -> Iterator[Served]:
    """A fresh double (its own sessions and call log) for each test."""
    with Served(SkahaDouble(tokens={TOKEN: None})) as served:
        yield served
