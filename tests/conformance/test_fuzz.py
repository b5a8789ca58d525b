"""How schemathesis findings are filed under requirement ids."""

from __future__ import annotations

from ivoa_eb_conformance import spec
from ivoa_eb_conformance.fuzz import CHECKS, OPERATIONS, alias_only_violation, requirement_for
from ivoa_eb_spec.requirements import load_requirements


def test_findings_of_rule_checks_go_to_their_requirement_whatever_the_operation() -> None:
    assert requirement_for("not_a_server_error", "GET /sessions/{uuid}") == "ERR-08"
    assert requirement_for("negative_data_rejection", "POST /requests") == "ERR-06"
    assert requirement_for("eb_error_response", "POST /sessions/{uuid}") == "ERR-07"


def test_findings_about_an_answer_go_to_the_requirement_of_its_operation() -> None:
    assert requirement_for("response_schema_conformance", "POST /requests") == "SVC-01"
    assert requirement_for("status_code_conformance", "GET /offersets/{uuid}") == "SVC-02"
    assert requirement_for("content_type_conformance", "POST /sessions/{uuid}") == "SVC-06"
    assert requirement_for("response_schema_conformance", "GET /elsewhere") is None


def test_every_operation_of_the_openapi_is_mapped_to_an_existing_requirement() -> None:
    operations = {
        f"{method.upper()} {path}"
        for path, item in spec.openapi()["paths"].items()
        for method in item
        if method in ("get", "post", "put", "delete", "patch")
    }
    assert operations == set(OPERATIONS)
    known = {r.id for r in load_requirements()}
    assert set(OPERATIONS.values()) | set(CHECKS.values()) <= known


KINDS = "https://www.purl.org/ivoa.net/Calycopis-openapi/schema/v1.0/kinds"
NOTEBOOK_ALIAS = (
    "https://www.purl.org/ivoa.net/EB/schema/v1.0/types/executable/jupyter-notebook-1.0"
)


def test_a_body_invalid_only_by_an_alias_kind_is_no_negative_case() -> None:
    """schemathesis negates a kind by drawing an alias; KIND-02 lets a broker accept it."""
    body = {"executable": {"kind": NOTEBOOK_ALIAS}}
    assert spec.schema_errors(body, "request"), "the alias must be invalid as written"
    assert alias_only_violation(body, "POST /direct")
    assert alias_only_violation(body, "POST /requests")


def test_an_alias_compute_kind_nested_in_a_request_is_recognised() -> None:
    body = {
        "executable": {"kind": f"{KINDS}/executable/jupyter-notebook.yaml"},
        "compute": {
            "kind": "https://www.purl.org/ivoa.net/EB/schema/v1.0/types/computer/simple-compute-resource-1.0",
            "cores": {"min": 2},
        },
    }
    assert (
        spec.canonical_kind(body["compute"]["kind"])
        == f"{KINDS}/compute/simple-compute-resource.yaml"
    )
    assert alias_only_violation(body, "POST /requests")


def test_a_valid_body_or_one_with_another_fault_stays_a_negative_case() -> None:
    canonical = {"executable": {"kind": f"{KINDS}/executable/jupyter-notebook.yaml"}}
    assert not alias_only_violation(canonical, "POST /requests")
    broken = {"executable": {"kind": NOTEBOOK_ALIAS, "location": 42}}
    assert not alias_only_violation(broken, "POST /requests")
    assert not alias_only_violation(["not", "a", "request"], "POST /requests")
    assert not alias_only_violation(
        {"executable": {"kind": NOTEBOOK_ALIAS}}, "GET /offersets/{uuid}"
    )
