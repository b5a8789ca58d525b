"""The model mirrors the normative JSON Schema: the same classes, field names in the same
order, the same required fields, the same enum values and the same kind URIs."""

from __future__ import annotations

from enum import Enum
from typing import Any, get_args

import pytest
from ivoa_eb_spec import model as m
from ivoa_eb_spec.model import kinds as K
from ivoa_eb_spec.registry import SCHEMA_BASE, registry
from ivoa_eb_spec.vocabulary import FAMILIES, known_kinds, load_kinds
from pydantic import BaseModel

# Sub-schemas are named by the path to them from a kind, not by their $defs names.
D = "kinds/executable/docker-container.yaml#/properties/"
IVOA = "kinds/data/ivoa-data-resource.yaml#/properties/"
SKAO = "kinds/data/skao-data-resource.yaml#/properties/"

MODELS: list[tuple[type[BaseModel], str]] = [
    (m.DockerContainer, "kinds/executable/docker-container.yaml"),
    (m.DockerImage, D + "image"),
    (m.DockerPlatform, D + "image/properties/platform"),
    (m.DockerNetwork, D + "network"),
    (m.DockerPort, D + "network/properties/ports/items"),
    (m.DockerInternalPort, D + "network/properties/ports/items/properties/internal"),
    (m.DockerExternalPort, D + "network/properties/ports/items/properties/external"),
    (m.SingularityContainer, "kinds/executable/singularity-container.yaml"),
    (m.JupyterNotebook, "kinds/executable/jupyter-notebook.yaml"),
    (m.SimpleComputeResource, "kinds/compute/simple-compute-resource.yaml"),
    (m.PositiveRange, "kinds/compute/simple-compute-resource.yaml#/properties/cores"),
    (m.PositiveRange, "kinds/compute/simple-compute-resource.yaml#/properties/memory"),
    (m.SimpleVolumeMount, "kinds/volume/simple-volume-mount.yaml"),
    (m.SimpleStorageResource, "kinds/storage/simple-storage-resource.yaml"),
    (m.PositiveRange, "kinds/storage/simple-storage-resource.yaml#/properties/size"),
    (m.SimpleDataResource, "kinds/data/simple-data-resource.yaml"),
    (m.S3DataResource, "kinds/data/S3-data-resource.yaml"),
    (m.RucioDataResource, "kinds/data/rucio-data-resource.yaml"),
    (m.RucioBlock, "kinds/data/rucio-data-resource.yaml#/properties/rucio"),
    (m.IvoaDataResource, "kinds/data/ivoa-data-resource.yaml"),
    (m.IvoaBlock, IVOA + "ivoa"),
    (m.ObsCoreRecord, IVOA + "ivoa/properties/obscore"),
    (m.DataLinkRecord, IVOA + "ivoa/properties/datalink"),
    (m.SkaoDataResource, "kinds/data/skao-data-resource.yaml"),
    (m.SkaoBlock, SKAO + "skao"),
    (m.SkaoChecksum, SKAO + "skao/properties/checksum"),
    (m.SkaoReplica, SKAO + "skao/properties/replicas/items"),
    (m.SimpleMinMaxFloatCost, "kinds/costs/simple-minmax-float-cost.yaml"),
    (m.SimpleMinMaxFloatMetric, "kinds/metrics/simple-minmax-float-metric.yaml"),
    (m.SimpleExecutionSession, "kinds/session/simple-execution-session.yaml"),
    (m.ScheduledExecutionSession, "kinds/session/scheduled-execution-session.yaml"),
    (
        m.SimpleSessionConnector,
        "kinds/session/simple-execution-session.yaml#/properties/connectors/items",
    ),
    (m.StringValueOption, "option.yaml#/$defs/StringValueOption"),
    (m.EnumValueOption, "option.yaml#/$defs/EnumValueOption"),
    (m.IntegerValueOption, "option.yaml#/$defs/IntegerValueOption"),
    (m.IntegerDeltaOption, "option.yaml#/$defs/IntegerDeltaOption"),
    (m.StringValueUpdate, "update.yaml#/$defs/StringValueUpdate"),
    (m.EnumValueUpdate, "update.yaml#/$defs/EnumValueUpdate"),
    (m.IntegerValueUpdate, "update.yaml#/$defs/IntegerValueUpdate"),
    (m.IntegerDeltaUpdate, "update.yaml#/$defs/IntegerDeltaUpdate"),
    (m.MessageItem, "common.yaml#/$defs/MessageList/items"),
    (m.ComponentMetadata, "kinds/executable/jupyter-notebook.yaml#/properties/meta"),
    (m.ServiceMetadata, "offer-set-response.yaml#/properties/meta"),
    (m.Schedule, "kinds/executable/jupyter-notebook.yaml#/properties/schedule"),
    (
        m.ScheduleInstant,
        "kinds/executable/jupyter-notebook.yaml#/properties/schedule/properties/preparing",
    ),
    (
        m.ScheduleInterval,
        "kinds/executable/jupyter-notebook.yaml#/properties/schedule/properties/available",
    ),
    (m.ExecutionRequest, "execution-request.yaml"),
    (m.RequestedSchedule, "execution-request.yaml#/properties/schedule"),
    (m.RequestedTime, "execution-request.yaml#/properties/schedule/properties/requested"),
    (m.OfferSetResponse, "offer-set-response.yaml"),
    (m.ErrorResponse, "error-response.yaml"),
    (m.ErrorMessage, "error-response.yaml#/properties/messages/items"),
]

