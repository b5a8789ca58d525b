"""The JSON Schemas: well formed, resolvable offline, and strict where the interface is strict.

Each family is checked with a document per known kind (valid), the same document with a typo
in a field name or a wrong type (invalid, and the error names the field), an alias kind URI
(invalid: the broker maps aliases before validating) and a kind nobody knows (valid).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from ivoa_eb_spec.registry import load_schema, registry, schema_files, schema_id, validator
from ivoa_eb_spec.vocabulary import FAMILIES, load_kinds
from jsonschema import Draft202012Validator

K = "https://www.purl.org/ivoa.net/Calycopis-openapi/schema/v1.0/kinds/"
UUID = "5c2d1a9e-3f47-4b8a-a1d2-7e9c0f6b4a13"
META = {"uuid": UUID, "url": f"http://localhost:8080/sessions/{UUID}"}
NOTEBOOK = {
    "kind": K + "executable/jupyter-notebook.yaml",
    "location": "https://example.org/a.ipynb",
}
VOLUME = {
    "kind": K + "volume/simple-volume-mount.yaml",
    "path": "/data",
    "mode": "READONLY",
    "resource": "d",
}
IVOA = {"ivoid": "ivo://example.org/data?obs-1", "obscore": {"obs_id": "obs-1", "calib_level": 2}}

# (family schema, a valid document of one known kind, a field of that kind, a wrong value for it)
CASES: list[tuple[str, dict[str, Any], str, Any]] = [
    (
        "executable.yaml",
        {
            "kind": K + "executable/docker-container.yaml",
            "meta": {"name": "tool"},
            "image": {
                "locations": ["ghcr.io/example/tool:1"],
                "platform": {"architecture": "arm64"},
            },
            "privileged": False,
            "command": ["--fast"],
            "environment": {"MODE": "batch"},
            "network": {
                "ports": [{"access": True, "internal": {"port": 8888}, "protocol": "HTTP"}]
            },
        },
        "privileged",
        "no",
    ),
    (
        "executable.yaml",
        {
            "kind": K + "executable/singularity-container.yaml",
            "location": "https://example.org/t.sif",
        },
        "location",
        7,
    ),
    ("executable.yaml", NOTEBOOK, "location", ["https://example.org/a.ipynb"]),
    (
        "compute.yaml",
        {
            "kind": K + "compute/simple-compute-resource.yaml",
            "phase": "AVAILABLE",
            "cores": {"min": 1, "max": 4},
            "memory": {"min": 2},
            "volumes": [VOLUME],
        },
        "cores",
        4,
    ),
    ("volume.yaml", VOLUME, "mode", "WRITEONLY"),
    (
        "storage.yaml",
        {
            "kind": K + "storage/simple-storage-resource.yaml",
            "size": {"min": 10, "max": 20},
            "data": ["d"],
        },
        "data",
        "d",
    ),
    (
        "data.yaml",
        {
            "kind": K + "data/simple-data-resource.yaml",
            "meta": {"name": "d"},
            "location": "https://example.org/obs.fits",
            "storage": "s",
        },
        "storage",
        3,
    ),
    (
        "data.yaml",
        {
            "kind": K + "data/S3-data-resource.yaml",
            "endpoint": "s3.example.org",
            "bucket": "b",
            "object": "o",
        },
        "bucket",
        1,
    ),
    (
        "data.yaml",
        {
            "kind": K + "data/rucio-data-resource.yaml",
            "rucio": {"scope": "s", "object": "o", "type": "FILE"},
        },
        "rucio",
        "s:o",
    ),
    ("data.yaml", {"kind": K + "data/ivoa-data-resource.yaml", "ivoa": IVOA}, "ivoa", []),
    (
        "data.yaml",
        {
            "kind": K + "data/skao-data-resource.yaml",
            "ivoa": IVOA,
            "skao": {
                "namespace": "n",
                "objectname": "o",
                "objecttype": "DATASET",
                "datasize": 10,
                "checksum": {"type": "adler32", "value": "0a1b"},
                "replicas": [{"rsename": "RSE-1", "dataurl": "https://example.org/o"}],
            },
        },
        "skao",
        "n:o",
    ),
    (
        "cost.yaml",
        {
            "kind": K + "costs/simple-minmax-float-cost.yaml",
            "type": "https://example.org/costs/euro",
            "min": 0.5,
            "max": 2,
        },
        "min",
        "cheap",
    ),
    (
        "metric.yaml",
        {
            "kind": K + "metrics/simple-minmax-float-metric.yaml",
            "type": "https://example.org/metrics/gflops",
            "max": 10.5,
        },
        "max",
        "fast",
    ),
    (
        "session.yaml",
        {
            "kind": K + "session/simple-execution-session.yaml",
            "meta": META,
            "phase": "RUNNING",
            "executable": NOTEBOOK,
            "connectors": [
                {"status": "AVAILABLE", "protocol": "HTTPS", "location": "https://example.org/nb"}
            ],
        },
        "phase",
        "SLEEPING",
    ),
    (
        "session.yaml",
        {
            "kind": K + "session/scheduled-execution-session.yaml",
            "meta": META,
            "phase": "OFFERED",
            "expires": "2026-12-01T08:10:00Z",
        },
        "expires",
        "tomorrow",
    ),
    (
        "option.yaml",
        {"kind": "uri:string-value-option", "path": "/meta/name", "pattern": "^[a-z]+$"},
        "pattern",
        1,
    ),
    (
        "option.yaml",
        {"kind": "uri:enum-value-option", "path": "phase", "values": ["ACCEPTED", "REJECTED"]},
        "values",
        "ACCEPTED",
    ),
    (
        "option.yaml",
        {
            "kind": "uri:integer-value-option",
            "path": "/compute/cores/min",
            "min": 1,
            "max": 8,
            "units": "cores",
        },
        "min",
        1.5,
    ),
    (
        "option.yaml",
        {"kind": "uri:integer-delta-option", "path": "/compute/memory/min", "min": -2, "max": 2},
        "max",
        "2",
    ),
    (
        "update.yaml",
        {"kind": "uri:string-value-update", "path": "/meta/name", "value": "mine"},
        "value",
        1,
    ),
    (
        "update.yaml",
        {"kind": "uri:enum-value-update", "path": "phase", "value": "ACCEPTED"},
        "value",
        ["ACCEPTED"],
    ),
    (
        "update.yaml",
        {
            "kind": "uri:integer-value-update",
            "path": "/compute/cores/min",
            "value": 4,
            "units": "cores",
        },
        "value",
        4.5,
    ),
    (
        "update.yaml",
        {"kind": "uri:integer-delta-update", "path": "/compute/cores/min", "delta": -1},
        "delta",
        "1",
    ),
]
CASE_IDS = [case[1]["kind"].rsplit("/", 1)[-1] for case in CASES]
KINDS = {kind.uri: kind for kind in load_kinds()}


def _walk(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every (JSON Pointer, value) pair below a document, itself included."""
    yield path, node
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, value in items:
        yield from _walk(value, f"{path}/{key}")


