"""How schemathesis findings are filed under requirement ids."""

from __future__ import annotations

from ivoa_eb_conformance.fuzz import CHECKS, OPERATIONS, requirement_for
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
    from ivoa_eb_conformance import spec

    operations = {
        f"{method.upper()} {path}"
        for path, item in spec.openapi()["paths"].items()
        for method in item
        if method in ("get", "post", "put", "delete", "patch")
    }
    assert operations == set(OPERATIONS)
    known = {r.id for r in load_requirements()}
    assert set(OPERATIONS.values()) | set(CHECKS.values()) <= known
