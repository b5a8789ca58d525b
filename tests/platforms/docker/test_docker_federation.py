"""A head broker fronting a Docker-API site (podman) and a simulated site: the offer accepted
at the head runs to COMPLETED in a real container at its site; the other site's offer ends
REJECTED there."""

from __future__ import annotations

import sys
from pathlib import Path

from docker_support import docker_broker

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "client"))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "federation"))

from eb_processes import QUICK_SIMULATED, BrokerProcess, start_all  # noqa: E402
from federation_support import head_config  # noqa: E402
from ivoa_eb_client import Client  # noqa: E402

SQRT = Path(__file__).resolve().parents[3] / "examples" / "01-sqrt-docker.yaml"


def test_an_offer_of_the_docker_site_runs_through_the_head(engine: None,
                                                            tmp_path: Path) -> None:
    (tmp_path / "docker").mkdir()
    with docker_broker(tmp_path / "docker") as docker_site:
        simulated = BrokerProcess(tmp_path / "simulated", QUICK_SIMULATED)
        head = BrokerProcess(tmp_path / "head", head_config(
            "head-d", [("docker", docker_site.url), ("simulated", simulated.url)]))
        start_all(simulated, head)
        try:
            with Client(head.url) as client:
                offers = client.request(SQRT)
                sites = {}
                for offer in offers.offers:
                    for message in offer.messages:
                        if "target" in message.values:
                            sites.setdefault(message.values["site"], (offer,
                                                                      message.values["target"]))
                assert set(sites) == {"docker", "simulated"}
                offer, _ = sites["docker"]
                session = offer.accept().wait(timeout=120, poll=0.5)
                assert session.phase == "COMPLETED", [m.message for m in session.messages]
                assert any("1.414213" in (m.message or "") for m in session.messages)
                assert client.session(sites["simulated"][1]).phase == "REJECTED"
        finally:
            head.stop()
            simulated.stop()