def _documents() -> list[tuple[str, dict[str, Any]]]:
    return [(path, load_schema(path)) for path in schema_files()]


# -- the files themselves ------------------------------------------------------------------


@pytest.mark.parametrize(("path", "document"), _documents(), ids=schema_files())
def test_schema_file_is_valid_against_the_2020_12_metaschema(
    path: str, document: dict[str, Any]
) -> None:
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(document)


@pytest.mark.parametrize(("path", "document"), _documents(), ids=schema_files())
def test_schema_file_is_plain_json_data(path: str, document: dict[str, Any]) -> None:
    assert json.loads(json.dumps(document)) == document


@pytest.mark.parametrize(("path", "document"), _documents(), ids=schema_files())
def test_schema_file_carries_the_id_of_its_path(path: str, document: dict[str, Any]) -> None:
    assert document["$id"] == schema_id(path)


def test_schema_ids_are_unique() -> None:
    ids = [document["$id"] for _, document in _documents()]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize(("path", "document"), _documents(), ids=schema_files())
def test_every_reference_resolves_offline(path: str, document: dict[str, Any]) -> None:
    resolver = registry().resolver(base_uri=schema_id(path))
    references = [
        value["$ref"] for _, value in _walk(document) if isinstance(value, dict) and "$ref" in value
    ]
    for reference in references:
        assert resolver.lookup(reference).contents is not None, reference


