"""The generated files in spec/bundled are current, self-contained and faithful to the sources."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from ivoa_eb_spec import files
from ivoa_eb_spec.bundle import (
    BundleError,
    bundle_texts,
    bundled_openapi,
    main,
    stale_files,
    write_bundle,
)
from ivoa_eb_spec.registry import load_document, load_schema, schema_files
from ivoa_eb_spec.vocabulary import load_kinds


def _references(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if "$ref" in node else []
        return own + [ref for value in node.values() for ref in _references(value)]
    if isinstance(node, list):
        return [ref for item in node for ref in _references(item)]
    return []


def test_bundle_on_disk_is_current() -> None:
    assert stale_files() == [], "run: python -m ivoa_eb_spec.bundle"
    assert main(["--check"]) == 0


def test_check_reports_a_changed_missing_or_extra_file(tmp_path: Path) -> None:
    assert write_bundle(tmp_path) and stale_files(tmp_path) == []
    (tmp_path / "openapi.json").write_text("{}\n", encoding="utf-8")
    (tmp_path / "schema" / "update.json").unlink()
    (tmp_path / "schema" / "leftover.json").write_text("{}\n", encoding="utf-8")
    assert stale_files(tmp_path) == ["openapi.json", "schema/leftover.json", "schema/update.json"]
    write_bundle(tmp_path)
    assert stale_files(tmp_path) == []


def test_bundle_is_self_contained() -> None:
    document = bundled_openapi()
    references = _references(document)
    assert references and all(ref.startswith("#/components/") for ref in references)
    for ref in references:
        target: Any = document
        for key in ref[2:].split("/"):
            target = target[key]
    schemas = document["components"]["schemas"]
    assert not any("$id" in schema or "$defs" in schema for schema in schemas.values())


def test_bundle_names_every_kind_after_its_title() -> None:
    schemas = bundled_openapi()["components"]["schemas"]
    for kind in load_kinds():
        assert schemas[kind.title]["properties"]["kind"]["const"] == kind.uri


def test_yaml_and_json_bundles_hold_the_same_document() -> None:
    texts = bundle_texts()
    assert (
        yaml.safe_load(texts["openapi.yaml"])
        == json.loads(texts["openapi.json"])
        == bundled_openapi()
    )


@pytest.mark.parametrize("path", schema_files())
def test_each_schema_is_bundled_as_json_unchanged(path: str) -> None:
    text = bundle_texts()[f"schema/{path.removesuffix('.yaml')}.json"]
    assert json.loads(text) == load_schema(path)


def test_bundled_files_are_in_the_spec_folder() -> None:
    assert (files() / "bundled" / "openapi.yaml").is_file()


def test_bundler_refuses_a_reference_to_nowhere(monkeypatch: pytest.MonkeyPatch) -> None:
    import ivoa_eb_spec.bundle as bundle

    source = copy.deepcopy(load_document(bundle.OPENAPI_SOURCE))
    source["components"]["schemas"]["ExecutionRequest"] = {"$ref": "../schema/no-such-file.yaml"}
    monkeypatch.setattr(
        bundle,
        "load_document",
        lambda name: source if name == bundle.OPENAPI_SOURCE else load_document(name),
    )
    with pytest.raises(BundleError, match="no-such-file"):
        bundled_openapi()


def _refinements(node: Any) -> list[dict[str, Any]]:
    """Every schema in ``node`` that holds a ``$ref`` beside a keyword that constrains."""
    from ivoa_eb_spec.bundle import _ANNOTATIONS

    if isinstance(node, list):
        return [found for item in node for found in _refinements(item)]
    if not isinstance(node, dict):
        return []
    own = [node] if "$ref" in node and set(node) - {"$ref", *_ANNOTATIONS} else []
    return own + [found for value in node.values() for found in _refinements(value)]


def test_a_refining_reference_is_bundled_as_all_of() -> None:
    """openapi-python-client dropped ServiceMetadata and ErrorMessage when each was a ``$ref``
    with ``required`` beside it (it built the referenced model a second time, then refused
    the duplicate); the bundle writes such a refinement as ``allOf``."""
    schemas = bundled_openapi()["components"]["schemas"]
    assert _refinements(schemas) == []
    assert schemas["ServiceMetadata"]["allOf"] == [
        {"$ref": "#/components/schemas/ComponentMetadata"},
        {"required": ["uuid", "url"]},
    ]
    error_message = schemas["ErrorMessage"]
    assert error_message["title"] == "ErrorMessage"
    assert error_message["allOf"][0] == {"$ref": "#/components/schemas/MessageItem"}
    assert error_message["allOf"][1]["properties"]["values"]["required"] == ["path"]


_PATH_VALUES = {"path": "/compute"}


@pytest.mark.parametrize(
    ("component", "source", "document"),
    [
        ("ServiceMetadata", "common.yaml#/$defs/ServiceMetadata", {"uuid": "x"}),
        ("ServiceMetadata", "common.yaml#/$defs/ServiceMetadata", {"uuid": 1, "url": "u"}),
        ("ServiceMetadata", "common.yaml#/$defs/ServiceMetadata",
         {"uuid": "0b6c5a3e-8f4e-4b7a-9d51-2f1c7a7e9a10", "url": "http://b/x"}),
        ("ErrorMessage", "error-response.yaml#/$defs/ErrorMessage",
         {"level": "ERROR", "template": "t", "message": "m", "values": {}}),
        ("ErrorMessage", "error-response.yaml#/$defs/ErrorMessage",
         {"level": "ERROR", "template": "t", "message": "m", "values": _PATH_VALUES}),
        ("ErrorMessage", "error-response.yaml#/$defs/ErrorMessage",
         {"level": "ERROR", "template": "t", "values": _PATH_VALUES}),
    ],
)
def test_a_bundled_refinement_judges_as_its_source(
    component: str, source: str, document: Any
) -> None:
    from ivoa_eb_spec.registry import validator
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    resource = Resource.from_contents(bundled_openapi(), default_specification=DRAFT202012)
    bundled = Draft202012Validator(
        {"$ref": f"urn:bundle#/components/schemas/{component}"},
        registry=Registry().with_resource("urn:bundle", resource),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
    verdict = [e.message for e in bundled.iter_errors(document)]
    assert verdict == [e.message for e in validator(source).iter_errors(document)]


def test_bundler_refuses_two_components_with_one_title(monkeypatch: pytest.MonkeyPatch) -> None:
    import ivoa_eb_spec.bundle as bundle

    components = bundle._components()
    components["ServiceMetadata"] = {**components["ServiceMetadata"], "title": "MessageItem"}
    monkeypatch.setattr(bundle, "_components", lambda: components)
    with pytest.raises(BundleError, match="share the title 'MessageItem'"):
        bundled_openapi()
