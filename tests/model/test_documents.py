"""Hand-written documents of every kind: valid per the JSON Schema, read into the right
classes, and written back unchanged through JSON and YAML."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from ivoa_eb_spec import model as m
from ivoa_eb_spec.codecs import DecodeError, MediaType, decode, encode
from ivoa_eb_spec.model import kinds as K
from ivoa_eb_spec.registry import validator
from ivoa_eb_spec.xmlschema_gen import xml_schema
from model_samples import (
    DATA,
    ERROR,
    JUPYTER,
    OFFER_SET_NO,
    OFFER_SET_YES,
    REQUEST,
    SESSION,
    SIMPLE_SESSION,
    SINGULARITY,
    UPDATES,
    UUID_A,
)

# (schema file, model, document)
CASES: list[tuple[str, Any, dict[str, Any]]] = [
    ("execution-request.yaml", m.ExecutionRequest, REQUEST),
    ("execution-request.yaml", m.ExecutionRequest, {"executable": SINGULARITY}),
    ("execution-request.yaml", m.ExecutionRequest, {"executable": JUPYTER}),
    ("session.yaml", m.ExecutionSession, SESSION),
    ("session.yaml", m.ExecutionSession, SIMPLE_SESSION),
    ("offer-set-response.yaml", m.OfferSetResponse, OFFER_SET_YES),
    ("offer-set-response.yaml", m.OfferSetResponse, OFFER_SET_NO),
    ("error-response.yaml", m.ErrorResponse, ERROR),
    *[("update.yaml", m.Update, update) for update in UPDATES],
]
IDS = [f"{schema}-{index}" for index, (schema, _, _) in enumerate(CASES)]


@pytest.mark.parametrize(("schema", "model", "document"), CASES, ids=IDS)
def test_sample_is_valid_per_json_schema(schema: str, model: Any, document: dict[str, Any]) -> None:
    errors = [error.message for error in validator(schema).iter_errors(document)]
    assert errors == []


@pytest.mark.parametrize(("schema", "model", "document"), CASES, ids=IDS)
@pytest.mark.parametrize("media_type", list(MediaType))
def test_round_trip_is_identity(
    schema: str, model: Any, document: dict[str, Any], media_type: MediaType
) -> None:
    body = json.dumps(document).encode()
    parsed = decode(body, MediaType.JSON, model)
    assert parsed.to_document() == document
    again = decode(encode(parsed, media_type), media_type, model)
    assert again == parsed
    assert again.to_document() == document


@pytest.mark.parametrize(("schema", "model", "document"), CASES, ids=IDS)
def test_xml_written_is_valid_per_xml_schema(
    schema: str, model: Any, document: dict[str, Any]
) -> None:
    body = encode(decode(json.dumps(document).encode(), MediaType.JSON, model), MediaType.XML)
    xml_schema().validate(body)


def test_request_parses_into_the_kind_classes() -> None:
    request = m.ExecutionRequest.model_validate(REQUEST)
    assert isinstance(request.executable, m.DockerContainer)
    assert request.executable.network.ports[0].internal.port == 8888
    assert request.executable.phase is m.LifecyclePhase.WAITING
    assert isinstance(request.compute, m.SimpleComputeResource)
    assert [type(volume) for volume in request.compute.volumes] == [m.SimpleVolumeMount] * 2
    assert request.compute.volumes[0].mode is m.MountMode.READONLY
    assert isinstance(request.storage[0], m.SimpleStorageResource)
    assert [type(data) for data in request.data] == [
        m.SimpleDataResource,
        m.S3DataResource,
        m.RucioDataResource,
        m.IvoaDataResource,
        m.SkaoDataResource,
    ]
    assert request.data[1].object_ == "o.fits"
    assert request.data[2].rucio.type_ is m.DataObjectType.DATASET
    assert request.data[3].ivoa.datalink.id == "ivo://example.org/pub?1"
    assert request.data[4].skao.checksum.type_ == "adler32"
    assert isinstance(request.costs[0], m.SimpleMinMaxFloatCost)
    assert request.costs[0].type_ == "urn:cost:money"
    assert isinstance(request.metrics[0], m.SimpleMinMaxFloatMetric)


def test_session_and_options_parse_into_their_classes() -> None:
    session = decode(json.dumps(SESSION).encode(), MediaType.JSON, m.ExecutionSession)
    assert isinstance(session, m.ScheduledExecutionSession)
    assert session.phase is m.SessionPhase.OFFERED
    assert [type(option) for option in session.meta.options] == [
        m.EnumValueOption,
        m.StringValueOption,
        m.IntegerValueOption,
        m.IntegerDeltaOption,
    ]
    assert session.connectors[0].status is m.ConnectorStatus.PREPARING
    assert isinstance(
        decode(json.dumps(SIMPLE_SESSION).encode(), MediaType.JSON, m.ExecutionSession),
        m.SimpleExecutionSession,
    )


def test_updates_parse_into_their_classes() -> None:
    parsed = [decode(json.dumps(update).encode(), MediaType.JSON, m.Update) for update in UPDATES]
    assert [type(update) for update in parsed] == [
        m.EnumValueUpdate,
        m.StringValueUpdate,
        m.IntegerValueUpdate,
        m.IntegerDeltaUpdate,
    ]


def test_defaults_are_not_written_back() -> None:
    # privileged (false) and platform (amd64/linux) have upstream defaults; they stay absent.
    docker = {"kind": K.DOCKER_CONTAINER, "image": {"locations": ["x"], "platform": {}}}
    parsed = m.ExecutionRequest.model_validate({"executable": docker})
    assert parsed.executable.privileged is None
    assert parsed.to_document() == {"executable": docker}


def test_objects_built_in_code_write_only_what_was_given() -> None:
    s3 = m.S3DataResource(kind=K.S3_DATA_RESOURCE, bucket="b", object="o")
    assert s3.to_document() == {"kind": K.S3_DATA_RESOURCE, "bucket": "b", "object": "o"}
    assert validator("data.yaml").is_valid(s3.to_document())


# XML carries the fields of an unknown kind untyped, as text: this one has text fields only.
UNKNOWN_TEXT = {
    "kind": "https://example.org/kinds/quantum-circuit",
    "qubits": "5",
    "note": " kept ",
}
UNKNOWN = {
    "kind": "https://example.org/kinds/quantum-circuit",
    "qubits": 5,
    "gates": [{"name": "h", "on": [0]}, None, True, 1.5],
    "note": "kept",
    "empty": {},
}


@pytest.mark.parametrize(
    ("unknown", "media_type"),
    [(UNKNOWN, MediaType.JSON), (UNKNOWN, MediaType.YAML), (UNKNOWN_TEXT, MediaType.XML)],
    ids=["json", "yaml", "xml"],
)
@pytest.mark.parametrize(
    ("where", "model_class"),
    [
        ("executable", m.UnknownExecutable),
        ("compute", m.UnknownCompute),
        ("storage", m.UnknownStorageResource),
        ("data", m.UnknownDataResource),
        ("costs", m.UnknownCost),
        ("metrics", m.UnknownMetric),
        ("volume", m.UnknownVolumeMount),
    ],
)
def test_unknown_kind_keeps_every_field(
    where: str, model_class: type, unknown: dict[str, Any], media_type: MediaType
) -> None:
    document: dict[str, Any] = {"executable": copy.deepcopy(JUPYTER)}
    if where == "executable":
        document["executable"] = unknown
    elif where == "compute":
        document["compute"] = unknown
    elif where == "volume":
        document["compute"] = {"kind": K.SIMPLE_COMPUTE_RESOURCE, "volumes": [unknown]}
    else:
        document[where] = [unknown]
    assert validator("execution-request.yaml").is_valid(document)
    request = decode(json.dumps(document).encode(), MediaType.JSON, m.ExecutionRequest)
    found = {
        "executable": lambda: request.executable,
        "compute": lambda: request.compute,
        "volume": lambda: request.compute.volumes[0],
    }.get(where, lambda: getattr(request, where)[0])()
    assert type(found) is model_class
    assert found.kind == unknown["kind"]
    assert found.model_extra == {key: value for key, value in unknown.items() if key != "kind"}
    again = decode(encode(request, media_type), media_type, m.ExecutionRequest)
    assert again.to_document() == document


def test_xml_carries_the_fields_of_an_unknown_kind_as_text() -> None:
    request = m.ExecutionRequest.model_validate(
        {"executable": {"kind": "urn:x", "n": 5, "on": True}}
    )
    again = decode(encode(request, MediaType.XML), MediaType.XML, m.ExecutionRequest)
    assert again.executable.model_extra == {"n": "5", "on": "true"}


def test_xml_of_another_message_is_refused() -> None:
    update = decode(json.dumps(UPDATES[0]).encode(), MediaType.JSON, m.Update)
    with pytest.raises(DecodeError) as caught:
        decode(encode(update, MediaType.XML), MediaType.XML, m.ExecutionRequest)
    assert (
        caught.value.problems[0].message
        == "the root element is 'update', expected 'offers-request'"
    )


def test_xml_faults_are_reported_with_pointers() -> None:
    body = (
        b"<offers-request xmlns='http://www.ivoa.net/xml/ExecutionBroker/v1.0'>"
        b"<executable kind='urn:x'/><compute><cores/></compute></offers-request>"
    )
    with pytest.raises(DecodeError) as caught:
        decode(body, MediaType.XML, m.ExecutionRequest)
    assert [problem.path for problem in caught.value.problems] == ["/compute"]


def test_xml_with_a_doctype_is_refused() -> None:
    body = (
        b"<!DOCTYPE r [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;&a;'>]>"
        b"<offers-request xmlns='http://www.ivoa.net/xml/ExecutionBroker/v1.0'/>"
    )
    with pytest.raises(DecodeError, match="DOCTYPE"):
        decode(body, MediaType.XML, m.ExecutionRequest)


def test_unknown_session_update_and_option_are_kept() -> None:
    session = {"kind": "urn:x:session", "phase": "SOMETHING", "extra": [1]}
    assert (
        decode(json.dumps(session).encode(), MediaType.JSON, m.ExecutionSession).to_document()
        == session
    )
    update = {"kind": "urn:x:update", "path": "phase", "anything": {"a": "b"}}
    assert type(decode(json.dumps(update).encode(), MediaType.JSON, m.Update)) is m.UnknownUpdate
    option = {"kind": "urn:x:option", "path": "x"}
    meta = m.ComponentMetadata.model_validate({"options": [option]})
    assert type(meta.options[0]) is m.UnknownOption
    assert meta.to_document() == {"options": [option]}


def test_a_kind_of_another_family_is_unknown_in_this_one() -> None:
    # A compute kind URI where an executable belongs is not an executable kind this version knows.
    request = m.ExecutionRequest.model_validate(
        {"executable": {"kind": K.SIMPLE_COMPUTE_RESOURCE, "cores": 1}}
    )
    assert type(request.executable) is m.UnknownExecutable


def _problems(document: dict[str, Any], model: Any = m.ExecutionRequest) -> list[tuple[str, str]]:
    with pytest.raises(DecodeError) as caught:
        decode(json.dumps(document).encode(), MediaType.JSON, model)
    return [(problem.path, problem.message) for problem in caught.value.problems]


def _decodes(document: dict[str, Any], model: Any = m.ExecutionRequest) -> bool:
    """The model reads the document and writes the same document back."""
    parsed = decode(json.dumps(document).encode(), MediaType.JSON, model)
    return bool(parsed.to_document() == document)


def test_typo_in_a_known_kind_is_ignored_by_the_model() -> None:
    # Must-ignore (EXT-01): the model drops it; the reader names it (ivoa_eb_spec.unknown).
    docker = {"kind": K.DOCKER_CONTAINER, "imagee": {"locations": ["x"]}}
    parsed = decode(json.dumps({"executable": docker}).encode(), MediaType.JSON,
                    m.ExecutionRequest)
    assert parsed.to_document() == {"executable": {"kind": K.DOCKER_CONTAINER}}


def test_every_fault_is_reported_with_its_pointer() -> None:
    document = copy.deepcopy(REQUEST)
    document["compute"]["cores"]["min"] = 0
    document["compute"]["volumes"][1]["mode"] = "WRITEONLY"
    document["data"][1]["object"] = 7
    document["executable"]["environment"]["N"] = 1
    document["storage"][0]["size"] = {"min": "1"}
    paths = [path for path, _ in _problems(document)]
    assert sorted(paths) == sorted(
        [
            "/compute/cores/min",
            "/compute/volumes/1/mode",
            "/data/1/object",
            "/executable/environment/N",
            "/storage/0/size/min",
        ]
    )


def test_missing_required_fields_are_named() -> None:
    assert [path for path, _ in _problems({})] == ["/executable"]
    assert [path for path, _ in _problems({"executable": {"image": {}}})] == ["/executable/kind"]
    update = {"kind": K.INTEGER_DELTA_UPDATE, "path": "x"}
    assert [path for path, _ in _problems(update, m.Update)] == ["/delta"]


@pytest.mark.parametrize(
    "document",
    [
        {"executable": {"kind": K.JUPYTER_NOTEBOOK, "location": None}},
        {"executable": {"kind": K.DOCKER_CONTAINER, "privileged": "true"}},
        {
            "executable": {
                "kind": K.DOCKER_CONTAINER,
                "network": {"ports": [{"internal": {"port": 70000}}]},
            }
        },
        {"executable": {"kind": K.DOCKER_CONTAINER, "command": "run"}},
        {"executable": {"kind": K.JUPYTER_NOTEBOOK, "meta": {"name": ""}}},
        {"executable": {"kind": ""}},
        {"executable": {"kind": "urn:x", "not an xml name": 1}},
        {"executable": "docker"},
        {
            "executable": {"kind": K.JUPYTER_NOTEBOOK},
            "costs": [{"kind": K.SIMPLE_MINMAX_FLOAT_COST, "max": "9"}],
        },
        {
            "executable": {"kind": K.JUPYTER_NOTEBOOK},
            "compute": {"kind": K.SIMPLE_COMPUTE_RESOURCE, "cores": {"min": 1.5}},
        },
        {"executable": JUPYTER, "schedule": {"requested": {"start": "tomorrow"}}},
        {"executable": JUPYTER, "schedule": {"requested": {"duration": "P1M"}}},
        {"executable": JUPYTER, "schedule": {"requested": {"start": "PT1H/2026-12-01T00:00:00Z"}}},
        {"executable": {**JUPYTER, "meta": {"uuid": "not-a-uuid"}}},
        {"executable": {**JUPYTER, "meta": {"created": "2026-02-28T00:00Z"}}},
        {
            "executable": {
                **JUPYTER,
                "meta": {"options": [{"kind": K.ENUM_VALUE_OPTION, "path": "", "values": []}]},
            }
        },
        {
            "executable": {
                "kind": "https://www.purl.org/ivoa.net/EB/schema/types/executable/jupyter-notebook-1.0"
            }
        },
    ],
    ids=[
        "null",
        "string-for-boolean",
        "port-out-of-range",
        "string-for-array",
        "empty-name",
        "empty-kind",
        "unknown-kind-bad-field-name",
        "string-for-object",
        "string-for-number",
        "float-for-integer",
        "start-not-a-time",
        "duration-in-months",
        "duration-then-end",
        "bad-uuid",
        "instant-without-seconds",
        "empty-option-path",
        "alias-kind",
    ],
)
def test_model_refuses_what_the_schema_refuses(document: dict[str, Any]) -> None:
    assert not validator("execution-request.yaml").is_valid(document)
    assert _problems(document)


def test_the_model_refuses_a_date_the_coarse_pattern_lets_through() -> None:
    document = {"executable": {**JUPYTER, "meta": {"created": "2026-02-30T00:00:00Z"}}}
    assert _problems(document)


def test_offer_set_rules() -> None:
    yes_without_offers = {**OFFER_SET_YES, "offers": []}
    no_with_offers = {**OFFER_SET_NO, "offers": [SESSION]}
    no_without_messages = {**OFFER_SET_NO, "meta": {"uuid": UUID_A, "url": "http://x"}}
    for document in (yes_without_offers, no_with_offers, no_without_messages):
        assert not validator("offer-set-response.yaml").is_valid(document)
        assert _problems(document, m.OfferSetResponse)


def test_offer_set_read_after_accept_shows_current_phases() -> None:
    """GET /offersets/{uuid} after an accept: the offers are no longer OFFERED, and the
    offer set is still valid (OFF-15 binds the answer that creates it, not later reads)."""
    phases = ("ACCEPTED", "REJECTED", "EXPIRED", "RUNNING")
    offers = [{**SIMPLE_SESSION, "phase": phase} for phase in phases]
    document = {**OFFER_SET_YES, "offers": offers}
    assert validator("offer-set-response.yaml").is_valid(document)
    parsed = decode(json.dumps(document).encode(), MediaType.JSON, m.OfferSetResponse)
    assert [offer.phase for offer in parsed.offers or []] == list(phases)
    assert parsed.to_document() == document


def test_session_rules() -> None:
    offered_forever = {key: value for key, value in SESSION.items() if key != "expires"}
    without_url = {**SIMPLE_SESSION, "meta": {"uuid": UUID_A}}
    without_phase = {key: value for key, value in SIMPLE_SESSION.items() if key != "phase"}
    for document in (offered_forever, without_url, without_phase):
        assert not validator("session.yaml").is_valid(document)
        assert _problems(document, m.ExecutionSession)
    assert _problems(without_url, m.ExecutionSession) == [
        ("/meta/url", "required field is missing")
    ]


def test_error_response_rules() -> None:
    info_only = copy.deepcopy(ERROR)
    info_only["messages"][0]["level"] = "INFO"
    no_path = copy.deepcopy(ERROR)
    del no_path["messages"][0]["values"]["path"]
    for bad_status in (399, 600):
        for document in (info_only, no_path, {**ERROR, "status": bad_status}):
            assert not validator("error-response.yaml").is_valid(document)
            assert _problems(document, m.ErrorResponse)
    assert not validator("error-response.yaml").is_valid({**ERROR, "messages": []})
    assert _problems({**ERROR, "messages": []}, m.ErrorResponse)
    for server_status in (500, 503):
        document = {**ERROR, "status": server_status}
        assert validator("error-response.yaml").is_valid(document)
        assert _decodes(document, m.ErrorResponse)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("/compute/cores/max", 2**63),
        ("/compute/memory/min", 2**63),
        ("/storage/0/size/max", 2**63),
    ],
)
def test_integers_beyond_xs_long_are_refused_by_schema_and_model(path: str, value: int) -> None:
    document = {
        "executable": JUPYTER,
        "compute": {
            "kind": K.SIMPLE_COMPUTE_RESOURCE,
            "cores": {"min": 1},
            "memory": {"min": 1},
        },
        "storage": [{"kind": K.SIMPLE_STORAGE_RESOURCE, "size": {"min": 1}}],
    }
    assert validator("execution-request.yaml").is_valid(document)
    assert _decodes(document)
    *parents, last = path.strip("/").split("/")
    node: Any = document
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    node[last] = value
    assert not validator("execution-request.yaml").is_valid(document)
    assert [problem[0] for problem in _problems(document)] == [path]
    node[last] = value - 1
    assert validator("execution-request.yaml").is_valid(document)
    assert _decodes(document)


def test_data_kinds_stay_distinct() -> None:
    # Each data kind keeps its own fields: an S3 field in a Rucio resource is not read as one.
    rucio = {**DATA[2], "bucket": "b"}
    parsed = decode(json.dumps({"executable": JUPYTER, "data": [rucio]}).encode(),
                    MediaType.JSON, m.ExecutionRequest)
    assert parsed.to_document()["data"] == [DATA[2]]


def test_an_alias_of_another_family_is_an_unknown_kind() -> None:
    # The schemas refuse a family's own older spellings only.
    alias = "https://www.purl.org/ivoa.net/EB/schema/types/executable/jupyter-notebook-1.0"
    document = {"executable": JUPYTER, "compute": {"kind": alias}}
    assert validator("execution-request.yaml").is_valid(document)
    assert type(m.ExecutionRequest.model_validate(document).compute) is m.UnknownCompute


def test_an_alias_is_refused_with_its_canonical_kind() -> None:
    alias = "https://www.purl.org/ivoa.net/EB/schema/types/executable/jupyter-notebook-1.0"
    [(path, message)] = _problems({"executable": {"kind": alias}})
    assert path == "/executable/kind"
    assert K.JUPYTER_NOTEBOOK in message


def test_a_whole_float_is_an_integer() -> None:
    # JSON Schema counts 4.0 as an integer; the model reads it as 4 (the same JSON value).
    document = {
        "executable": JUPYTER,
        "compute": {"kind": K.SIMPLE_COMPUTE_RESOURCE, "cores": {"min": 4.0}},
    }
    assert validator("execution-request.yaml").is_valid(document)
    request = decode(json.dumps(document).encode(), MediaType.JSON, m.ExecutionRequest)
    assert request.compute.cores.min == 4 and type(request.compute.cores.min) is int
