"""Resources: compute (with its volume mounts), storage and data."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, Tag

from . import kinds as K
from .base import (
    LONG_MAX,
    UNKNOWN_TAG,
    Int,
    KnownModel,
    OpenModel,
    Str,
    kind_discriminator,
    whole_number,
)
from .common import Component, Cost, LifecycleComponent, Metric, Name, PositiveRange

#: A size in bytes: from 0 to the largest ``xs:long``.
ByteCount = Annotated[int, BeforeValidator(whole_number), Field(strict=True, ge=0, le=LONG_MAX)]

__all__ = [
    "Compute",
    "DataLinkRecord",
    "DataObjectType",
    "DataResource",
    "IvoaBlock",
    "IvoaDataResource",
    "MountMode",
    "ObsCoreRecord",
    "RucioBlock",
    "RucioDataResource",
    "S3DataResource",
    "SimpleComputeResource",
    "SimpleDataResource",
    "SimpleStorageResource",
    "SimpleVolumeMount",
    "SkaoBlock",
    "SkaoChecksum",
    "SkaoDataResource",
    "SkaoReplica",
    "StorageResource",
    "UnknownCompute",
    "UnknownDataResource",
    "UnknownStorageResource",
    "UnknownVolumeMount",
    "VolumeMount",
]


class MountMode(StrEnum):
    """Whether a mounted volume may be written."""

    READONLY = "READONLY"
    READWRITE = "READWRITE"


class SimpleVolumeMount(Component):
    """Mounts the storage or data resource named ``resource`` at ``path``."""

    kind: Literal[K.SIMPLE_VOLUME_MOUNT]
    path: Str | None = None
    mode: MountMode | None = None
    resource: Name | None = None
    costs: list[Cost] | None = None
    metrics: list[Metric] | None = None


class UnknownVolumeMount(OpenModel):
    """A volume mount of a kind this model does not know, kept whole."""

    family = "volume"


VolumeMount = Annotated[
    Annotated[SimpleVolumeMount, Tag(K.SIMPLE_VOLUME_MOUNT)]
    | Annotated[UnknownVolumeMount, Tag(UNKNOWN_TAG)],
    kind_discriminator(K.FAMILIES["volume"]),
]


class SimpleComputeResource(LifecycleComponent):
    """CPU cores and memory (integer GiB) as min/max ranges, and the volumes to mount."""

    kind: Literal[K.SIMPLE_COMPUTE_RESOURCE]
    cores: PositiveRange | None = None
    memory: PositiveRange | None = None
    volumes: list[VolumeMount] | None = None
    costs: list[Cost] | None = None
    metrics: list[Metric] | None = None


class UnknownCompute(OpenModel):
    """A compute resource of a kind this model does not know, kept whole (the broker answers NO)."""

    family = "compute"


Compute = Annotated[
    Annotated[SimpleComputeResource, Tag(K.SIMPLE_COMPUTE_RESOURCE)]
    | Annotated[UnknownCompute, Tag(UNKNOWN_TAG)],
    kind_discriminator(K.FAMILIES["compute"]),
]


class SimpleStorageResource(LifecycleComponent):
    """Storage space (integer GiB range), holding the data resources named in ``data``."""

    kind: Literal[K.SIMPLE_STORAGE_RESOURCE]
    size: PositiveRange | None = None
    data: list[Name] | None = None
    costs: list[Cost] | None = None
    metrics: list[Metric] | None = None


class UnknownStorageResource(OpenModel):
    """A storage resource of a kind this model does not know, kept whole."""

    family = "storage"


StorageResource = Annotated[
    Annotated[SimpleStorageResource, Tag(K.SIMPLE_STORAGE_RESOURCE)]
    | Annotated[UnknownStorageResource, Tag(UNKNOWN_TAG)],
    kind_discriminator(K.FAMILIES["storage"]),
]


class DataObjectType(StrEnum):
    """What a Rucio (or SKAO data lake) name refers to."""

    FILE = "FILE"
    CONTAINER = "CONTAINER"
    DATASET = "DATASET"


class SimpleDataResource(LifecycleComponent):
    """Data fetched from a URL; ``storage`` names the storage resource that holds it."""

    kind: Literal[K.SIMPLE_DATA_RESOURCE]
    location: Str | None = None
    storage: Name | None = None
    costs: list[Cost] | None = None
    metrics: list[Metric] | None = None


class S3DataResource(LifecycleComponent):
    """An object (or a whole bucket) in an S3 service."""

    kind: Literal[K.S3_DATA_RESOURCE]
    endpoint: Str | None = None
    template: Str | None = None
    bucket: Str | None = None
    object_: Str | None = Field(None, alias="object")
    storage: Name | None = None
    costs: list[Cost] | None = None
    metrics: list[Metric] | None = None


class RucioBlock(KnownModel):
    """Where a Rucio data object lives."""

    endpoint: Str | None = None
    scope: Str | None = None
    object_: Str | None = Field(None, alias="object")
    type_: DataObjectType | None = Field(None, alias="type")


class RucioDataResource(LifecycleComponent):
    """A data object in a Rucio storage system."""

    kind: Literal[K.RUCIO_DATA_RESOURCE]
    rucio: RucioBlock | None = None
    storage: Name | None = None
    costs: list[Cost] | None = None
    metrics: list[Metric] | None = None


class ObsCoreRecord(KnownModel):
    """A row of ObsCore metadata (field names are ObsCore's)."""

    obs_id: Str | None = None
    obs_collection: Str | None = None
    obs_publisher_did: Str | None = None
    obs_creator_did: Str | None = None
    dataproduct_type: Str | None = None
    calib_level: Int | None = None
    access_url: Str | None = None
    access_format: Str | None = None


class DataLinkRecord(KnownModel):
    """A row of DataLink metadata (field names are DataLink's)."""

    id: Str | None = Field(None, alias="ID")
    access_url: Str | None = None
    service_def: Str | None = None
    error_message: Str | None = None
    description: Str | None = None
    semantics: Str | None = None
    content_type: Str | None = None
    content_length: ByteCount | None = None
    content_qualifier: Str | None = None
    local_semantics: Str | None = None
    link_auth: Str | None = None
    link_authorized: Str | None = None


class IvoaBlock(KnownModel):
    """The IVOA identity of a dataset and how to get it."""

    ivoid: Str | None = None
    obscore: ObsCoreRecord | None = None
    datalink: DataLinkRecord | None = None


class IvoaDataResource(LifecycleComponent):
    """A dataset known by its IVOA identifier."""

    kind: Literal[K.IVOA_DATA_RESOURCE]
    ivoa: IvoaBlock | None = None
    storage: Name | None = None
    costs: list[Cost] | None = None
    metrics: list[Metric] | None = None


class SkaoChecksum(KnownModel):
    """A checksum and its algorithm."""

    type_: Str | None = Field(None, alias="type")
    value: Str | None = None


class SkaoReplica(KnownModel):
    """A replica of a data object in a Rucio Storage Element."""

    rsename: Str | None = None
    dataurl: Str | None = None


class SkaoBlock(KnownModel):
    """Where a data object lives in the SKAO data lake."""

    namespace: Str | None = None
    objectname: Str | None = None
    objecttype: DataObjectType | None = None
    datasize: ByteCount | None = None
    checksum: SkaoChecksum | None = None
    replicas: list[SkaoReplica] | None = None


class SkaoDataResource(LifecycleComponent):
    """A data object in the SKAO data lake, with its IVOA identity."""

    kind: Literal[K.SKAO_DATA_RESOURCE]
    ivoa: IvoaBlock | None = None
    skao: SkaoBlock | None = None
    storage: Name | None = None
    costs: list[Cost] | None = None
    metrics: list[Metric] | None = None


class UnknownDataResource(OpenModel):
    """A data resource of a kind this model does not know, kept whole (the broker answers NO)."""

    family = "data"


DataResource = Annotated[
    Annotated[SimpleDataResource, Tag(K.SIMPLE_DATA_RESOURCE)]
    | Annotated[S3DataResource, Tag(K.S3_DATA_RESOURCE)]
    | Annotated[RucioDataResource, Tag(K.RUCIO_DATA_RESOURCE)]
    | Annotated[IvoaDataResource, Tag(K.IVOA_DATA_RESOURCE)]
    | Annotated[SkaoDataResource, Tag(K.SKAO_DATA_RESOURCE)]
    | Annotated[UnknownDataResource, Tag(UNKNOWN_TAG)],
    kind_discriminator(K.FAMILIES["data"]),
]
