"""Executables: what the client wants to run."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, Tag

from . import kinds as K
from .base import UNKNOWN_TAG, Bool, KnownModel, OpenModel, Str, kind_discriminator, whole_number
from .common import Cost, LifecycleComponent, Metric

__all__ = [
    "DEFAULT_ARCHITECTURE",
    "DEFAULT_OS",
    "DEFAULT_PRIVILEGED",
    "DockerContainer",
    "DockerExternalPort",
    "DockerImage",
    "DockerInternalPort",
    "DockerNetwork",
    "DockerPlatform",
    "DockerPort",
    "Executable",
    "JupyterNotebook",
    "PortNumber",
    "SingularityContainer",
    "UnknownExecutable",
]

#: Upstream defaults, which the broker applies when a field is absent (never written back).
DEFAULT_ARCHITECTURE = "amd64"
DEFAULT_OS = "linux"
DEFAULT_PRIVILEGED = False

#: A TCP/UDP port number.
PortNumber = Annotated[int, BeforeValidator(whole_number), Field(strict=True, ge=1, le=65535)]


class DockerPlatform(KnownModel):
    """The platform an image is built for; absent means amd64 / linux."""

    architecture: Str | None = None
    os: Str | None = None


class DockerImage(KnownModel):
    """Where to pull an image from, and the digest that pins its content."""

    locations: list[Str] | None = None
    digest: Str | None = None
    platform: DockerPlatform | None = None


class DockerInternalPort(KnownModel):
    """A port inside the container."""

    port: PortNumber | None = None


class DockerExternalPort(KnownModel):
    """Where a published port is reachable; filled in by the broker."""

    port: PortNumber | None = None
    addresses: list[Str] | None = None


class DockerPort(KnownModel):
    """One published port."""

    access: Bool | None = None
    internal: DockerInternalPort | None = None
    external: DockerExternalPort | None = None
    protocol: Str | None = None
    path: Str | None = None


class DockerNetwork(KnownModel):
    """The ports a container publishes."""

    ports: list[DockerPort] | None = None


class DockerContainer(LifecycleComponent):
    """A Docker (OCI) container; absent ``privileged`` means false."""

    kind: Literal[K.DOCKER_CONTAINER]
    image: DockerImage | None = None
    privileged: Bool | None = None
    command: list[Str] | None = None
    entrypoint: Str | None = None
    environment: dict[str, Str] | None = None
    network: DockerNetwork | None = None
    costs: list[Cost] | None = None
    metrics: list[Metric] | None = None


class SingularityContainer(LifecycleComponent):
    """A Singularity container image, downloaded from ``location``."""

    kind: Literal[K.SINGULARITY_CONTAINER]
    location: Str | None = None
    costs: list[Cost] | None = None
    metrics: list[Metric] | None = None


class JupyterNotebook(LifecycleComponent):
    """A Jupyter notebook, downloaded from ``location``."""

    kind: Literal[K.JUPYTER_NOTEBOOK]
    location: Str | None = None
    costs: list[Cost] | None = None
    metrics: list[Metric] | None = None


class UnknownExecutable(OpenModel):
    """An executable of a kind this model does not know, kept whole (the broker answers NO)."""

    family = "executable"


Executable = Annotated[
    Annotated[DockerContainer, Tag(K.DOCKER_CONTAINER)]
    | Annotated[SingularityContainer, Tag(K.SINGULARITY_CONTAINER)]
    | Annotated[JupyterNotebook, Tag(K.JUPYTER_NOTEBOOK)]
    | Annotated[UnknownExecutable, Tag(UNKNOWN_TAG)],
    kind_discriminator(K.FAMILIES["executable"]),
]
