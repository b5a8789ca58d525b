"""Licences: the top-level statement, the licence texts, and every third-party file named
with its source and licence (THIRD-PARTY.yaml)."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml
from ivoa_eb_spec import load_yaml

ROOT = Path(__file__).resolve().parents[2]
THIRD_PARTY = yaml.safe_load((ROOT / "THIRD-PARTY.yaml").read_text(encoding="utf-8"))["files"]
LISTED = {entry["path"]: entry for entry in THIRD_PARTY}
#: Words that mark a file as carrying someone's licence notice.
NOTICE = re.compile(r"copyright \(c\)|©|creative commons|licensed under|SPDX-License", re.I)
#: The project's own files that talk about licences.
OWN = {"LICENSE", "THIRD-PARTY.yaml", "tests/spec/test_licences.py",
       "spec/openapi/execution-broker.yaml", "spec/bundled/openapi.yaml",
       "spec/bundled/openapi.json"}


def tracked() -> list[str]:
    try:
        done = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                              check=True)
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: the tracked files cannot be listed")
    return [line for line in done.stdout.splitlines() if (ROOT / line).is_file()]


def spdx_ids(expression: str) -> set[str]:
    return set(re.findall(r"[A-Za-z0-9.\-]+", expression)) - {"AND", "OR", "WITH"}


def test_the_top_level_statement_says_what_covers_what() -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    for words in ("Apache-2.0", "CC-BY-SA-4.0", "reference/", "conformance/",
                  "spec/openapi/", "spec/schema/", "docs/spec/",
                  '"Apache-2.0 AND CC-BY-SA-4.0"', "THIRD-PARTY.yaml"):
        assert words in text, words


def test_every_licence_named_has_its_text() -> None:
    named = {entry["licence"] for entry in THIRD_PARTY}
    for folder in ("spec", "reference", "conformance"):
        project = tomllib.loads((ROOT / folder / "pyproject.toml").read_text())["project"]
        named |= spdx_ids(project["license"])
    named.add(load_yaml("openapi/execution-broker.yaml")["info"]["license"]["identifier"])
    texts = {path.stem for path in (ROOT / "LICENSES").glob("*.txt")}
    assert named <= texts, named - texts
    assert named == texts, f"licence texts nothing refers to: {texts - named}"


def test_the_distributions_state_their_licences() -> None:
    licences = {folder: tomllib.loads((ROOT / folder / "pyproject.toml").read_text())[
        "project"]["license"] for folder in ("spec", "reference", "conformance")}
    assert licences == {"spec": "Apache-2.0 AND CC-BY-SA-4.0", "reference": "Apache-2.0",
                        "conformance": "Apache-2.0"}


@pytest.mark.parametrize("path", sorted(LISTED))
def test_each_listed_file_names_source_and_licence_and_is_where_it_says(path: str) -> None:
    entry = LISTED[path]
    assert {"what", "source", "licence", "copyright", "kept"} <= set(entry), path
    if entry["kept"] == "git":
        assert path in tracked(), f"{path} is listed as kept in git but is not tracked"
    else:
        assert entry["kept"] == "fetched"
        script = (ROOT / entry["fetched_by"]).read_text(encoding="utf-8")
        assert path in script, f"{entry['fetched_by']} does not write {path}"
        ignored = subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT)
        assert ignored.returncode == 0, f"{path} is fetched: it must be gitignored"


def test_every_third_party_file_in_the_tree_is_listed() -> None:
    files = tracked()
    vendored = [f for f in files if "/vendor/" in f"/{f}" and not f.endswith("README.md")]
    assert vendored, "the vendored IVOA schemas are expected under spec/xml/vendor/"
    noticed = [f for f in files if f not in OWN and not f.startswith("LICENSES/")
               and not f.endswith("README.md") and NOTICE.search(
                   (ROOT / f).read_text(encoding="utf-8", errors="replace"))]
    unlisted = sorted(set(vendored + noticed) - set(LISTED))
    assert unlisted == [], f"third-party files not in THIRD-PARTY.yaml: {unlisted}"


def test_the_vendor_readme_gives_source_commit_and_licence() -> None:
    readme = (ROOT / "spec" / "xml" / "vendor" / "README.md").read_text(encoding="utf-8")
    for path, entry in LISTED.items():
        if path.startswith("spec/xml/vendor/"):
            name = Path(path).name
            commit = re.search(r"commit ([0-9a-f]{40})", entry["source"])
            assert commit and name in readme and commit.group(1) in readme, name
            assert entry["licence"] in readme
