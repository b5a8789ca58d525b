"""copy_json: an equal copy that shares no dict or list with the original."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from ivoa_eb_spec.jsonvalue import copy_json

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=25,
)


def _containers(value: Any) -> list[int]:
    if isinstance(value, dict):
        return [id(value), *(i for v in value.values() for i in _containers(v))]
    if isinstance(value, list):
        return [id(value), *(i for v in value for i in _containers(v))]
    return []


@given(JSON)
def test_a_copy_is_equal_and_shares_no_container(value: Any) -> None:
    copied = copy_json(value)
    assert copied == value
    assert not set(_containers(copied)) & set(_containers(value))


def test_other_containers_are_deep_copied() -> None:
    original = {"a": ({"b": [1]},)}
    copied = copy_json(original)
    assert copied == original
    copied["a"][0]["b"].append(2)
    assert original == {"a": ({"b": [1]},)}
