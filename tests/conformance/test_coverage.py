"""Every requirement of the catalogue is judged by a check or marked not testable, with why."""

from __future__ import annotations

from ivoa_eb_conformance import spec
from ivoa_eb_conformance.checks import all_checks
from ivoa_eb_conformance.runner import select
from ivoa_eb_conformance.scenario import load_cases
from ivoa_eb_spec.requirements import load_requirements, load_retired


def test_every_requirement_is_covered_or_marked_not_testable() -> None:
    covered = {rid for check in all_checks() for rid in check.requirements}
    uncovered = [r.id for r in spec.requirements() if r.testable and r.id not in covered]
    assert uncovered == []


def test_not_testable_requirements_say_why() -> None:
    for requirement in spec.requirements():
        if not requirement.testable:
            assert len(requirement.reason) > 20, requirement.id


def test_every_id_a_check_names_exists() -> None:
    known = {r.id for r in load_requirements()}
    named = {(c.id, rid) for c in all_checks() for rid in c.requirements}
    assert {pair for pair in named if pair[1] not in known} == set()


def test_untestable_list_names_only_catalogue_ids_without_checks() -> None:
    known = {r.id for r in load_requirements()}
    listed = set(spec._untestable_here())
    assert listed <= known
    covered = {rid for check in all_checks() for rid in check.requirements}
    assert listed & covered == set(), (
        "a requirement with a check must not also be marked not testable"
    )


def test_case_steps_verify_only_ids_their_case_declares() -> None:
    for case in load_cases():
        for step in case.steps:
            assert set(step.get("verifies", ())) <= set(case.requirements), case.id
        verified = {rid for step in case.steps for rid in step.get("verifies", ())}
        assert verified == set(case.requirements), f"{case.id} declares ids no step verifies"


def test_check_ids_are_unique() -> None:
    ids = [c.id for c in all_checks()]
    assert len(ids) == len(set(ids))


def test_the_readme_lists_every_check() -> None:
    from pathlib import Path

    import ivoa_eb_conformance

    readme = (Path(ivoa_eb_conformance.__file__).parent.parent / "README.md").read_text()
    assert [c.id for c in all_checks() if f"`{c.id}`" not in readme] == []


def test_a_retired_id_selects_the_checks_of_its_successors() -> None:
    """A CI job written before a merge (``--select`` of a retired id) runs the same checks."""
    for gone in load_retired():
        by_old = [c.id for c in select(all_checks(), (gone.id,), ())]
        by_new = [c.id for c in select(all_checks(), gone.replaced_by, ())]
        assert by_old == by_new and by_old, gone.id
        assert select(all_checks(), ("*",), (gone.id,)) == select(
            all_checks(), ("*",), gone.replaced_by
        )
