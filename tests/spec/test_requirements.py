"""The requirements catalogue is well formed and covers every behaviour the standard asks for."""

from __future__ import annotations

import re
from pathlib import Path

import jsonschema
import pytest
from ivoa_eb_spec import files, load_yaml
from ivoa_eb_spec.requirements import (
    Requirement,
    current_ids,
    load_requirements,
    load_retired,
    parse_catalogue,
    requirement,
)

REPO = Path(__file__).resolve().parents[2]
BRIEF = REPO.parent / "shared" / "brief" / "requirements.md"
ITEMS = range(1, 27)  # the 26 numbered behaviours of the seed list
ID = re.compile(r"^(SVC|NEG|XML|OFF|TIME|LIFE|ERR|REF|KIND|FED|SEC|DOC|VOSI|EXT|UWS)-[0-9]{2}$")


@pytest.fixture(scope="module")
def catalogue() -> tuple[Requirement, ...]:
    return load_requirements()


def test_catalogue_validates_against_its_schema() -> None:
    schema = load_yaml("requirements/requirements.schema.yaml")
    jsonschema.Draft202012Validator.check_schema(schema)
    document = load_yaml("requirements/requirements.yaml")
    errors = sorted(
        jsonschema.Draft202012Validator(schema).iter_errors(document), key=lambda e: e.json_path
    )
    assert not errors, "\n".join(f"{e.json_path}: {e.message}" for e in errors)


def test_schema_rejects_a_broken_entry() -> None:
    """Guards the schema itself: only a strict schema makes the validation test mean much."""
    schema = load_yaml("requirements/requirements.schema.yaml")
    good = load_yaml("requirements/requirements.yaml")["requirements"][0]
    validator = jsonschema.Draft202012Validator(schema)
    for broken in (
        {**good, "level": "must"},
        {**good, "id": "SVC-1"},
        {**good, "covers": [27]},
        {**good, "blackbox": "maybe"},
        {**good, "source": "some-section-nobody-wrote"},
        {**good, "extra": 1},
    ):
        assert not validator.is_valid({"version": "x", "requirements": [broken]}), broken


def test_ids_are_unique_and_well_formed(catalogue: tuple[Requirement, ...]) -> None:
    """Across the requirements in force and the retired ones: a retired id is never reused."""
    ids = [item.id for item in catalogue] + [item.id for item in load_retired()]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert all(ID.match(i) for i in ids), [i for i in ids if not ID.match(i)]


def test_catalogue_size_is_plausible(catalogue: tuple[Requirement, ...]) -> None:
    assert 55 <= len(catalogue) <= 160  # several issues add requirement blocks


def test_every_seed_item_is_covered(catalogue: tuple[Requirement, ...]) -> None:
    covered = {number for item in catalogue for number in item.covers}
    assert set(ITEMS) - covered == set()
    assert covered <= set(ITEMS)


def test_seed_list_still_has_26_items() -> None:
    """When the brief is at hand, confirm the 1..26 range this test file assumes."""
    if not BRIEF.is_file():
        pytest.skip(f"brief not present at {BRIEF}")
    numbers = [int(m) for m in re.findall(r"^(\d+)\. ", BRIEF.read_text(encoding="utf-8"), re.M)]
    assert numbers == list(ITEMS)


def test_levels_are_rfc2119(catalogue: tuple[Requirement, ...]) -> None:
    assert {item.level for item in catalogue} <= {"MUST", "SHOULD", "MAY"}
    assert {"MUST", "SHOULD", "MAY"} <= {item.level for item in catalogue}


def test_unobservable_requirements_say_why(catalogue: tuple[Requirement, ...]) -> None:
    reason = re.compile(r"\b(not|nothing|cannot|internal|permission|only)\b", re.I)
    missing = [i.id for i in catalogue if i.blackbox == "no" and not reason.search(i.how)]
    assert not missing


