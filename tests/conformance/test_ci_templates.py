"""The reusable CI templates and the one script they call, run as other projects would run it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "ci" / "run-conformance.sh"
ACTION = ROOT / ".github" / "actions" / "conformance" / "action.yml"
GITLAB = ROOT / "ci" / "gitlab" / "conformance.gitlab-ci.yml"
#: Inputs of the script that only a local run sets (the templates choose them themselves).
LOCAL_ONLY = {"EB_PYTHON", "EB_VENV"}


def _script_inputs() -> set[str]:
    header = SCRIPT.read_text(encoding="utf-8").split("set -euo pipefail")[0]
    return set(re.findall(r"^#\s+(EB_[A-Z_]+)\s", header, re.MULTILINE))


def _run(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("EB_")}
    environment.update({"EB_PYTHON": sys.executable, "EB_INSTALL": "skip", **env})
    return subprocess.run(
        ["bash", str(SCRIPT)],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_script_judges_a_broker_and_writes_every_report(
    reference_broker: str, tmp_path: Path
) -> None:
    done = _run(
        tmp_path,
        EB_URL=reference_broker,
        EB_SELECT="case.unknown-uuid-404 svc.post-requests",
        EB_TIME_BUDGET="60",
        EB_HEADERS="X-Trace: ci-test\n",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    reports = tmp_path / "conformance-report"
    report = json.loads((reports / "conformance.json").read_text(encoding="utf-8"))
    verdicts = {entry["id"]: entry["verdict"] for entry in report["requirements"]}
    assert verdicts["ERR-01"] == "pass" and verdicts["SVC-01"] == "pass"
    assert report["versions"]["broker"]["spec_version"] == report["versions"]["spec"]
    assert ET.parse(reports / "conformance.xml").getroot().tag == "testsuite"
    assert (reports / "conformance.html").is_file() and (reports / "conformance.md").is_file()


def test_the_script_fails_the_job_when_the_broker_fails(tmp_path: Path) -> None:
    done = _run(
        tmp_path, EB_URL="http://127.0.0.1:9/", EB_SELECT="svc.post-requests", EB_TIME_BUDGET="20"
    )
    assert done.returncode == 1, done.stdout + done.stderr


@pytest.mark.parametrize("env", [{}, {"EB_URL": "http://x/", "EB_LEVEL": "sometimes"}])
def test_usage_errors_exit_2(tmp_path: Path, env: dict[str, str]) -> None:
    assert _run(tmp_path, **env).returncode == 2


def test_the_github_action_calls_the_script_with_every_input() -> None:
    action = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    (step,) = [s for s in action["runs"]["steps"] if "run" in s]
    target = step["run"].split('"')[1].replace("${{ github.action_path }}", str(ACTION.parent))
    assert Path(target).resolve() == SCRIPT
    assert set(step["env"]) == _script_inputs() - {"EB_PYTHON"}
    used = set(re.findall(r"inputs\.([a-z-]+)", json.dumps(action["runs"])))
    assert used == set(action["inputs"]), "every input is passed on, and only inputs"
    assert all(item.get("description") for item in action["inputs"].values())


def test_the_gitlab_template_calls_the_script_with_every_input() -> None:
    template = yaml.safe_load(GITLAB.read_text(encoding="utf-8"))[".ivoa-eb-conformance"]
    assert template["script"] == ["bash /tmp/ivoa-eb/scripts/ci/run-conformance.sh"]
    assert _script_inputs() - LOCAL_ONLY <= set(template["variables"])
    assert "$EB_CONFORMANCE_REPO" in " ".join(template["before_script"])
