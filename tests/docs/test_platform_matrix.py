"""The platform matrix is generated from what each platform declares in its code."""

from __future__ import annotations

from ivoa_eb_broker.platforms.docker_api import _WHY_NOT, SINGULARITY
from ivoa_eb_broker.platforms.skaha import NOTEBOOK, SkahaPlatform
from ivoa_eb_broker.platforms.slurm import APPTAINER_NEEDED


def test_the_matrix_shows_each_platforms_declarations(hooks: None) -> None:
    import render_platforms

    text = render_platforms.page()
    rows = {line.split(" | ")[0].strip("| "): line for line in text.splitlines()
            if line.startswith("| ") and not line.startswith("| executable kind")}
    assert set(rows) == {"DockerContainer", "SingularityContainer", "JupyterNotebook"}
    singularity = rows["SingularityContainer"]
    assert f"**NO**: {_WHY_NOT[SINGULARITY]}" in singularity  # the docker platform's own reason
    assert " ".join(APPTAINER_NEEDED.split()) in singularity
    assert "runs: a Skaha notebook session" in rows["JupyterNotebook"]


def test_a_changed_declaration_changes_the_matrix(hooks: None, monkeypatch) -> None:
    import render_platforms

    monkeypatch.setattr(SkahaPlatform, "declared", classmethod(lambda cls: ()))
    text = render_platforms.page()
    line = next(x for x in text.splitlines() if x.startswith("| JupyterNotebook"))
    assert line.count("**NO**: the platform does not run this kind") == 1
    assert NOTEBOOK  # the kind's row is there whatever the platforms say