@pytest.mark.parametrize(("path", "document"), _documents(), ids=schema_files())
def test_roots_and_definitions_have_title_and_description(
    path: str, document: dict[str, Any]
) -> None:
    for name, schema in [("(root)", document), *document.get("$defs", {}).items()]:
        assert schema.get("title") and schema.get("description"), f"{path} {name}"


@pytest.mark.parametrize(("path", "document"), _documents(), ids=schema_files())
def test_kind_is_an_xml_attribute_and_arrays_are_wrapped(
    path: str, document: dict[str, Any]
) -> None:
    for pointer, node in _walk(document):
        if not isinstance(node, dict) or not isinstance(node.get("properties"), dict):
            continue
        for name, prop in node["properties"].items():
            if name == "kind":
                assert prop.get("xml", {}).get("attribute") is True, (
                    f"{path}{pointer}/properties/kind"
                )
            if prop.get("type") == "array":
                assert prop["xml"]["wrapped"] is True and prop["xml"]["name"] == name, (
                    f"{path}{pointer} {name}"
                )
                assert prop["items"]["xml"]["name"], f"{path}{pointer} {name} items"


@pytest.mark.parametrize(
    ("path", "root"),
    [
        ("execution-request.yaml", "offers-request"),
        ("offer-set-response.yaml", "offers-response"),
        ("session.yaml", "execution"),
        ("update.yaml", "update"),
        ("error-response.yaml", "error"),
    ],
)
def test_messages_name_their_xml_root_element(path: str, root: str) -> None:
    xml = load_schema(path)["xml"]
    assert xml == {"name": root, "namespace": "http://www.ivoa.net/xml/ExecutionBroker/v1.0"}


@pytest.mark.parametrize(
    ("path", "document"),
    [(path, document) for path, document in _documents() if "examples" in document],
    ids=[path for path, document in _documents() if "examples" in document],
)
def test_examples_are_valid(path: str, document: dict[str, Any]) -> None:
    for example in document["examples"]:
        assert list(validator(path).iter_errors(example)) == []


def test_every_message_has_examples() -> None:
    for path in (
        "execution-request.yaml",
        "offer-set-response.yaml",
        "error-response.yaml",
        "update.yaml",
    ):
        assert load_schema(path)["examples"], path


# -- known kinds ---------------------------------------------------------------------------


def test_cases_cover_every_kind_of_the_vocabulary() -> None:
    assert {case[1]["kind"] for case in CASES} == set(KINDS)


@pytest.mark.parametrize(("family", "document", "field", "wrong"), CASES, ids=CASE_IDS)
def test_known_kind_is_valid_in_its_family_and_its_own_schema(
    family: str, document: dict[str, Any], field: str, wrong: Any
) -> None:
    assert list(validator(family).iter_errors(document)) == []
    assert list(validator(KINDS[document["kind"]].schema).iter_errors(document)) == []


