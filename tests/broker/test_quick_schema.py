"""The quick schema check (jsonschema-rs) never accepts what python-jsonschema refuses.

The broker trusts a quick "valid" and skips the thorough check, so a quick check more lenient
than the normative one would let invalid documents in. Mutated examples (the reliability
suite's generators: wrong types, hostile text, huge numbers, NaN, new names) probe the edges.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ivoa_eb_broker.service.intake import REQUEST_SCHEMA, UPDATE_SCHEMA
from ivoa_eb_broker.service.quick_schema import is_valid
from ivoa_eb_spec.registry import validator
from reliability.corpus import SEEDS, structure_mutations, text_mutations


def thorough(schema: str, document: Any) -> bool:
    return not any(True for _ in validator(schema).iter_errors(document))


@pytest.mark.parametrize("index", range(len(SEEDS)))
def test_every_example_passes_the_quick_check(index: int) -> None:
    """Else the quick path would never be taken and the broker would not be faster."""
    assert thorough(REQUEST_SCHEMA, SEEDS[index])
    assert is_valid(REQUEST_SCHEMA, SEEDS[index])


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(document=structure_mutations() | text_mutations())
def test_the_quick_check_is_never_more_lenient_on_requests(document: Any) -> None:
    if is_valid(REQUEST_SCHEMA, document):
        assert thorough(REQUEST_SCHEMA, document)


UPDATES = st.fixed_dictionaries(
    {"kind": st.sampled_from(["uri:enum-value-update", "uri:string-value-update", "x", ""]),
     "path": st.sampled_from(["/phase", "phase", "", "/x"]) | st.text(max_size=5),
     "value": st.sampled_from(["ACCEPTED", "CANCELLED", ""]) | st.integers() | st.none()},
    optional={"extra": st.text(max_size=3)},
)


@settings(max_examples=200, deadline=None)
@given(document=UPDATES | st.dictionaries(st.text(max_size=4), st.integers(), max_size=3))
def test_the_quick_check_is_never_more_lenient_on_updates(document: Any) -> None:
    if is_valid(UPDATE_SCHEMA, document):
        assert thorough(UPDATE_SCHEMA, document)


def test_an_invalid_request_is_refused_by_both() -> None:
    document = {**SEEDS[0], "executable": {**SEEDS[0]["executable"], "kind": 5}}
    assert not is_valid(REQUEST_SCHEMA, document)
    assert not thorough(REQUEST_SCHEMA, document)
