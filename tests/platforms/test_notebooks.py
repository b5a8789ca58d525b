"""What a notebook run headless needs staged, and its parameters (no engine needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from broker_service import NOTEBOOK, data_server
from ivoa_eb_broker.platforms import notebooks
from ivoa_eb_broker.platforms.staging import StagingError
from notebook_support import NOTEBOOKS


def test_parameters_come_from_the_fragment_and_a_parameters_object() -> None:
    executable = {"kind": NOTEBOOK, "location": "https://example.org/a.ipynb?v=1#n=2&x=0.5"
                  "&on=true&label=two%20words&empty=", "parameters": {"n": 3}}
    assert notebooks.location(executable) == "https://example.org/a.ipynb?v=1"
    assert notebooks.parameters(executable) == {"n": 3, "x": 0.5, "on": True,
                                                "label": "two words", "empty": None}
    assert notebooks.parameters({"location": "https://example.org/a.ipynb"}) == {}


def test_a_parameter_must_be_a_python_name_and_the_location_fetchable() -> None:
    bad = {"location": "https://127.0.0.1/a.ipynb#1x=2"}
    found = notebooks.check(bad, allow_private=False)
    assert [r.path for r in found] == ["/executable/location", "/executable/location"]
    assert "private or local" in found[0].message and "'1x'" in found[1].message
    assert notebooks.check({}, allow_private=True)[0].message.endswith("needs its location")
    assert notebooks.check({"location": "ftp://example.org/a.ipynb"}, allow_private=True)


def test_staging_fetches_the_notebook_with_its_runner_and_parameters(tmp_path: Path) -> None:
    with data_server(NOTEBOOKS) as base:
        executable = {"location": f"{base}/square-root.ipynb#number=9"}
        folder = notebooks.stage(tmp_path, executable, limit=1 << 20, timeout=10,
                                 allow_private=True)
        assert json.loads((folder / "input.ipynb").read_text())["nbformat"] == 4
        assert json.loads((folder / "parameters.json").read_text()) == {"number": 9}
        assert (folder / "notebook_runner.py").read_text() == notebooks.RUNNER.read_text()
        with pytest.raises(StagingError, match="404"):
            notebooks.stage(tmp_path / "other", {"location": f"{base}/missing.ipynb"},
                            limit=1 << 20, timeout=10, allow_private=True)
    assert notebooks.command("/py", "/nb") == [
        "/py", "/nb/notebook_runner.py", "/nb/input.ipynb", "/nb/executed.ipynb",
        "/nb/parameters.json"]
