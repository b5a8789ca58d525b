"""``ivoa-eb-validate`` as a user runs it: folders, globs, stdin, output forms, exit status."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ivoa_eb_spec.validate.cli import USAGE_ERROR, main

ROOT = Path(__file__).resolve().parents[2]
ALIAS = "https://www.purl.org/ivoa.net/EB/schema/types/executable/docker-container-1.0"
GOOD = (
    "executable:\n"
    "  kind: https://www.purl.org/ivoa.net/Calycopis-openapi/schema/v1.0/kinds/executable/docker-container.yaml\n"
    "  image: {locations: [ghcr.io/example/sqrt:1.0]}\n"
)


def test_the_examples_pass(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(ROOT / "examples")]) == 0
    out = capsys.readouterr().out
    assert " 0 error(s), 0 warning(s)" in out
    # Every YAML, JSON and XML form was read as a request.
    assert out.count("examples.yaml: I-DOC-SKIPPED") == 1


def test_json_output_and_exit_status_of_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD + "compute:\n  kind: x\n  cores: {min: 4, max: 2}\n", encoding="utf-8")
    assert main(["--format", "json", str(bad)]) == 2
    report = json.loads(capsys.readouterr().out)
    (only,) = report["files"]
    assert only["document"] == "request"
    finding = next(f for f in only["findings"] if f["code"] == "E-RANGE-MINMAX")
    assert finding == {
        "code": "E-RANGE-MINMAX",
        "level": "ERROR",
        "path": "/compute/cores/min",
        "requirement": "DOC-02",
        "message": finding["message"],
    }
    assert report["spec"] == "1.0" and report["status"] == 2


def test_warnings_fail_only_when_asked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    alias = tmp_path / "alias.json"
    alias.write_text(json.dumps({"executable": {"kind": ALIAS, "image": {"locations": ["x"]}}}))
    assert main([str(alias)]) == 0
    assert main(["--fail-on", "warning", str(alias)]) == 1
    assert "W-KIND-ALIAS /executable/kind [KIND-02]" in capsys.readouterr().out


def test_globs_stdin_and_as(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.yaml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "b.yaml").write_text("kind: uri:enum-value-update\npath: phase\n", encoding="utf-8")
    assert main([str(tmp_path / "*.yaml")]) == 2
    out = capsys.readouterr().out
    assert "b.yaml: E-SCHEMA-REQUIRED /value" in out and "2 file(s)" in out
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"compute: {}\n")))
    assert main(["--as", "request", "-"]) == 2
    assert "-: E-SCHEMA-REQUIRED /executable" in capsys.readouterr().out


def test_usage_errors(tmp_path: Path) -> None:
    assert main([str(tmp_path / "missing.yaml")]) == USAGE_ERROR
    with pytest.raises(SystemExit) as stop:
        main(["--as", "shopping-list", "x"])
    assert stop.value.code == USAGE_ERROR


def test_console_script_and_pre_commit_hook() -> None:
    """The installed command runs, and the pre-commit hook names it."""
    command = shutil.which("ivoa-eb-validate", path=str(Path(sys.executable).parent))
    assert command is not None
    done = subprocess.run([command, "--list-codes"], capture_output=True, text=True, check=True)
    assert "E-TIME-BADDUR" in done.stdout
    hooks = (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    assert "entry: ivoa-eb-validate" in hooks
