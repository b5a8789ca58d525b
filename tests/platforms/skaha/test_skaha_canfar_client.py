"""The official ``canfar`` client (AGPL-3.0, a test-only dependency here) talks to the Skaha
test double as it talks to real Skaha: statistics, create, list, get and delete, every call
within the contract. It sends the create parameters as query parameters, not as a form;
the double accepts both, as Skaha does."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from skaha_double import Served
from skaha_support import TOKEN

sessions = pytest.importorskip("canfar.sessions", reason="the canfar client is not installed")


def test_the_canfar_client_drives_the_double(double: Served, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))  # no operator's canfar config is read
    monkeypatch.delenv("CANFAR_TOKEN", raising=False)
    client = sessions.Session(url=double.url + "/v0", token=TOKEN)
    stats = client.stats()
    assert stats["cores"]["maxCores"]["cores"] == 4
    ids = client.create(name="nb1", image="images.canfar.net/skaha/notebook:1", cores=2,
                        ram=4, kind="notebook")
    assert len(ids) == 1
    time.sleep(double.double.startup + 0.1)
    [listed] = client.fetch(kind="notebook")
    assert listed["id"] == ids[0] and listed["status"] == "Running"
    assert listed["connectURL"].startswith(double.root)
    [info] = client.info(ids)
    assert info["requestedCPUCores"] == "2"
    assert client.destroy(ids) == {ids[0]: True}
    assert double.double.sessions == {}
    assert len(double.double.calls) == 5 and double.double.violations == []
