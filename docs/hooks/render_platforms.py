"""The platform matrix: which executable kind each platform of the reference broker runs,
how, what it needs first, or why not. Generated from the platforms' own declarations
(``Platform.declared()``), never typed by hand."""

from __future__ import annotations

from ivoa_eb_broker.platforms import Platform
from ivoa_eb_broker.platforms.docker_api import DockerApiPlatform
from ivoa_eb_broker.platforms.simulated import SimulatedPlatform
from ivoa_eb_broker.platforms.skaha import SkahaPlatform
from ivoa_eb_broker.platforms.slurm import SlurmPlatform
from ivoa_eb_spec.vocabulary import load_kinds
from mdutil import table

#: The platforms shipped with the reference broker, by their ``type`` in config.
PLATFORMS: tuple[tuple[str, type[Platform], str], ...] = (
    ("docker", DockerApiPlatform, "howto/deploy-docker.md"),
    ("slurm", SlurmPlatform, "howto/deploy-slurm.md"),
    ("skaha", SkahaPlatform, "howto/deploy-canfar.md"),
    ("simulated", SimulatedPlatform, ""),
)


def verdict(platform: type[Platform], kind: str) -> str:
    """One cell: "runs: how (needs: ...)" or "NO: why"."""
    for capability in platform.declared():
        if capability.kind == kind:
            if not capability.runs:
                return f"**NO**: {capability.how}"
            needs = f" (needs: {capability.needs})" if capability.needs else ""
            return f"runs: {capability.how}{needs}"
    return "**NO**: the platform does not run this kind"


def page() -> str:
    kinds = [k for k in load_kinds() if k.family == "executable"]
    header = ("executable kind", *(f"[{name}](../{link})" if link else name
                                   for name, _, link in PLATFORMS))
    rows = [(k.title, *(verdict(cls, k.uri) for _, cls, _ in PLATFORMS)) for k in kinds]
    return "\n".join([
        "# Platform matrix",
        "",
        "Which executable kind each platform of the reference broker runs, generated at build "
        "time from what each platform declares in its code (`Platform.declared()`). *needs* "
        "names what the operator must configure or install first; without it the platform "
        "answers `NO` to that kind, with a message saying so. A kind a platform does not run "
        "gets `NO` naming the kind. The platforms are chosen by `type` in the broker's "
        "`[[platforms]]` tables ([deployment](../howto/deploy.md)).",
        "",
        table(header, rows),
    ])
