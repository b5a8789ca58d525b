"""The use-case gallery renders JSON and XML from the YAML source when the generated forms in
examples/json and examples/xml are not there, and says when answers were not captured."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml

from .conftest import ROOT


def yaml_only(tmp_path: Path) -> Path:
    folder = tmp_path / "examples"
    folder.mkdir()
    for source in (ROOT / "examples").glob("*.yaml"):
        shutil.copy(source, folder / source.name)
    return folder


def test_forms_derived_from_yaml(hooks: None, tmp_path: Path) -> None:
    import render_examples

    folder = yaml_only(tmp_path)
    text = render_examples.page(folder, tmp_path / "no-answers")
    catalogue = yaml.safe_load((folder / "examples.yaml").read_text(encoding="utf-8"))
    assert text.count('=== "JSON"') == len(catalogue["examples"])
    assert text.count("<offers-request xmlns=") == len(catalogue["examples"])
    assert "Answers not captured in this build" in text
    first = catalogue["examples"][0]
    source = yaml.safe_load((folder / first["file"]).read_text(encoding="utf-8"))
    derived = json.loads(render_examples.json_form(folder, Path(first["file"]).stem, source))
    assert derived == source


def test_captured_answer_shown(hooks: None, tmp_path: Path) -> None:
    import render_examples

    folder = yaml_only(tmp_path)
    catalogue = yaml.safe_load((folder / "examples.yaml").read_text(encoding="utf-8"))
    first = catalogue["examples"][0]
    answers = tmp_path / "answers"
    answers.mkdir()
    wrong = "NO" if first["expect"] == "YES" else "YES"
    (answers / f"{Path(first['file']).stem}.yaml").write_text(
        f"# POST {first['endpoint']} -> 200 OK\nresult: '{wrong}'\n", encoding="utf-8"
    )
    text = render_examples.page(folder, answers)
    assert "Answers not captured in this build" not in text
    assert f"The broker answered {wrong}, the catalogue expects {first['expect']}" in text


def test_the_federation_use_case_says_when_it_was_not_captured(hooks: None,
                                                               tmp_path: Path) -> None:
    import render_examples

    text = render_examples.page(yaml_only(tmp_path), tmp_path / "no-answers")
    assert "## One request, three sites: a head broker {#federation}" in text
    assert "Not captured in this build" in text
    assert "(#federation)" in text


def test_the_federation_use_case_shows_each_captured_step_in_order(hooks: None,
                                                                   tmp_path: Path) -> None:
    import render_federation

    answers = tmp_path / "federation"
    answers.mkdir()
    steps = [{"file": "01-offers.yaml", "title": "Offers"},
             {"file": "02-loop.yaml", "title": "Loop refused"}]
    (answers / "index.yaml").write_text(yaml.safe_dump(
        {"request": "examples/01-sqrt-docker.yaml", "steps": steps}), encoding="utf-8")
    (answers / "01-offers.yaml").write_text("# POST -> 200 OK\nresult: 'YES'\n")
    (answers / "02-loop.yaml").write_text("# POST -> 508 Loop Detected\nstatus: 508\n")
    text = render_federation.section(answers)
    assert "Not captured" not in text
    assert text.index('=== "1. Offers"') < text.index('=== "2. Loop refused"')
    assert "    status: 508" in text