ENUMS: list[tuple[type[Enum], str]] = [
    (m.LifecyclePhase, "kinds/executable/jupyter-notebook.yaml#/properties/phase"),
    (m.SessionPhase, "kinds/session/simple-execution-session.yaml#/properties/phase"),
    (m.MessageLevel, "common.yaml#/$defs/MessageList/items/properties/level"),
    (
        m.ConnectorStatus,
        "kinds/session/simple-execution-session.yaml#/properties/connectors/items/properties/status",
    ),
    (m.MountMode, "kinds/volume/simple-volume-mount.yaml#/properties/mode"),
    (m.DataObjectType, "kinds/data/rucio-data-resource.yaml#/properties/rucio/properties/type"),
    (m.DataObjectType, SKAO + "skao/properties/objecttype"),
    (m.OfferSetResult, "offer-set-response.yaml#/properties/result"),
]

UNIONS: dict[str, Any] = {
    "executable": m.Executable,
    "compute": m.Compute,
    "volume": m.VolumeMount,
    "storage": m.StorageResource,
    "data": m.DataResource,
    "cost": m.Cost,
    "metric": m.Metric,
    "session": m.ExecutionSession,
    "option": m.Option,
    "update": m.Update,
}


def _flat(reference: str) -> dict[str, Any]:
    """The schema at ``file#/json/pointer``, following ``$ref`` on the way and merging a
    ``$ref`` that stands beside other keywords into one object schema."""
    file, _, path = reference.partition("#")
    resolved = registry().resolver(SCHEMA_BASE).lookup(SCHEMA_BASE + file)
    schema, resolver = resolved.contents, resolved.resolver
    for step in [token for token in path.split("/") if token]:
        while "$ref" in schema:
            target = resolver.lookup(schema["$ref"])
            schema, resolver = target.contents, target.resolver
        schema = schema[step]
    schema = dict(schema)
    while "$ref" in schema:
        target = resolver.lookup(schema.pop("$ref"))
        merged = dict(target.contents)
        merged["required"] = [*merged.get("required", []), *schema.pop("required", [])]
        schema.pop("properties", None)  # a narrowing of properties the target lists
        merged.update(schema)
        schema, resolver = merged, target.resolver
    return schema


def _wire_names(model: type[BaseModel]) -> list[str]:
    return [field.alias or name for name, field in model.model_fields.items()]


@pytest.mark.parametrize(("model", "reference"), MODELS, ids=[ref for _, ref in MODELS])
def test_fields_match_the_schema(model: type[BaseModel], reference: str) -> None:
    schema = _flat(reference)
    assert _wire_names(model) == list(schema["properties"])
    required = {
        field.alias or name for name, field in model.model_fields.items() if field.is_required()
    }
    assert required == set(schema.get("required", []))
    assert "additionalProperties" not in schema  # open: must-ignore, EXT-01
    assert model.model_config.get("extra") == "ignore"


@pytest.mark.parametrize(("enum", "reference"), ENUMS, ids=[ref for _, ref in ENUMS])
def test_enums_match_the_schema(enum: type[Enum], reference: str) -> None:
    assert [member.value for member in enum] == _flat(reference)["enum"]


def test_every_schema_class_is_modelled() -> None:
    vocabulary_schemas = {kind.schema for kind in load_kinds()}
    assert vocabulary_schemas <= {reference for _, reference in MODELS}


@pytest.mark.parametrize("family", FAMILIES)
def test_kind_constants_match_the_vocabulary(family: str) -> None:
    assert set(K.FAMILIES[family]) == known_kinds(family)


def test_no_kind_constant_is_outside_the_vocabulary() -> None:
    assert set(K.FAMILIES) == set(FAMILIES)
    assert {kind.uri for kind in load_kinds()} == K.ALL


@pytest.mark.parametrize("family", FAMILIES)
def test_family_unions_dispatch_every_known_kind(family: str) -> None:
    union = get_args(UNIONS[family])[0]
    tagged = {get_args(member)[1].tag: get_args(member)[0] for member in get_args(union)}
    assert set(tagged) == known_kinds(family) | {m.UNKNOWN_TAG}
    assert issubclass(tagged[m.UNKNOWN_TAG], m.OpenModel)
    for uri, model in tagged.items():
        if uri != m.UNKNOWN_TAG:
            assert get_args(model.model_fields["kind"].annotation) == (uri,)
            schema = next(kind.schema for kind in load_kinds() if kind.uri == uri)
            assert (model, schema) in MODELS