@pytest.mark.parametrize(("family", "document", "field", "wrong"), CASES, ids=CASE_IDS)
def test_unknown_field_in_a_known_kind_is_valid(
    family: str, document: dict[str, Any], field: str, wrong: Any
) -> None:
    # Must-ignore (EXT-01): the schemas are open; the reader names the field in a WARN
    # message instead (ivoa_eb_spec.unknown, tested in tests/interop).
    typo = field[:-1] + field[-1].upper() + "x"
    extended = {**document, typo: document[field], "x-extension": {"any": [1, "thing"]}}
    assert list(validator(family).iter_errors(extended)) == []
    assert list(validator(KINDS[document["kind"]].schema).iter_errors(extended)) == []


@pytest.mark.parametrize(("family", "document", "field", "wrong"), CASES, ids=CASE_IDS)
def test_wrong_type_in_a_known_kind_is_reported_at_its_path(
    family: str, document: dict[str, Any], field: str, wrong: Any, leaf_errors: Callable
) -> None:
    broken = {**document, field: wrong}
    leaves = leaf_errors(family, broken)
    assert leaves
    assert any(list(e.absolute_path)[:1] == [field] for e in leaves)
    own = list(validator(KINDS[document["kind"]].schema).iter_errors(broken))
    assert own and all(list(e.absolute_path)[:1] == [field] for e in own)


@pytest.mark.parametrize(("family", "document", "field", "wrong"), CASES, ids=CASE_IDS)
def test_alias_kind_uri_is_not_valid(
    family: str, document: dict[str, Any], field: str, wrong: Any
) -> None:
    for alias in KINDS[document["kind"]].aliases:
        assert not validator(family).is_valid({**document, "kind": alias}), alias


@pytest.mark.parametrize(("family", "document", "field", "wrong"), CASES, ids=CASE_IDS)
def test_document_without_kind_is_not_valid(
    family: str, document: dict[str, Any], field: str, wrong: Any
) -> None:
    broken = {key: value for key, value in document.items() if key != "kind"}
    assert not validator(family).is_valid(broken)


# -- unknown kinds -------------------------------------------------------------------------

UNKNOWN = "https://example.org/kinds/quantum-circuit"


@pytest.mark.parametrize("family", FAMILIES)
def test_unknown_kind_is_valid_with_any_xml_named_fields(family: str) -> None:
    document = {
        "kind": UNKNOWN,
        "qubits": 12,
        "set-up": {"any name here": [1, "two"]},
        "_note": None,
    }
    assert list(validator(f"{family}.yaml").iter_errors(document)) == []


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize(
    "document",
    [
        {"kind": UNKNOWN, "two words": 1},
        {"kind": UNKNOWN, "9lives": 1},
        {"kind": 42},
        {"kind": ""},
        {"qubits": 1},
        ["kind", UNKNOWN],
    ],
    ids=["space-in-name", "digit-first", "kind-not-string", "kind-empty", "no-kind", "not-object"],
)
def test_malformed_unknown_kind_is_not_valid(family: str, document: Any) -> None:
    assert not validator(f"{family}.yaml").is_valid(document)


@pytest.mark.parametrize("name", ["kind", "_x", "a.b-c_9", "Z"])
def test_xml_name_accepts_xml_names(name: str) -> None:
    assert validator("common.yaml#/$defs/XmlName").is_valid(name)


@pytest.mark.parametrize("name", ["", "9a", "a b", "a:b", "a\n", "é"])
def test_xml_name_refuses_other_names(name: str) -> None:
    assert not validator("common.yaml#/$defs/XmlName").is_valid(name)


# -- sessions ------------------------------------------------------------------------------

SESSION = CASES[CASE_IDS.index("simple-execution-session.yaml")][1]


def _without(document: dict[str, Any], pointer: str) -> dict[str, Any]:
    result = copy.deepcopy(document)
    *parents, last = pointer.strip("/").split("/")
    node = result
    for key in parents:
        node = node[key]
    del node[last]
    return result


