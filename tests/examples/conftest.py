"""Fixtures of the example tests: the catalogue, one entry per test, the upstream schema."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
CATALOGUE = EXAMPLES / "examples.yaml"
UPSTREAM = REPO.parent / "shared" / "upstream" / "calycopis-openapi-v1.0"


def load_catalogue_document() -> dict[str, Any]:
    """examples/examples.yaml as parsed (empty when the file is missing)."""
    if not CATALOGUE.is_file():
        return {}
    with CATALOGUE.open(encoding="utf-8") as stream:
        return dict(yaml.safe_load(stream))


def load_catalogue() -> list[dict[str, Any]]:
    """The entries of examples/examples.yaml (an empty list when the file is missing)."""
    return list(load_catalogue_document().get("examples", []))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every test asking for ``example`` once per catalogue entry, named by its id."""
    if "example" in metafunc.fixturenames:
        entries = load_catalogue()
        metafunc.parametrize("example", entries, ids=[str(e.get("id")) for e in entries])


@pytest.fixture(scope="session")
def examples_dir() -> Path:
    return EXAMPLES


@pytest.fixture(scope="session")
def catalogue() -> list[dict[str, Any]]:
    return load_catalogue()


@pytest.fixture(scope="session")
def as_of() -> datetime:
    """The broker clock for which the catalogue's expected answers hold."""
    return datetime.fromisoformat(load_catalogue_document()["as_of"].replace("Z", "+00:00"))


@pytest.fixture
def document(example: dict[str, Any]) -> Any:
    """The parsed request document of the example under test."""
    with (EXAMPLES / example["file"]).open(encoding="utf-8") as stream:
        return yaml.safe_load(stream)


@pytest.fixture(scope="session")
def upstream_dir() -> Path:
    """The upstream v1.0 OpenAPI folder, which lives beside the repository, not in it."""
    if not (UPSTREAM / "components.yaml").is_file():
        pytest.skip(f"upstream Calycopis-openapi v1.0 files not found at {UPSTREAM}")
    return UPSTREAM
