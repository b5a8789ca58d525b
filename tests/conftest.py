"""Shared by every test folder: hypothesis-jsonschema made fit for the spec's schemas.

tests/model and tests/xml draw schema-valid documents with hypothesis-jsonschema 0.23.1.
Three adjustments, made here once for both (they were near-copies in each):

- it calls ``more()`` on Hypothesis's private ``many`` helper, which recent Hypothesis
  replaced by a context-managed iterator: an adapter gives it ``more()`` again;
- it builds the strategy of every nested subschema anew at each draw, canonicalising and
  merging it again (seconds per document of this size): strategies and merges are
  memoised by the schema's content, which is all they depend on (by identity, most draws
  missed: canonicalising copies every subschema);
- it checks every merged subschema against the metaschema (0.6 s each, 40 % of generation):
  the spec's schemas are JSON Schema 2020-12 and checked against the metaschema by
  tests/spec, and a merge of valid schemas is valid, so the 2020-12 validator is used as is.
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import strategies as st
from hypothesis.internal.conjecture import utils as conjecture_utils
from jsonschema import Draft202012Validator


class _ManyWithMore:
    """``more()`` on top of Hypothesis's context-managed ``many``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._many = conjecture_utils.many(*args, **kwargs)
        self._many.__enter__()
        self._steps = iter(self._many)

    def more(self) -> bool:
        try:
            next(self._steps)
        except StopIteration:
            self._many.__exit__(None, None, None)
            return False
        return True

    def reject(self, why: str | None = None) -> None:
        self._many.reject(why)


def _content(schema: Any) -> str:
    return json.dumps(schema, sort_keys=True)


_strategies: dict[tuple[str, int, int], tuple[Any, Any, st.SearchStrategy[Any]]] = {}
_merges: dict[tuple[str, ...], Any] = {}


def _validator_class(schema: Any) -> type[Draft202012Validator]:
    return Draft202012Validator


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """Adjust hypothesis-jsonschema once Hypothesis's plugin has ended its initialisation
    (importing it earlier reads Hypothesis's Unicode tables while that is forbidden)."""
    from hypothesis_jsonschema import _canonicalise, _from_schema

    build = getattr(_from_schema, "__from_schema")
    merge = _from_schema.merged

    def memoised_strategy(
        schema: Any, *, alphabet: Any, custom_formats: Any
    ) -> st.SearchStrategy[Any]:
        # alphabet and custom_formats stay in the memo: their identities are never reused
        key = (_content(schema), id(alphabet), id(custom_formats))
        known = _strategies.get(key)
        if known is None:
            built = build(schema, alphabet=alphabet, custom_formats=custom_formats)
            known = _strategies[key] = (alphabet, custom_formats, built)
        return known[2]

    def memoised_merge(schemas: list[Any], *args: Any, **kwargs: Any) -> Any:
        if args or kwargs:
            return merge(schemas, *args, **kwargs)
        key = tuple(_content(schema) for schema in schemas)
        if key not in _merges:
            _merges[key] = merge(schemas)
        return _merges[key]

    if not hasattr(conjecture_utils.many, "more"):
        _from_schema.cu = SimpleNamespace(many=_ManyWithMore)  # type: ignore[attr-defined]
    setattr(_from_schema, "__from_schema", memoised_strategy)
    _from_schema.merged = memoised_merge  # type: ignore[attr-defined]
    _canonicalise._get_validator_class = _validator_class  # type: ignore[assignment]
