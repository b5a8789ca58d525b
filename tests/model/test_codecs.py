"""The parsers are hardened for bodies from the network, and every fault is a DecodeError."""

from __future__ import annotations

import json

import pytest
import yaml
from ivoa_eb_spec import model as m
from ivoa_eb_spec.codecs import (
    DecodeError,
    MediaType,
    decode,
    dump_document,
    encode,
    load_document,
    root_for,
)
from ivoa_eb_spec.codecs.yaml_codec import MAX_ALIASES
from model_samples import REQUEST, SESSION


def _refusal(body: bytes, media_type: MediaType = MediaType.YAML) -> str:
    with pytest.raises(DecodeError) as caught:
        load_document(body, media_type)
    assert [problem.path for problem in caught.value.problems] == [""]
    return caught.value.problems[0].message


BILLION_LAUGHS = b"""
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""


def test_yaml_alias_bomb_is_refused() -> None:
    assert "aliases" in _refusal(BILLION_LAUGHS)


def test_yaml_alias_bomb_within_the_alias_count_is_refused_by_size() -> None:
    # 16 aliases, doubling a 10 000-item list 8 times: 2.5 million nodes once expanded.
    items = ", ".join(["x"] * 10_000)
    lines = [f"a0: &a0 [{items}]"]
    for level in range(1, MAX_ALIASES // 2 + 1):
        lines.append(f"a{level}: &a{level} [*a{level - 1}, *a{level - 1}]")
    assert "expand" in _refusal("\n".join(lines).encode())


def test_yaml_few_aliases_are_accepted() -> None:
    document, _ = load_document(b"base: &v {path: /data}\none: *v\ntwo: *v\n", MediaType.YAML)
    assert document == {
        "base": {"path": "/data"},
        "one": {"path": "/data"},
        "two": {"path": "/data"},
    }


def test_yaml_recursive_alias_is_refused() -> None:
    assert "contains it" in _refusal(b"a: &x [1, *x]")


@pytest.mark.parametrize(
    "body",
    [
        b"a: !!python/object/apply:os.system ['true']",
        b"a: !!python/name:os.system",
        b"a: !!binary aGVsbG8=",
        b"a: !!timestamp 2026-01-01",
        b"a: !!set {x}",
        b"a: !custom x",
        b"a: !!omap [{b: 1}]",
    ],
)
def test_yaml_tags_beyond_json_types_are_refused(body: bytes) -> None:
    assert "is not allowed" in _refusal(body)


def test_yaml_duplicate_keys_are_refused() -> None:
    assert "duplicate key 'kind'" in _refusal(b"kind: a\nkind: b\n")


def test_yaml_non_string_keys_are_refused() -> None:
    assert "not a string" in _refusal(b"1: one\n")


def test_yaml_scalars_resolve_to_json_types_only() -> None:
    body = b"""
    timestamp: 2026-01-01T00:00:00Z
    date: 2026-01-01
    norway: no
    on: yes
    octal: 0o17
    sexagesimal: 1:30
    infinity: .inf
    true_: true
    false_: False
    null_: ~
    empty:
    int: -42
    float: 1.5e3
    quoted: "123"
    merge: {<<: {a: 1}}
    """
    document, _ = load_document(body.replace(b"\n    ", b"\n"), MediaType.YAML)
    assert document == {
        "timestamp": "2026-01-01T00:00:00Z",
        "date": "2026-01-01",
        "norway": "no",
        "on": "yes",
        "octal": "0o17",
        "sexagesimal": "1:30",
        "infinity": ".inf",
        "true_": True,
        "false_": False,
        "null_": None,
        "empty": None,
        "int": -42,
        "float": 1500.0,
        "quoted": "123",
        "merge": {"<<": {"a": 1}},
    }


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"a: [1, 2", "syntax"),
        (b"a: 1\n---\nb: 2\n", "syntax"),
        (b"", "no YAML document"),
        (b"\xff\xfe", "UTF-8"),
        (b"\x00", "refused"),
        (b"a: \x07", "refused"),
        (b"[" * 10_000 + b"]" * 10_000, "nested too deeply"),
    ],
)
def test_yaml_unreadable_bodies_are_refused(body: bytes, reason: str) -> None:
    assert reason in _refusal(body)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"a": 1, "a": 2}', "duplicate key 'a'"),
        (b'{"a": NaN}', "NaN is not a JSON number"),
        (b'{"a": Infinity}', "Infinity is not a JSON number"),
        (b'{"a": 1', "syntax"),
        (b'{"a": "\xff"}', "UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"a": ' + b"9" * 5000 + b"}", "refused"),
    ],
)
def test_json_unreadable_bodies_are_refused(body: bytes, reason: str) -> None:
    assert reason in _refusal(body, MediaType.JSON)


@pytest.mark.parametrize("media_type", [MediaType.JSON, MediaType.YAML])
@pytest.mark.parametrize(
    ("body", "what"), [(b"[1]", "an array"), (b'"x"', "a string"), (b"null", "null")]
)
def test_a_document_is_an_object(media_type: MediaType, body: bytes, what: str) -> None:
    assert _refusal(body, media_type) == f"the document must be an object (a mapping), not {what}"


def test_yaml_output_is_readable_and_reads_back() -> None:
    tricky = {
        "yes": "yes",
        "date": "2026-01-01",
        "time": "2026-01-01T00:00:00Z",
        "number": "12",
        "null": "null",
        "empty": "",
        "multi": "line one\nline two",
        "leading zero": "09",
        "exponent": "1e5",
        "fraction": "-.5",
        "next line": "a\x85b",
        "line separator": "a\u2028b",
        "carriage return": "a\rb",
        "control": "\x00\x07",
        "astral": "\U0001f389",
        "spaces": "  both  ",
        "unicode": "Ångström",
        "nested": {"list": [1, 2.5, True, None], "z": 1, "a": 2},
    }
    body = dump_document(tricky, MediaType.YAML)
    text = body.decode("utf-8")
    assert "{" not in text and "&" not in text  # block style, no anchors
    assert text.index("z: 1") < text.index("a: 2")  # key order kept
    assert "Ångström" in text
    assert load_document(body, MediaType.YAML)[0] == tricky
    # ... and also for a YAML 1.1 reader such as PyYAML's own safe loader.
    assert yaml.safe_load(body) == tricky


def test_yaml_output_has_no_aliases_for_shared_values() -> None:
    shared = {"path": "/x"}
    body = dump_document({"a": shared, "b": shared}, MediaType.YAML)
    assert b"&" not in body and b"*" not in body


def test_json_output_is_utf8_json() -> None:
    body = dump_document({"unicode": "Ångström"}, MediaType.JSON)
    assert json.loads(body.decode("utf-8")) == {"unicode": "Ångström"}
    assert "Ångström".encode() in body


def test_encoded_request_is_ordered_as_the_schema() -> None:
    request = m.ExecutionRequest.model_validate(REQUEST)
    text = encode(request, MediaType.YAML).decode()
    positions = [
        text.index(f"\n{key}:") for key in ("compute", "storage", "data", "schedule", "costs")
    ]
    assert positions == sorted(positions)
    assert text.startswith("executable:\n  kind: ")


@pytest.mark.parametrize(
    ("model", "root"),
    [
        (m.ExecutionRequest, "offers-request"),
        (m.OfferSetResponse, "offers-response"),
        (m.ExecutionSession, "execution"),
        (m.SimpleExecutionSession, "execution"),
        (m.ScheduledExecutionSession, "execution"),
        (m.UnknownSession, "execution"),
        (m.Update, "update"),
        (m.EnumValueUpdate, "update"),
        (m.UnknownUpdate, "update"),
        (m.ErrorResponse, "error"),
    ],
)
def test_root_elements(model: object, root: str) -> None:
    assert root_for(model) == root


def test_a_component_has_no_root_element() -> None:
    with pytest.raises(ValueError, match="not a message"):
        root_for(m.DockerContainer)


def test_xml_needs_a_root() -> None:
    with pytest.raises(ValueError, match="root element"):
        dump_document({}, MediaType.XML)


def test_decode_reports_the_model_errors_as_problems() -> None:
    with pytest.raises(DecodeError) as caught:
        decode(b"executable:\n  kind: urn:x\ncompute: 3\n", MediaType.YAML, m.ExecutionRequest)
    assert [problem.path for problem in caught.value.problems] == ["/compute"]
    assert "/compute" in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_session_decodes_from_yaml() -> None:
    body = dump_document(SESSION, MediaType.YAML)
    assert isinstance(decode(body, MediaType.YAML, m.ExecutionSession), m.ScheduledExecutionSession)
