"""VOSI /availability and /capabilities, and the Registry record: valid against the IVOA
schemas kept in spec/xml/vendor (with the broker's extension), and true to the broker."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from ivoa_eb_broker.cli import main
from ivoa_eb_broker.config import Config, PlatformConfig
from ivoa_eb_broker.http import create_app
from ivoa_eb_broker.platforms.docker_api import DockerApiPlatform, DockerSettings
from ivoa_eb_broker.platforms.simulated import SimulatedPlatform
from ivoa_eb_broker.service.fleet import Fleet, Member
from ivoa_eb_spec.vosi import (
    AVAILABILITY_NS,
    EB_NS,
    STANDARD_ID,
    VOSI_AVAILABILITY_ID,
    VOSI_CAPABILITIES_ID,
    XSI_NS,
    validation_errors,
)
from lxml import etree
from starlette.testclient import TestClient

from .conftest import DOCKER, K

A = f"{{{AVAILABILITY_NS}}}"
NOTEBOOK = K + "executable/jupyter-notebook.yaml"


def _xml(response) -> etree._Element:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/xml")
    assert validation_errors(response.content) == [], response.text
    return etree.fromstring(response.content)


def test_availability_is_valid_and_true_when_the_platforms_answer(client: TestClient) -> None:
    root = _xml(client.get("/availability", headers={"Accept": "application/json"}))
    assert root.tag == f"{A}availability"
    assert root.findtext(f"{A}available") == "true"
    assert root.find(f"{A}upSince") is not None
    assert [n.text for n in root.findall(f"{A}note")] == ["platform simulated: available"]


def test_a_down_engine_makes_the_broker_unavailable_with_a_note(config: Config,
                                                               tmp_path: Path) -> None:
    down = DockerApiPlatform(DockerSettings(base_url=f"unix://{tmp_path}/no-engine.sock",
                                            api_timeout=2))
    fleet = Fleet([Member("sim", SimulatedPlatform()), Member("docker-1", down)])
    with TestClient(create_app(config, platform=fleet)) as client:
        root = _xml(client.get("/availability"))
    assert root.findtext(f"{A}available") == "false"
    assert root.find(f"{A}upSince") is None
    notes = [n.text for n in root.findall(f"{A}note")]
    assert notes[0] == "platform sim: available"
    assert notes[1].startswith("platform docker-1: unavailable: the container engine at unix://")
    assert "no-engine.sock" in notes[1]


def _capability(root: etree._Element, standard: str) -> etree._Element:
    found = [c for c in root.iter("capability") if c.get("standardID") == standard]
    assert len(found) == 1, [c.get("standardID") for c in root.iter("capability")]
    return found[0]


def test_capabilities_name_the_standard_the_interface_and_what_is_supported(
        config: Config) -> None:
    narrowed = replace(config, platforms=(
        PlatformConfig("batch", "simulated", frozenset({NOTEBOOK}), dict(config.platform_settings)),
        PlatformConfig("cloud", "simulated", None, dict(config.platform_settings)),
    ), public_url="https://eb.example.org/broker")
    with TestClient(create_app(narrowed)) as client:
        root = _xml(client.get("/capabilities"))
    broker = _capability(root, STANDARD_ID)
    assert broker.get(f"{{{XSI_NS}}}type") == "eb:ExecutionBrokerCapability"
    assert root.nsmap["eb"] == EB_NS
    (interface,) = broker.findall("interface")
    assert interface.findtext("accessURL") == "https://eb.example.org/broker/"
    assert interface.findtext("openapi") == "https://eb.example.org/broker/openapi.yaml"
    assert interface.find("securityMethod") is None  # anonymous
    assert [m.text for m in broker.findall("mediaType")] == [
        "application/yaml", "application/json", "application/xml"]
    platforms = {p.get("name"): p for p in broker.findall("platform")}
    assert sorted(platforms) == ["batch", "cloud"]
    assert [k.text for k in platforms["batch"].findall("executableKind")] == [NOTEBOOK]
    assert DOCKER in [k.text for k in platforms["cloud"].findall("executableKind")]
    assert DOCKER in [k.text for k in broker.findall("executableKind")]
    assert broker.find("costKind") is None  # the simulated platform reports no costs
    for standard, path in ((VOSI_CAPABILITIES_ID, "capabilities"),
                           (VOSI_AVAILABILITY_ID, "availability")):
        vosi = _capability(root, standard)
        assert vosi.findtext("interface/accessURL") == f"https://eb.example.org/broker/{path}"


def test_the_schemas_reject_a_capability_that_breaks_the_extension(client: TestClient) -> None:
    root = etree.fromstring(client.get("/capabilities").content)
    broker = _capability(root, STANDARD_ID)
    for media_type in broker.findall("mediaType"):
        broker.remove(media_type)
    errors = validation_errors(etree.tostring(root))
    assert errors and "mediaType" in " ".join(errors)


REGISTRY = """
[server]
public_url = "https://eb.example.org/broker"
[registry]
identifier = "ivo://example.org/eb"
publisher = "Example Observatory"
contact_name = "Broker Team"
reference_url = "https://example.org/eb.html"
created = "2026-01-02T03:04:05Z"
security_methods = ["ivo://ivoa.net/sso#token", "ivo://ivoa.net/sso#BasicAA"]
"""


def test_registry_record_from_the_config_is_a_valid_voresource_service(tmp_path: Path) -> None:
    path = tmp_path / "broker.toml"
    path.write_text(REGISTRY)
    result = CliRunner().invoke(main, ["registry-record", "--config", str(path)])
    assert result.exit_code == 0, result.output
    assert validation_errors(result.output) == []
    root = etree.fromstring(result.output.encode())
    assert root.get(f"{{{XSI_NS}}}type") == "vr:Service"
    assert root.findtext("identifier") == "ivo://example.org/eb"
    assert root.get("created") == "2026-01-02T03:04:05Z"
    broker = _capability(root, STANDARD_ID)
    methods = [i.find("securityMethod").get("standardID") for i in broker.findall("interface")]
    assert methods == ["ivo://ivoa.net/sso#token", "ivo://ivoa.net/sso#BasicAA"]
    assert _capability(root, VOSI_AVAILABILITY_ID).find("interface/securityMethod") is None


@pytest.mark.parametrize("text, named", [
    ("", "[registry] identifier, [registry] publisher, [registry] contact_name, "
         "[registry] reference_url, [server] public_url"),
    ('[registry]\nidentifier = "http://example.org/eb"\n', "[registry] identifier"),
    ('[registry]\nsubjects = "astronomy"\n', "[registry] subjects"),
    ('[registry]\ncolour = "red"\n', "[registry] colour"),
])
def test_registry_record_names_what_the_config_lacks(tmp_path: Path, text: str,
                                                     named: str) -> None:
    path = tmp_path / "broker.toml"
    path.write_text(text)
    result = CliRunner().invoke(main, ["registry-record", "--config", str(path)])
    assert result.exit_code == 2
    assert named in result.output