@pytest.mark.parametrize("missing", ["/meta", "/meta/uuid", "/meta/url", "/phase", "/kind"])
def test_session_requires_identity_and_phase(missing: str) -> None:
    assert not validator("session.yaml").is_valid(_without(SESSION, missing))


def test_offered_session_requires_expires() -> None:
    offered = {**SESSION, "phase": "OFFERED"}
    assert not validator("session.yaml").is_valid(offered)
    assert validator("session.yaml").is_valid({**offered, "expires": "2026-12-01T08:10:00Z"})


@pytest.mark.parametrize(
    ("pointer", "value"),
    [
        ("uuid", "not-a-uuid"),
        ("url", "not a url"),
        ("created", "yesterday"),
        ("modified", "2026-13-01T00:00:00Z"),
    ],
)
def test_metadata_formats_are_checked(pointer: str, value: str) -> None:
    document = {**SESSION, "meta": {**META, pointer: value}}
    assert not validator("session.yaml").is_valid(document)


def test_message_level_must_be_one_of_the_levels() -> None:
    document = {**SESSION, "meta": {**META, "messages": [{"level": "FATAL", "message": "x"}]}}
    assert not validator("session.yaml").is_valid(document)
    document["meta"]["messages"][0]["level"] = "WARN"
    assert validator("session.yaml").is_valid(document)


# -- requests ------------------------------------------------------------------------------


def test_request_requires_an_executable() -> None:
    assert validator("execution-request.yaml").is_valid({"executable": NOTEBOOK})
    assert not validator("execution-request.yaml").is_valid({"compute": CASES[3][1]})


def test_request_is_open_and_accepts_unknown_executable_kinds() -> None:
    # Must-ignore (EXT-01): an unknown property validates; a wrong type still does not.
    assert validator("execution-request.yaml").is_valid({"executable": NOTEBOOK, "priority": 1})
    assert not validator("execution-request.yaml").is_valid({"executable": NOTEBOOK,
                                                             "compute": "many"})
    assert validator("execution-request.yaml").is_valid(
        {"executable": {"kind": UNKNOWN, "qubits": 3}}
    )


@pytest.mark.parametrize(
    ("path", "value"),
    [("/compute/cores/min", 0), ("/compute/memory/max", 1.5), ("/storage/0/size/min", -1)],
)
def test_request_sizes_are_positive_integers(path: str, value: Any) -> None:
    document = {
        "executable": NOTEBOOK,
        "compute": {
            "kind": K + "compute/simple-compute-resource.yaml",
            "cores": {"min": 1},
            "memory": {"max": 2},
        },
        "storage": [{"kind": K + "storage/simple-storage-resource.yaml", "size": {"min": 1}}],
    }
    assert validator("execution-request.yaml").is_valid(document)
    *parents, last = path.strip("/").split("/")
    node: Any = document
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    node[last] = value
    assert not validator("execution-request.yaml").is_valid(document)


# -- offer sets ----------------------------------------------------------------------------

OFFER = {**SESSION, "phase": "OFFERED", "expires": "2026-12-01T08:10:00Z"}
OFFER_SET_META = {"uuid": UUID, "url": f"http://localhost:8080/offersets/{UUID}"}
REASON = {
    "level": "INFO",
    "template": "No {thing}",
    "values": {"thing": "room"},
    "message": "No room",
}