def test_aliases_are_never_mandatory(catalogue: tuple[Requirement, ...]) -> None:
    """Older kind spellings and wrapped updates are never required (the phase path's legacy
    spellings are the exception: they are part of the path grammar, LIFE-18)."""
    aliased = [i for i in catalogue if i.profile == "aliases"]
    assert aliased
    assert all(i.level != "MUST" for i in aliased), [i.id for i in aliased if i.level == "MUST"]


@pytest.mark.parametrize("status", ["400", "404", "406", "409", "413", "415", "422", "5xx"])
def test_every_error_status_is_a_requirement(
    catalogue: tuple[Requirement, ...], status: str
) -> None:
    assert any(status in i.statement for i in catalogue if i.id.startswith("ERR-")), status


def test_no_internal_sources(catalogue: tuple[Requirement, ...]) -> None:
    """A Recommendation cannot cite the project's internal notes or its code modules."""
    cited = [
        i.id
        for i in catalogue
        if re.search(r"decision-\d|ivoa_eb_|\.py\b", f"{i.source} {i.statement} {i.how}")
    ]
    assert cited == []


def test_lookup_by_id() -> None:
    assert requirement("NEG-04").covers == (5,)
    assert requirement("XML-01").profile == "xml"
    assert requirement("SVC-01").core
    with pytest.raises(KeyError, match="NOPE-01"):
        requirement("NOPE-01")


def test_catalogue_is_read_from_the_spec_files() -> None:
    assert (files() / "requirements" / "requirements.yaml").is_file()


# Retired requirements: public ids stay, point to their successors, and bind nothing.


def test_schema_rejects_a_broken_retired_entry() -> None:
    schema = load_yaml("requirements/requirements.schema.yaml")
    validator = jsonschema.Draft202012Validator(schema)
    good = {
        "id": "SVC-07",
        "state": "retired",
        "replaced_by": ["ERR-05"],
        "retired_in": "1.0.0",
        "title": "Updates outside the options are refused",
        "statement": "An update outside the options is refused.",
        "reason": "A duplicate of ERR-05, which says the same with the status code.",
    }
    assert validator.is_valid({"version": "x", "requirements": [good]})
    without = {k: v for k, v in good.items() if k != "replaced_by"}
    for broken in (
        without,
        {**good, "replaced_by": []},
        {**good, "replaced_by": ["ERR-5"]},
        {**good, "level": "MUST"},  # a retired entry binds nothing
        {**good, "state": "retried"},  # a typo falls to the shape of a requirement in force
    ):
        assert not validator.is_valid({"version": "x", "requirements": [broken]}), broken


def test_retired_requirements_point_to_requirements_in_force(
    catalogue: tuple[Requirement, ...],
) -> None:
    retired = load_retired()
    assert retired, "the catalogue has retired ids (duplicates merged in the review)"
    in_force = {item.id for item in catalogue}
    for item in retired:
        assert item.replaced_by and set(item.replaced_by) <= in_force, item.id
        assert item.reason and item.statement, item.id


def test_a_retired_id_is_refused_by_lookup_and_named_with_its_successors() -> None:
    gone = load_retired()[0]
    with pytest.raises(KeyError, match="retired") as raised:
        requirement(gone.id)
    assert all(successor in str(raised.value) for successor in gone.replaced_by)
    assert current_ids(gone.id) == gone.replaced_by
    assert current_ids("SVC-01") == ("SVC-01",)
    assert current_ids("NOPE-01") == ()


def test_a_retired_id_pointing_to_a_retired_or_unknown_id_is_refused_by_the_reader() -> None:
    document = load_yaml("requirements/requirements.yaml")
    gone = load_retired()
    for target in (gone[-1].id, "SVC-99"):
        entries = [
            {**entry, "replaced_by": [target]} if entry["id"] == gone[0].id else entry
            for entry in document["requirements"]
        ]
        with pytest.raises(ValueError, match=gone[0].id):
            parse_catalogue({**document, "requirements": entries})
