"""Property: every document the JSON Schema accepts has an XML form that the XSD accepts,
and from_xml gives the document back (unknown kinds as the XML form keeps them).

Documents come from the JSON Schema itself (hypothesis-jsonschema), so a property or a rule
the XSD or the codec missed shows up here. The generator is narrowed only where XML cannot
follow JSON (see xml_strategies: XML-illegal characters, non-XML keys nested in unknown
kinds); test_xml_codec.py shows the codec refusing those values. Integers need no narrowing:
the JSON Schema bounds every one within xs:long.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from ivoa_eb_spec.registry import validator
from ivoa_eb_spec.xmlcodec import XmlInputError, from_xml, to_xml
from ivoa_eb_spec.xmlschema_gen import root_node
from xml_strategies import documents, xml_view

SCHEMAS = {
    "offers-request": "execution-request.yaml",
    "offers-response": "offer-set-response.yaml",
    "execution": "session.yaml",
    "update": "update.yaml",
    "error": "error-response.yaml",
}
#: A page of sessions holds sessions, already round-tripped above: fewer documents suffice.
LISTS = {"session-list": "session-list.yaml"}
LIST_EXAMPLES = 25

EXAMPLES = 200
"""Documents per root element: the issue's acceptance asks for at least 200."""

SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)


@pytest.mark.parametrize("root", list(SCHEMAS))
def test_schema_valid_documents_round_trip_through_valid_xml(root: str) -> None:
    _round_trip(root, SCHEMAS[root], SETTINGS, EXAMPLES)


@pytest.mark.parametrize("root", list(LISTS))
def test_session_lists_round_trip_through_valid_xml(root: str) -> None:
    _round_trip(root, LISTS[root], settings(SETTINGS, max_examples=LIST_EXAMPLES),
                LIST_EXAMPLES)


def _round_trip(root: str, schema: str, chosen: Any, examples: int) -> None:
    check = validator(schema)
    node = root_node(root)
    seen = {"known": 0, "unknown": 0}

    @chosen
    @given(documents(schema))
    def run(document: Any) -> None:
        assert check.is_valid(document), next(check.iter_errors(document)).message
        data = to_xml(document, root)
        expected = xml_view(node, document)
        try:
            # validates against the XSD first (validate=True): the costly step, done once
            decoded = from_xml(data)
        except XmlInputError as error:
            raise AssertionError(f"XSD refuses the XML form: {error}\n{data.decode()}") from None
        assert decoded == (root, expected)
        seen["known" if expected == document else "unknown"] += 1

    run()
    assert seen["known"] > 0
    total = seen["known"] + seen["unknown"]
    assert total >= examples, f"Hypothesis ran {total} documents, fewer than {examples}"
