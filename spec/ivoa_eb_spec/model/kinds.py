"""Every kind URI the interface defines, in one place.

The URIs are upstream's (Calycopis-openapi v1.0) exactly: they are interface facts that
clients and brokers of the upstream prototype depend on. A test checks them against the
vocabulary in ``spec/vocabulary/kinds.yaml``.
"""

from __future__ import annotations

from typing import Final

PREFIX: Final = "https://www.purl.org/ivoa.net/Calycopis-openapi/schema/v1.0/kinds/"

DOCKER_CONTAINER: Final = PREFIX + "executable/docker-container.yaml"
SINGULARITY_CONTAINER: Final = PREFIX + "executable/singularity-container.yaml"
JUPYTER_NOTEBOOK: Final = PREFIX + "executable/jupyter-notebook.yaml"

SIMPLE_COMPUTE_RESOURCE: Final = PREFIX + "compute/simple-compute-resource.yaml"

SIMPLE_VOLUME_MOUNT: Final = PREFIX + "volume/simple-volume-mount.yaml"

SIMPLE_STORAGE_RESOURCE: Final = PREFIX + "storage/simple-storage-resource.yaml"

SIMPLE_DATA_RESOURCE: Final = PREFIX + "data/simple-data-resource.yaml"
S3_DATA_RESOURCE: Final = PREFIX + "data/S3-data-resource.yaml"
RUCIO_DATA_RESOURCE: Final = PREFIX + "data/rucio-data-resource.yaml"
IVOA_DATA_RESOURCE: Final = PREFIX + "data/ivoa-data-resource.yaml"
SKAO_DATA_RESOURCE: Final = PREFIX + "data/skao-data-resource.yaml"

SIMPLE_MINMAX_FLOAT_COST: Final = PREFIX + "costs/simple-minmax-float-cost.yaml"
SIMPLE_MINMAX_FLOAT_METRIC: Final = PREFIX + "metrics/simple-minmax-float-metric.yaml"

SIMPLE_EXECUTION_SESSION: Final = PREFIX + "session/simple-execution-session.yaml"
SCHEDULED_EXECUTION_SESSION: Final = PREFIX + "session/scheduled-execution-session.yaml"

STRING_VALUE_OPTION: Final = "uri:string-value-option"
ENUM_VALUE_OPTION: Final = "uri:enum-value-option"
INTEGER_VALUE_OPTION: Final = "uri:integer-value-option"
INTEGER_DELTA_OPTION: Final = "uri:integer-delta-option"

STRING_VALUE_UPDATE: Final = "uri:string-value-update"
ENUM_VALUE_UPDATE: Final = "uri:enum-value-update"
INTEGER_VALUE_UPDATE: Final = "uri:integer-value-update"
INTEGER_DELTA_UPDATE: Final = "uri:integer-delta-update"

#: The known kinds of each family, as the vocabulary groups them.
FAMILIES: Final[dict[str, tuple[str, ...]]] = {
    "executable": (DOCKER_CONTAINER, SINGULARITY_CONTAINER, JUPYTER_NOTEBOOK),
    "compute": (SIMPLE_COMPUTE_RESOURCE,),
    "volume": (SIMPLE_VOLUME_MOUNT,),
    "storage": (SIMPLE_STORAGE_RESOURCE,),
    "data": (
        SIMPLE_DATA_RESOURCE,
        S3_DATA_RESOURCE,
        RUCIO_DATA_RESOURCE,
        IVOA_DATA_RESOURCE,
        SKAO_DATA_RESOURCE,
    ),
    "cost": (SIMPLE_MINMAX_FLOAT_COST,),
    "metric": (SIMPLE_MINMAX_FLOAT_METRIC,),
    "session": (SIMPLE_EXECUTION_SESSION, SCHEDULED_EXECUTION_SESSION),
    "option": (STRING_VALUE_OPTION, ENUM_VALUE_OPTION, INTEGER_VALUE_OPTION, INTEGER_DELTA_OPTION),
    "update": (STRING_VALUE_UPDATE, ENUM_VALUE_UPDATE, INTEGER_VALUE_UPDATE, INTEGER_DELTA_UPDATE),
}

ALL: Final[frozenset[str]] = frozenset(uri for uris in FAMILIES.values() for uri in uris)
