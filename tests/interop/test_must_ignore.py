"""Must-ignore (EXT-01, EXT-02): ``x-anything: 1`` added to any object of any example is
answered as without it, plus one WARN naming its path; a typo gets a suggestion; wrong types
and missing required properties stay 400."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from broker.conftest import ThreadServer, make_config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ivoa_eb_broker.http import create_app
from ivoa_eb_broker.service import intake
from ivoa_eb_broker.service.errors import Problem
from ivoa_eb_spec.codecs import MediaType, dump_document
from ivoa_eb_spec.unknown import ignored_properties, pointer
from ivoa_eb_spec.xmlschema_gen import Array, Family, Obj, root_node

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CATALOGUE = yaml.safe_load((EXAMPLES / "examples.yaml").read_text())["examples"]
REQUESTS = {e["id"]: yaml.safe_load((EXAMPLES / e["file"]).read_text())
            for e in CATALOGUE if e["endpoint"] == "/requests"}


def object_paths(node: Any, value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path of ``value`` at which the schema has an object of a known shape."""
    if isinstance(node, Family):
        kind = value.get("kind") if isinstance(value, dict) else None
        if kind in node.known:
            yield from object_paths(node.known[kind], value, path)
    elif isinstance(node, Obj) and isinstance(value, dict):
        yield path
        props = {p.name: p.node for p in node.props}
        for key, item in value.items():
            if key in props:
                yield from object_paths(props[key], item, (*path, key))
    elif isinstance(node, Array) and isinstance(value, list):
        for index, item in enumerate(value):
            yield from object_paths(node.item, item, (*path, index))


CASES = [
    (name, path)
    for name, document in REQUESTS.items()
    for path in object_paths(root_node("offers-request"), document)
]


def extended(document: dict[str, Any], path: tuple[Any, ...]) -> dict[str, Any]:
    result = copy.deepcopy(document)
    target: Any = result
    for step in path:
        target = target[step]
    target["x-anything"] = 1
    return result


def post_yaml(document: Any) -> bytes:
    return yaml.safe_dump(document, sort_keys=False).encode()


def test_every_example_has_places_for_an_extension() -> None:
    assert len(CASES) > 3 * len(REQUESTS)
    assert all(not ignored_properties(d) for d in REQUESTS.values())


@pytest.mark.parametrize(("name", "path"), CASES, ids=[f"{n}:{pointer(p)}" for n, p in CASES])
def test_extension_anywhere_is_read_as_without_it(name: str, path: tuple[Any, ...]) -> None:
    plain = intake.request(post_yaml(REQUESTS[name]), MediaType.YAML, "application/yaml")
    document = extended(REQUESTS[name], path)
    received = intake.request(post_yaml(document), MediaType.YAML, "application/yaml")
    assert received.document == plain.document
    extra = [m for m in received.warnings if m not in plain.warnings]
    assert [(m["level"], m["values"]["path"]) for m in extra] == [
        ("WARN", pointer((*path, "x-anything")))
    ]


@pytest.mark.parametrize(
    ("path", "typo", "wanted"),
    [
        (("compute",), "cors", "cores"),
        (("executable",), "imgae", "image"),
        (("executable", "image"), "locatoins", "locations"),
        ((), "schedul", "schedule"),
    ],
)
def test_a_typo_gets_a_suggestion(path: tuple[Any, ...], typo: str, wanted: str) -> None:
    document = copy.deepcopy(REQUESTS["cores-and-memory"])
    target: Any = document
    for step in path:
        target = target[step]
    target[typo] = {"min": 1}
    received = intake.request(post_yaml(document), MediaType.YAML, "application/yaml")
    warned = [m for m in received.warnings if m["values"]["path"] == pointer((*path, typo))]
    assert len(warned) == 1
    assert warned[0]["message"] == f"`{typo}` ignored; did you mean `{wanted}`?"


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"compute": {"cores": "many"}}, "/compute/cores"),
        ({"compute": {"memory": {"min": 1.5}}}, "/compute/memory/min"),
        ({"executable": {"kind": None}}, "/executable"),
    ],
)
def test_wrong_types_and_missing_required_stay_errors(change: dict[str, Any], path: str) -> None:
    document = copy.deepcopy(REQUESTS["cores-and-memory"])
    for key, fields in change.items():
        for field, value in fields.items():
            if value is None:
                del document[key][field]
            else:
                document[key][field] = value
    document["x-anything"] = 1
    with pytest.raises(Problem) as raised:
        intake.request(post_yaml(document), MediaType.YAML, "application/yaml")
    paths = [m["values"]["path"] for m in raised.value.messages]
    assert any(p == path or p.startswith(path + "/") for p in paths), paths


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    config = make_config(tmp_path_factory.mktemp("must-ignore"), {"storage": 100_000_000})
    with ThreadServer(create_app(config)) as running:
        yield running.url


def answer_without_ids(answer: dict[str, Any]) -> Any:
    """What must not change: the result, the offered components, non-WARN message templates."""
    offers = [{k: v for k, v in o.items() if k not in ("meta", "expires", "schedule")}
              for o in answer.get("offers", [])]
    templates = sorted(m["template"] for m in answer["meta"].get("messages", [])
                       if m["level"] != "WARN")
    return answer["result"], offers, templates


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=st.sampled_from(CASES), media=st.sampled_from([MediaType.YAML, MediaType.JSON,
                                                           MediaType.XML]))
def test_over_http_the_extension_only_adds_a_warning(
    url: str, case: tuple[str, tuple[Any, ...]], media: MediaType
) -> None:
    name, path = case
    headers = {"Content-Type": str(media), "Accept": "application/yaml"}
    answers = []
    for document in (REQUESTS[name], extended(REQUESTS[name], path)):
        body = dump_document(document, media, "offers-request")
        response = httpx.post(url + "/requests", content=body, headers=headers, timeout=60)
        assert response.status_code == 200, response.text
        answers.append(yaml.safe_load(response.content))
        for offer in answers[-1].get("offers", []):
            httpx.post(offer["meta"]["url"], headers={"Content-Type": "application/yaml"},
                       content=b"{kind: uri:enum-value-update, path: phase, value: REJECTED}",
                       timeout=60)
    plain, extra = answers
    assert answer_without_ids(extra) == answer_without_ids(plain)
    warned = [m["values"]["path"] for m in extra["meta"].get("messages", [])
              if m["level"] == "WARN"]
    assert pointer((*path, "x-anything")) in warned
    # The property itself is gone from what is offered (only messages may name it).
    assert "x-anything" not in yaml.safe_dump(answer_without_ids(extra)[1])
