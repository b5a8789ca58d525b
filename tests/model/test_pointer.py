"""Pydantic error locations become RFC 6901 JSON Pointers over the wire names."""

from __future__ import annotations

from ivoa_eb_spec.codecs import pointer
from ivoa_eb_spec.model import UNKNOWN_TAG
from ivoa_eb_spec.model import kinds as K


def test_keys_and_indexes() -> None:
    document = {"compute": {"volumes": [{"path": 1}, {"path": 2}]}}
    assert pointer(("compute", "volumes", 1, "path"), document) == "/compute/volumes/1/path"


def test_discriminator_tags_are_dropped() -> None:
    document = {"executable": {"kind": K.DOCKER_CONTAINER, "imagee": 1}}
    assert pointer(("executable", K.DOCKER_CONTAINER, "imagee"), document) == "/executable/imagee"
    assert pointer(("data", 0, UNKNOWN_TAG, "kind"), {"data": [{}]}) == "/data/0/kind"


def test_a_key_that_equals_a_tag_is_kept() -> None:
    document = {K.DOCKER_CONTAINER: {"x": 1}}
    assert (
        pointer((K.DOCKER_CONTAINER, "x"), document)
        == "/" + K.DOCKER_CONTAINER.replace("/", "~1") + "/x"
    )


def test_tokens_are_escaped() -> None:
    document = {"environment": {"a/b~c": 1}}
    assert pointer(("environment", "a/b~c"), document) == "/environment/a~1b~0c"


def test_missing_fields_and_the_whole_document() -> None:
    assert pointer(("meta", "url"), {"meta": {}}) == "/meta/url"
    assert pointer(("executable",), {}) == "/executable"
    assert pointer((), {}) == ""


def test_steps_below_a_wrong_value_are_kept() -> None:
    assert pointer(("compute", "cores", "min"), {"compute": 3}) == "/compute/cores/min"
