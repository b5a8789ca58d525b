"""A head declares itself in its VOSI capability (FED-14): a ``head`` element naming its
``EB-Via`` id, valid against the capability extension; a site broker lists none."""

from __future__ import annotations

import httpx
from federation_support import Federation
from ivoa_eb_spec.vosi import STANDARD_ID, validation_errors
from ivoa_eb_spec.xmlcodec import parse_xml


def heads(url: str) -> list[str | None]:
    body = httpx.get(f"{url}/capabilities").content
    assert validation_errors(body) == []
    root = parse_xml(body)
    broker = next(c for c in root.iter("capability") if c.get("standardID") == STANDARD_ID)
    return [h.get("id") for h in broker.findall("head")]


def test_the_head_names_its_eb_via_id_and_a_site_names_none(federation: Federation) -> None:
    assert heads(federation.head.url) == ["head"]
    assert heads(federation.sites["site-a"].url) == []

