"""A site's platforms quote costs and metrics from their configured rates, on either form of
the config (``[[platforms]]`` tables or the one ``[platform]``); a request whose limits no
offer meets is answered NO with a reason naming the limit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from ivoa_eb_broker.config import ConfigError, load
from ivoa_eb_broker.http.app import create_app
from starlette.testclient import TestClient

SQRT = Path(__file__).resolve().parents[2] / "examples" / "01-sqrt-docker.yaml"
K = "https://www.purl.org/ivoa.net/Calycopis-openapi/schema/v1.0/kinds/"
MONEY = "urn:ivoa:calycopis:cost:monetary"
SPEED = "urn:ivoa:calycopis:metric:compute-performance"
CONFIG = f"""
[[platforms]]
name = "green"
type = "simulated"
[platforms.costs]
"{MONEY}" = 0.5
"urn:ivoa:calycopis:cost:carbon" = 4.0
[platforms.metrics]
"{SPEED}" = 250.0
"""
#: The same rates on the single form: ``[platform]`` with its ``costs`` and ``metrics``.
SINGLE = f"""
[platform]
name = "simulated"
[platform.costs]
"{MONEY}" = 0.5
"urn:ivoa:calycopis:cost:carbon" = 4.0
[platform.metrics]
"{SPEED}" = 250.0
"""


def post(client: TestClient, document: dict[str, Any]) -> dict[str, Any]:
    answer = client.post("/requests", content=yaml.safe_dump(document),
                         headers={"Content-Type": "application/yaml"})
    assert answer.status_code == 200, answer.text
    return yaml.safe_load(answer.text)


@pytest.fixture(params=[CONFIG, SINGLE], ids=["platforms", "platform"])
def client(tmp_path: Path, request: pytest.FixtureRequest) -> Any:
    (tmp_path / "broker.toml").write_text(request.param)
    config = load(tmp_path / "broker.toml",
                  database_url=f"sqlite:///{tmp_path / 'broker.sqlite'}")
    with TestClient(create_app(config, run_scheduler=False)) as running:
        yield running


def test_offers_carry_the_platforms_quotes(client: TestClient) -> None:
    request = yaml.safe_load(SQRT.read_text())
    request["schedule"] = {"requested": {"duration": "PT2H"}}
    offer = post(client, request)["offers"][0]
    costs = {c["type"]: c["max"] for c in offer["costs"]}
    assert costs == {MONEY: 1.0, "urn:ivoa:calycopis:cost:carbon": 8.0}  # 1 core x 2 h
    assert [(m["type"], m["min"]) for m in offer["metrics"]] == [(SPEED, 250.0)]


def test_no_offer_within_a_max_cost_or_min_metric_is_a_no(client: TestClient) -> None:
    request = yaml.safe_load(SQRT.read_text())
    request["costs"] = [{"kind": K + "costs/simple-minmax-float-cost.yaml", "type": MONEY,
                         "max": 0.1}]
    request["metrics"] = [{"kind": K + "metrics/simple-minmax-float-metric.yaml",
                           "type": SPEED, "min": 300.0}]
    answer = post(client, request)
    assert answer["result"] == "NO"
    paths = sorted(m["values"]["path"] for m in answer["meta"]["messages"]
                   if m["level"] == "ERROR")
    assert paths == ["/costs/0/max", "/metrics/0/min"]
    request["costs"][0]["max"] = 5.0
    request["metrics"][0]["min"] = 100.0
    assert post(client, request)["result"] == "YES"


@pytest.mark.parametrize(("text", "where"), [(CONFIG, r"\[\[platforms\]\] #1 \(green\) costs"),
                                           (SINGLE, r"\[platform\] costs")])
def test_an_unknown_cost_type_in_config_is_named(tmp_path: Path, text: str, where: str) -> None:
    path = tmp_path / "broker.toml"
    path.write_text(text.replace(MONEY, "urn:example:money"))
    with pytest.raises(ConfigError, match=where + ".*urn:example:money"):
        load(path)