@pytest.mark.parametrize(
    ("document", "valid"),
    [
        ({"meta": OFFER_SET_META, "result": "YES", "offers": [OFFER]}, True),
        ({"meta": OFFER_SET_META, "result": "YES", "offers": [OFFER, OFFER]}, True),
        ({"meta": OFFER_SET_META, "result": "YES"}, False),
        ({"meta": OFFER_SET_META, "result": "YES", "offers": []}, False),
        (
            {"meta": OFFER_SET_META, "result": "YES", "offers": [{**OFFER, "phase": "ACCEPTED"}]},
            True,
        ),
        (
            {
                "meta": OFFER_SET_META,
                "result": "YES",
                "offers": [
                    {**SESSION, "phase": "WAITING"},
                    {**SESSION, "phase": "REJECTED"},
                    {**SESSION, "phase": "EXPIRED"},
                ],
            },
            True,
        ),
        (
            {"meta": OFFER_SET_META, "result": "YES", "offers": [{**OFFER, "phase": "GONE"}]},
            False,
        ),
        ({"meta": {**OFFER_SET_META, "messages": [REASON]}, "result": "NO"}, True),
        ({"meta": {**OFFER_SET_META, "messages": [REASON]}, "result": "NO", "offers": []}, True),
        ({"meta": OFFER_SET_META, "result": "NO"}, False),
        ({"meta": {**OFFER_SET_META, "messages": []}, "result": "NO"}, False),
        (
            {"meta": {**OFFER_SET_META, "messages": [REASON]}, "result": "NO", "offers": [OFFER]},
            False,
        ),
        ({"meta": OFFER_SET_META, "offers": [OFFER]}, False),
        ({"meta": OFFER_SET_META, "result": "MAYBE", "offers": [OFFER]}, False),
        ({"meta": {"uuid": UUID}, "result": "YES", "offers": [OFFER]}, False),
        (
            {
                "kind": "https://example.org/kinds/offer-set",
                "meta": OFFER_SET_META,
                "result": "YES",
                "offers": [OFFER],
            },
            True,
        ),
    ],
    ids=[
        "yes-one",
        "yes-two",
        "yes-no-offers",
        "yes-empty",
        "yes-read-after-accept",
        "yes-accepted-rejected-expired",
        "yes-unknown-phase",
        "no-with-reason",
        "no-empty-offers",
        "no-without-messages",
        "no-empty-messages",
        "no-with-offers",
        "no-result",
        "bad-result",
        "no-url",
        "with-kind",
    ],
)
def test_offer_set_rules(document: dict[str, Any], valid: bool) -> None:
    assert validator("offer-set-response.yaml").is_valid(document) is valid


# -- error responses -----------------------------------------------------------------------

PROBLEM = {
    "level": "ERROR",
    "template": "Bad {path}",
    "values": {"path": "/compute"},
    "message": "Bad /compute",
}


@pytest.mark.parametrize(
    ("document", "valid"),
    [
        ({"status": 400, "title": "Invalid", "messages": [PROBLEM]}, True),
        ({"status": 422, "title": "No", "messages": [PROBLEM, {**PROBLEM, "level": "WARN"}]}, True),
        (
            {"status": 400, "title": "Whole", "messages": [{**PROBLEM, "values": {"path": ""}}]},
            True,
        ),
        ({"status": 500, "title": "Oops", "messages": [{**PROBLEM, "values": {"path": ""}}]}, True),
        ({"status": 503, "title": "Busy", "messages": [{**PROBLEM, "values": {"path": ""}}]}, True),
        ({"status": 600, "title": "Oops", "messages": [PROBLEM]}, False),
        ({"status": 399, "title": "Oops", "messages": [PROBLEM]}, False),
        ({"status": 400, "title": "Invalid", "messages": []}, False),
        ({"status": 400, "title": "Invalid", "messages": [{**PROBLEM, "level": "WARN"}]}, False),
        ({"status": 400, "title": "Invalid", "messages": [{**PROBLEM, "values": {}}]}, False),
        (
            {
                "status": 400,
                "title": "Invalid",
                "messages": [{**PROBLEM, "values": {"path": "compute"}}],
            },
            False,
        ),
        ({"status": 400, "title": "Invalid", "messages": [_without(PROBLEM, "/template")]}, False),
        ({"status": 400, "messages": [PROBLEM]}, False),
        # Must-ignore (EXT-01): an unknown member of a known document is not an error.
        ({"status": 400, "title": "Invalid", "messages": [PROBLEM], "detail": "x"}, True),
    ],
    ids=[
        "ok",
        "with-warning",
        "whole-body",
        "500",
        "503",
        "6xx",
        "3xx",
        "no-messages",
        "no-error-level",
        "no-path",
        "path-not-pointer",
        "no-template",
        "no-title",
        "extra-field",
    ],
)
def test_error_response_rules(document: dict[str, Any], valid: bool) -> None:
    assert validator("error-response.yaml").is_valid(document) is valid


