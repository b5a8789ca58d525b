"""The time patterns of schema/time.yaml give the table's verdicts in every engine that applies
them (Python re, ECMA-262, XSD 1.1, Rust regex), and the code never accepts what they refuse."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any
from xml.sax.saxutils import escape, quoteattr

import pytest
import yaml
from ivoa_eb_spec import iso8601, load_yaml
from ivoa_eb_spec.iso8601 import TimeFormatError

HERE = Path(__file__).parent
NAMES = ("Instant", "Duration", "Interval")
END = r"(?![\s\S])"
PARSERS: dict[str, Callable[[str], Any]] = {
    "Instant": iso8601.parse_instant,
    "Duration": iso8601.parse_duration,
    "Interval": iso8601.parse_start,
}


def _defs() -> dict[str, Any]:
    return load_yaml("schema/time.yaml")["$defs"]


def _cases() -> list[tuple[str, str, bool, str]]:
    """(def name, value, whether the pattern must match, the code's verdict) for every entry."""
    table = yaml.safe_load((HERE / "time_patterns.yaml").read_text(encoding="utf-8"))
    return [
        (name, entry["value"], section == "match", entry["code"])
        for name in NAMES
        for section in ("match", "no-match")
        for entry in table[name][section]
    ]


DEFS = _defs()
CASES = _cases()
IDS = [f"{name}-{'match' if m else 'nomatch'}-{value!r}" for name, value, m, _ in CASES]


def test_table_covers_each_def() -> None:
    for name in NAMES:
        rows = [c for c in CASES if c[0] == name]
        assert sum(m for _, _, m, _ in rows) >= 8, name
        assert sum(not m for _, _, m, _ in rows) >= 15, name
        assert {code for _, _, m, code in rows if m} == {"accepted", "refused"}, name
    assert all(code in ("accepted", "refused") for *_, code in CASES)


def test_the_code_never_accepts_what_the_pattern_refuses() -> None:
    offenders = [(n, v) for n, v, m, code in CASES if not m and code == "accepted"]
    assert offenders == []


def test_defs_are_strings_with_title_description_and_anchored_bodies() -> None:
    assert set(NAMES) <= set(DEFS)
    for name in NAMES:
        d = DEFS[name]
        assert d["type"] == "string"
        assert d["title"] and "coarse filter" in d["description"]
        assert "the requirements catalogue" in d["description"]
        assert "ivoa_eb_spec" not in d["description"], "a schema cites no code module"
        assert d["pattern"] == f"^({d['x-xsd-pattern']}){END}"


def test_bodies_are_the_ones_the_code_uses() -> None:
    assert DEFS["Instant"]["x-xsd-pattern"] == iso8601.INSTANT_BODY
    assert DEFS["Duration"]["x-xsd-pattern"] == iso8601.DURATION_BODY
    assert DEFS["Interval"]["x-xsd-pattern"] == iso8601.INTERVAL_BODY


@pytest.mark.parametrize("name", NAMES)
def test_bodies_use_only_the_portable_subset(name: str) -> None:
    body = DEFS[name]["x-xsd-pattern"]
    assert "(?" not in body, "no non-capturing groups or lookaround: XSD has neither"
    assert "^" not in body and "$" not in body, "XSD patterns are implicitly anchored"
    assert set(re.findall(r"\\.", body)) <= {r"\.", r"\-"}, "only escaped literals, no \\d"
    assert not re.search(r"[*+?}][+?]", body), "no possessive or lazy quantifiers"
    assert body.isascii()


def test_examples_pass_pattern_and_code() -> None:
    for name in NAMES:
        for example in DEFS[name]["examples"]:
            assert re.search(DEFS[name]["pattern"], example), example
            PARSERS[name](example)


@pytest.mark.parametrize(("name", "value", "matches", "code"), CASES, ids=IDS)
def test_python_re_search(name: str, value: str, matches: bool, code: str) -> None:
    assert bool(re.search(DEFS[name]["pattern"], value)) is matches


@pytest.mark.parametrize(("name", "value", "matches", "code"), CASES, ids=IDS)
def test_code_verdict(name: str, value: str, matches: bool, code: str) -> None:
    if code == "accepted":
        PARSERS[name](value)
    else:
        with pytest.raises(TimeFormatError):
            PARSERS[name](value)


@pytest.mark.node
def test_ecma_262_verdicts() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js ('node') is not on PATH: ECMA-262 verdicts not checked")
    request = {
        "patterns": {name: DEFS[name]["pattern"] for name in NAMES},
        "cases": [[name, value] for name, value, _, _ in CASES],
    }
    run = subprocess.run(
        [node, str(HERE / "ecma_patterns.mjs")],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    verdicts = json.loads(run.stdout)
    expected = [m for _, _, m, _ in CASES]
    for flags in ("u", "plain"):
        wrong = [c[:2] for c, got in zip(CASES, verdicts[flags], strict=True) if got != c[2]]
        assert wrong == [], f"ECMA-262 ({flags}) disagrees with the table"
    assert len(verdicts["u"]) == len(expected)


@pytest.fixture(scope="module")
def xsd11() -> Any:
    xmlschema = pytest.importorskip("xmlschema")
    types = "".join(
        f'<xs:element name="{name}"><xs:simpleType><xs:restriction base="xs:string">'
        f"<xs:pattern value={quoteattr(DEFS[name]['x-xsd-pattern'])}/>"
        "</xs:restriction></xs:simpleType></xs:element>"
        for name in NAMES
    )
    source = (
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:t" '
        f'elementFormDefault="qualified">{types}</xs:schema>'
    )
    return xmlschema.XMLSchema11(source)


def test_xsd_11_verdicts(xsd11: Any) -> None:
    wrong = []
    for name, value, matches, _ in CASES:
        # Character references keep CR and LF exactly as they are in the value.
        text = escape(value).replace("\r", "&#13;").replace("\n", "&#10;")
        document = f'<t:{name} xmlns:t="urn:t">{text}</t:{name}>'
        if xsd11.is_valid(document) is not matches:
            wrong.append((name, value))
    assert wrong == []


def test_rust_regex_verdicts_with_dollar_anchor() -> None:
    """Rust 'regex' (pydantic's default engine) has no look-ahead; '^(BODY)$' is exact there."""
    pydantic = pytest.importorskip("pydantic")
    adapters = {
        name: pydantic.TypeAdapter(
            Annotated[str, pydantic.Field(pattern=f"^({DEFS[name]['x-xsd-pattern']})$")]
        )
        for name in NAMES
    }
    wrong = []
    for name, value, matches, _ in CASES:
        try:
            adapters[name].validate_python(value)
            ok = True
        except pydantic.ValidationError:
            ok = False
        if ok is not matches:
            wrong.append((name, value))
    assert wrong == []


@pytest.mark.parametrize("library", ["jsonschema", "jsonschema_rs"])
def test_json_schema_validators_give_the_table_verdicts(library: str) -> None:
    """The patterns as validators apply them: python-jsonschema, and the Rust jsonschema_rs
    (fancy-regex, which has look-ahead)."""
    module = pytest.importorskip(library)
    validators = {}
    for name in NAMES:
        schema = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "string",
            "pattern": DEFS[name]["pattern"],
        }
        if library == "jsonschema":
            validators[name] = module.Draft202012Validator(schema)
        else:
            validators[name] = module.validator_for(schema)
    wrong = [(n, v) for n, v, m, _ in CASES if validators[n].is_valid(v) is not m]
    assert wrong == []
