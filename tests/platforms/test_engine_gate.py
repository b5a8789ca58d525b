"""A missing engine skips an engine test on a developer's machine and fails it in CI."""

from __future__ import annotations

import pytest
from engine_gate import absent


def test_a_missing_engine_skips_with_its_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no Slurm here"):
        absent("no Slurm here")


@pytest.mark.parametrize("value", ["true", "True", "1"])
def test_a_missing_engine_fails_in_ci(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception, match="no podman here.*CI"):
        absent("no podman here")