# -- options and updates -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schema", "document"),
    [
        ("option.yaml", {"kind": "uri:enum-value-option", "path": "phase"}),
        ("option.yaml", {"kind": "uri:string-value-option"}),
        ("update.yaml", {"kind": "uri:enum-value-update", "value": "ACCEPTED"}),
        ("update.yaml", {"kind": "uri:integer-delta-update", "path": "/compute/cores/min"}),
    ],
    ids=[
        "enum-option-without-values",
        "option-without-path",
        "update-without-path",
        "delta-without-delta",
    ],
)
def test_required_fields_of_options_and_updates(schema: str, document: dict[str, Any]) -> None:
    assert not validator(schema).is_valid(document)


def test_validator_refuses_unknown_schema_names() -> None:
    with pytest.raises(KeyError):
        validator("no-such-schema.yaml")


# -- integers fit xs:long ------------------------------------------------------------------

LONG_MIN, LONG_MAX = -(2**63), 2**63 - 1


@pytest.mark.parametrize(("path", "document"), _documents(), ids=schema_files())
def test_every_integer_has_bounds_within_xs_long(path: str, document: dict[str, Any]) -> None:
    """JSON integers have no size limit, the XML form's xs:long has: an unbounded integer
    would let the JSON Schema accept documents that have no valid XML form."""
    for pointer, node in _walk(document):
        if isinstance(node, dict) and node.get("type") == "integer":
            assert "minimum" in node and "maximum" in node, f"{path}#{pointer}"
            assert LONG_MIN <= node["minimum"] <= node["maximum"] <= LONG_MAX, f"{path}#{pointer}"


@pytest.mark.parametrize(
    ("schema", "document", "pointer"),
    [
        (
            "execution-request.yaml",
            {
                "executable": NOTEBOOK,
                "compute": {
                    "kind": K + "compute/simple-compute-resource.yaml",
                    "cores": {"min": 1, "max": 1},
                },
            },
            "/compute/cores/max",
        ),
        (
            "execution-request.yaml",
            {
                "executable": NOTEBOOK,
                "storage": [
                    {"kind": K + "storage/simple-storage-resource.yaml", "size": {"min": 1}}
                ],
            },
            "/storage/0/size/min",
        ),
        ("update.yaml", {"kind": "uri:integer-value-update", "path": "p", "value": 1}, "/value"),
        ("update.yaml", {"kind": "uri:integer-delta-update", "path": "p", "delta": 1}, "/delta"),
        ("option.yaml", {"kind": "uri:integer-value-option", "path": "p", "max": 1}, "/max"),
        ("option.yaml", {"kind": "uri:integer-delta-option", "path": "p", "min": 1}, "/min"),
    ],
    ids=["cores", "storage-size", "update-value", "update-delta", "option-max", "delta-min"],
)
def test_integers_beyond_xs_long_are_refused(
    schema: str, document: dict[str, Any], pointer: str
) -> None:
    check = validator(schema)
    *parents, last = pointer.strip("/").split("/")

    def with_value(value: int) -> dict[str, Any]:
        changed = copy.deepcopy(document)
        node: Any = changed
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        node[last] = value
        return changed

    assert check.is_valid(with_value(LONG_MAX))
    assert not check.is_valid(with_value(LONG_MAX + 1))
    if schema != "execution-request.yaml":
        assert check.is_valid(with_value(LONG_MIN))
        assert not check.is_valid(with_value(LONG_MIN - 1))
