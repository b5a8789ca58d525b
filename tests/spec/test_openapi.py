"""The OpenAPI document: valid as files and bundled, complete in media types and error answers."""

from __future__ import annotations

from typing import Any

import pytest
from ivoa_eb_spec import files, load_yaml
from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename

SOURCE = files() / "openapi" / "execution-broker.yaml"
BUNDLED = files() / "bundled" / "openapi.yaml"
MEDIA_TYPES = {"application/yaml", "application/json", "application/xml"}
SERVER_ERRORS = {"500", "503"}
#: IVOA VOSI resources: their answer is the XML document VOSI defines (text/xml), only.
VOSI_PATHS = {"/availability", "/capabilities"}
OPERATIONS = {
    ("post", "/requests"): (
        "ExecutionRequest",
        {"200", "400", "401", "406", "413", "415", "429"} | SERVER_ERRORS,
    ),
    ("post", "/direct"): (
        "DirectExecution",
        {"200", "400", "401", "406", "413", "415", "429"} | SERVER_ERRORS,
    ),
    ("get", "/offersets/{uuid}"): (
        "OfferSetSelect",
        {"200", "401", "404", "406", "410"} | SERVER_ERRORS,
    ),
    ("get", "/sessions"): (
        "SessionList",
        {"200", "400", "401", "404", "406"} | SERVER_ERRORS,
    ),
    ("get", "/sessions/{uuid}"): (
        "SessionSelect",
        {"200", "400", "401", "404", "406", "410"} | SERVER_ERRORS,
    ),
    ("post", "/sessions/{uuid}"): (
        "SessionUpdate",
        {"200", "400", "401", "403", "404", "406", "409", "413", "415", "422",
         "429"} | SERVER_ERRORS,
    ),
    ("get", "/availability"): ("VOSIAvailability", {"200", "500"}),
    ("get", "/capabilities"): ("VOSICapabilities", {"200", "500"}),
}
DOCUMENT = load_yaml("openapi/execution-broker.yaml")


def _deref(node: dict[str, Any]) -> dict[str, Any]:
    """Follow a local ``#/components/...`` reference of the source document."""
    while "$ref" in node and node["$ref"].startswith("#/"):
        target: Any = DOCUMENT
        for key in node["$ref"][2:].split("/"):
            target = target[key]
        node = target
    return node


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in DOCUMENT["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "delete", "patch"}
    ]


@pytest.mark.parametrize("path", [SOURCE, BUNDLED], ids=["source", "bundled"])
def test_openapi_document_is_valid(path) -> None:
    spec, base_uri = read_from_filename(str(path))
    assert spec["openapi"] == "3.1.0"
    validate(spec, base_uri=base_uri)


def test_operations_and_their_ids() -> None:
    found = {(method, path): operation["operationId"] for method, path, operation in _operations()}
    assert found == {key: value[0] for key, value in OPERATIONS.items()}


@pytest.mark.parametrize(
    ("method", "path", "operation"), _operations(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_operation_declares_its_status_codes(
    method: str, path: str, operation: dict[str, Any]
) -> None:
    assert set(operation["responses"]) == OPERATIONS[(method, path)][1]


@pytest.mark.parametrize(
    ("method", "path", "operation"), _operations(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_every_body_exists_in_yaml_json_and_xml(
    method: str, path: str, operation: dict[str, Any]
) -> None:
    bodies = [_deref(operation["requestBody"])] if "requestBody" in operation else []
    bodies += [_deref(response) for status, response in operation["responses"].items()
               if not (path in VOSI_PATHS and status == "200")]
    for body in bodies:
        if "content" in body:
            assert set(body["content"]) == MEDIA_TYPES
            schemas = {media["schema"]["$ref"] for media in body["content"].values()}
            assert len(schemas) == 1, "the three media types must share one schema"


@pytest.mark.parametrize(
    ("method", "path", "operation"), _operations(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_every_4xx_and_5xx_answer_is_an_error_response(
    method: str, path: str, operation: dict[str, Any]
) -> None:
    for status, response in operation["responses"].items():
        if status[0] in "45":
            content = _deref(response)["content"]
            assert {media["schema"]["$ref"] for media in content.values()} == {
                "#/components/schemas/ErrorResponse"
            }


def test_redirects_and_created_answers_carry_a_location() -> None:
    for method, path, operation in _operations():
        for status in ("200", "303"):
            if status in operation["responses"] and method == "post" and path != "/sessions/{uuid}":
                header = _deref(operation["responses"][status]["headers"]["Location"])
                assert header["required"] is True and header["schema"]["format"] == "uri"


def test_component_schemas_reference_the_schema_files_without_copies() -> None:
    schemas = DOCUMENT["components"]["schemas"]
    assert set(schemas) == {
        "ExecutionRequest",
        "OfferSetResponse",
        "ExecutionSession",
        "Update",
        "ErrorResponse",
        "SessionList",
    }
    for name, schema in schemas.items():
        assert list(schema) == ["$ref"] and schema["$ref"].startswith("../schema/"), name
        assert load_yaml(schema["$ref"].removeprefix("../"))["title"] == name


def test_links_name_existing_operations_and_pointers_into_the_body() -> None:
    operation_ids = {operation["operationId"] for _, _, operation in _operations()}
    links = [
        _deref(link)
        for _, _, operation in _operations()
        for response in operation["responses"].values()
        for link in response.get("links", {}).values()
    ]
    assert {link["operationId"] for link in links} == {
        "OfferSetSelect",
        "SessionSelect",
        "SessionUpdate",
    }
    for link in links:
        assert link["operationId"] in operation_ids
        assert link["parameters"]["uuid"].startswith("$response.body#/")
    request_links = DOCUMENT["paths"]["/requests"]["post"]["responses"]["200"]["links"]
    assert request_links["OfferSet"]["parameters"]["uuid"] == "$response.body#/meta/uuid"
    assert request_links["FirstOffer"]["parameters"]["uuid"] == "$response.body#/offers/0/meta/uuid"


def test_info_and_servers() -> None:
    assert DOCUMENT["info"]["version"] == "1.0"
    assert DOCUMENT["info"]["license"]["identifier"] == "CC-BY-SA-4.0"
    assert DOCUMENT["servers"][0]["url"] == "http://localhost:8080"


def test_bundle_loads_in_schemathesis() -> None:
    schemathesis = pytest.importorskip("schemathesis")
    schema = schemathesis.openapi.from_path(str(BUNDLED))
    labels = {result.ok().label for result in schema.get_all_operations()}
    assert labels == {f"{method.upper()} {path}" for method, path in OPERATIONS}


def test_error_response_schema_admits_every_declared_error_status() -> None:
    """Every 4xx and 5xx status the OpenAPI declares is one the ErrorResponse can carry."""
    status = load_yaml("schema/error-response.yaml")["properties"]["status"]
    declared = {
        int(code)
        for _, _, operation in _operations()
        for code in operation["responses"]
        if code[0] in "45"
    }
    assert declared and all(status["minimum"] <= code <= status["maximum"] for code in declared)
    assert {500, 503} <= declared


@pytest.mark.parametrize("path", sorted(VOSI_PATHS))
def test_vosi_resources_answer_xml_only(path: str) -> None:
    assert set(DOCUMENT["paths"][path]["get"]["responses"]["200"]["content"]) == {"text/xml"}
