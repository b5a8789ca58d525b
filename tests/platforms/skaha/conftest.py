"""The Skaha test double on loopback, and a Skaha platform configured against it."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from skaha_double import Served, SkahaDouble  # noqa: E402

TOKEN = "sk-test-4f1c9e0b7a2d"


@pytest.fixture
def double() -> Iterator[Served]:
    """A fresh double (its own sessions and call log) for each test."""
    with Served(SkahaDouble(tokens={TOKEN: None})) as served:
        yield served
