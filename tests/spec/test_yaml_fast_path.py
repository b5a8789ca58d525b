"""The YAML writer's fast path (mappings, lists and strings straight to nodes, remembered
tags) writes exactly what PyYAML's generic representer and resolver write."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from ivoa_eb_spec.codecs import yaml_codec
from ivoa_eb_spec.codecs.yaml_codec import dump_yaml

ROOT = Path(__file__).resolve().parents[2]


class Generic(yaml_codec._ReadableDumper):  # type: ignore[misc,valid-type]
    """The same dumper with the fast path taken out."""

    def represent_data(self, data: Any) -> Any:
        return yaml.representer.SafeRepresenter.represent_data(self, data)

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        return yaml.resolver.BaseResolver.resolve(self, kind, value, implicit)


def generic(document: Any) -> bytes:
    return yaml.dump(document, Dumper=Generic, sort_keys=False, default_flow_style=False,
                     allow_unicode=True, width=100, encoding="utf-8")  # type: ignore[no-any-return]


EXAMPLES = sorted((ROOT / "examples").rglob("*.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_are_written_as_before(path: Path) -> None:
    document = yaml.safe_load(path.read_text())
    assert dump_yaml(document) == generic(document)


TRICKY = st.sampled_from(["NO", "yes", "on", "~", "null", "1.0", "0x1f", "2030-01-01", "",
                          " a", "a\u2028b", "a\x85b", "- x", "k: v", "#", "'", '"', "1e3",
                          "...", "...x", "-c", "--x", "---", "-1", "-.inf", "a:", "x: y"])
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | TRICKY | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(TRICKY | st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(document=VALUES)
def test_any_json_value_is_written_as_before(document: Any) -> None:
    assert dump_yaml(document) == generic(document)


WORD = st.text(alphabet="abcXY019_./:+=(),;-' #\"", min_size=1, max_size=12)
SENTENCES = st.lists(WORD, min_size=1, max_size=14).map(" ".join)
PROSE = st.recursive(
    st.none() | st.booleans() | st.integers() | TRICKY | SENTENCES,
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.from_regex(r"[a-z][a-zA-Z]{0,30}", fullmatch=True) | TRICKY,
                      inner, max_size=4),
    max_leaves=30,
)


@settings(max_examples=500, deadline=None)
@given(document=PROSE)
def test_the_direct_writer_writes_what_pyyaml_writes(document: Any) -> None:
    """Sentences of the direct writer's characters (and its near misses: quotes, ``#``,
    ``: ``), at every depth, around the fold at the line width."""
    direct = yaml_codec._write_direct(document)
    assert direct is None or direct == generic(document)
