"""The kinds vocabulary agrees with the schemas, and aliases map to canonical URIs."""

from __future__ import annotations

import pytest
from ivoa_eb_spec import load_yaml
from ivoa_eb_spec.registry import load_schema, registry, schema_id
from ivoa_eb_spec.vocabulary import FAMILIES, Kind, canonical_kind, known_kinds, load_kinds
from jsonschema import Draft202012Validator

KINDS = load_kinds()


def _resolve(reference: str) -> dict:
    """The schema a vocabulary ``schema`` entry (a path below spec/schema/) names."""
    path, _, fragment = reference.partition("#")
    return (
        registry()
        .resolver()
        .lookup(schema_id(path) + (f"#{fragment}" if fragment else ""))
        .contents
    )


def _branches(family: str) -> tuple[set[str], list[str]]:
    """The kind constants of a family's known branches, and the URIs its fallback excludes."""
    document = load_schema(f"{family}.yaml")
    resolver = registry().resolver(base_uri=schema_id(f"{family}.yaml"))
    consts: set[str] = set()
    excluded: list[str] = []
    for branch in document["oneOf"]:
        schema = resolver.lookup(branch["$ref"]).contents
        kind = schema["properties"]["kind"]
        if "const" in kind:
            consts.add(kind["const"])
        else:
            excluded = kind["not"]["enum"]
    return consts, excluded


def test_vocabulary_matches_its_schema() -> None:
    schema = load_yaml("vocabulary/kinds.schema.yaml")
    Draft202012Validator.check_schema(schema)
    assert list(Draft202012Validator(schema).iter_errors(load_yaml("vocabulary/kinds.yaml"))) == []


@pytest.mark.parametrize("kind", KINDS, ids=[kind.name for kind in KINDS])
def test_kind_schema_exists_and_fixes_the_kind_uri(kind: Kind) -> None:
    schema = _resolve(kind.schema)
    assert schema["properties"]["kind"]["const"] == kind.uri
    assert schema["title"] == kind.title
    assert "additionalProperties" not in schema  # open: must-ignore, EXT-01


@pytest.mark.parametrize("kind", KINDS, ids=[kind.name for kind in KINDS])
def test_kind_name_is_the_last_part_of_its_uri(kind: Kind) -> None:
    last = kind.uri.rsplit("/", 1)[-1].removeprefix("uri:").removesuffix(".yaml")
    assert last == kind.name


@pytest.mark.parametrize("family", FAMILIES)
def test_family_union_lists_exactly_the_vocabulary_kinds(family: str) -> None:
    consts, excluded = _branches(family)
    expected = known_kinds(family)
    assert expected and consts == expected
    aliases = {alias for kind in KINDS if kind.family == family for alias in kind.aliases}
    assert set(excluded) == expected | aliases
    assert len(excluded) == len(set(excluded))


def test_every_family_has_a_kind() -> None:
    assert {kind.family for kind in KINDS} == set(FAMILIES)


def test_kind_uris_and_aliases_are_all_distinct() -> None:
    spellings = [spelling for kind in KINDS for spelling in (kind.uri, *kind.aliases)]
    assert len(spellings) == len(set(spellings))


@pytest.mark.parametrize("kind", KINDS, ids=[kind.name for kind in KINDS])
def test_canonical_and_alias_uris_map_to_the_canonical_uri(kind: Kind) -> None:
    assert canonical_kind(kind.uri) == kind.uri
    for alias in kind.aliases:
        assert canonical_kind(alias) == kind.uri


def test_aliases_follow_the_prototype_spellings() -> None:
    compute = next(kind for kind in KINDS if kind.name == "simple-compute-resource")
    assert (
        "https://www.purl.org/ivoa.net/EB/schema/types/computer/simple-compute-resource-1.0"
        in compute.aliases
    )
    assert (
        "https://www.purl.org/ivoa.net/EB/schema/v1.0/types/compute/simple-compute-resource-1.0"
        in compute.aliases
    )
    for kind in KINDS:
        for alias in kind.aliases:
            assert alias.endswith(f"/{kind.name}-1.0"), alias


@pytest.mark.parametrize(
    "uri",
    [
        "https://example.org/kinds/new",
        "",
        "docker-container",
        "https://www.purl.org/ivoa.net/Calycopis-openapi/schema/v1.0/kinds/executable/docker-container",
    ],
)
def test_unknown_uri_has_no_canonical_form(uri: str) -> None:
    assert canonical_kind(uri) is None


def test_known_kinds_refuses_an_unknown_family() -> None:
    with pytest.raises(ValueError, match="computer"):
        known_kinds("computer")
