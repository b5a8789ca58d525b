"""Round trip with a generic client: openapi-python-client generates a client from the bundled
OpenAPI (once per session, in a temporary folder), and that client posts every example of the
catalogue in JSON to the reference broker and reads every answer into its own models.

What the generator cannot express is written in docs/howto/generated-client.md; the first test
holds its warnings to exactly that list, so a model it drops again fails here.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any
from uuid import UUID

import pytest
import yaml
from broker.conftest import EXAMPLES, ThreadServer, clock_from, make_config
from ivoa_eb_broker.http import create_app
from ivoa_eb_spec import files
from ivoa_eb_spec.iso8601 import parse_instant

BUNDLE = files() / "bundled" / "openapi.json"
PACKAGE = "eb_generated_client"
CATALOGUE = yaml.safe_load((EXAMPLES / "examples.yaml").read_text())
CASES = CATALOGUE["examples"]
# The generator's complaints, every one documented: it writes request bodies in JSON only.
KNOWN_WARNINGS = {
    "Unsupported content type application/yaml",
    "Unsupported content type application/xml",
}
# The answer models that openapi-python-client dropped before the bundle wrote refinements
# as allOf, and the models every answer is read into.
ANSWER_MODELS = (
    "OfferSetResponse", "ErrorResponse", "ErrorMessage", "ServiceMetadata",
    "ScheduledExecutionSession", "SimpleExecutionSession", "UnknownExecutionSession",
)


class Generated:
    """The generated package, its modules by short name, and what the generator reported."""

    def __init__(self, package: ModuleType, report: str) -> None:
        self.package = package
        self.report = report
        self.models = importlib.import_module(f"{PACKAGE}.models")
        self.client = importlib.import_module(f"{PACKAGE}.client")

    def api(self, name: str) -> ModuleType:
        return importlib.import_module(f"{PACKAGE}.api.{name}")


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Generated]:
    folder = tmp_path_factory.mktemp("generated")
    config = folder / "config.yaml"
    config.write_text("post_hooks: []\n")  # no formatting pass: the code is only imported
    command = [sys.executable, "-m", "openapi_python_client", "generate", "--path", str(BUNDLE),
               "--meta", "none", "--config", str(config), "--output-path", str(folder / PACKAGE)]
    run = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    sys.path.insert(0, str(folder))
    try:
        yield Generated(importlib.import_module(PACKAGE), run.stdout + run.stderr)
    finally:
        sys.path.remove(str(folder))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]


@pytest.fixture(scope="module")
def client(generated: Generated, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A generated client on the reference broker, its clock at the catalogue's ``as_of``.

    The generated code reads JSON only and sends no ``Accept``; the interface answers YAML to
    that, so the client asks for JSON on every call."""
    app = create_app(make_config(tmp_path_factory.mktemp("generated-broker")),
                     clock=clock_from(parse_instant(CATALOGUE["as_of"])))
    with ThreadServer(app) as running:
        with generated.client.Client(base_url=running.url, timeout=60,
                                     headers={"Accept": "application/json"},
                                     raise_on_unexpected_status=True) as made:
            yield made


def reported_problems(report: str) -> set[str]:
    """The generator's reasons for leaving something out, one line each."""
    starts = ("Unsupported", "Unable", "Cannot", "Could not", "Failure", "Attempted")
    return {line.strip() for line in report.splitlines() if line.strip().startswith(starts)}


def test_the_generator_keeps_every_answer_model(generated: Generated) -> None:
    assert reported_problems(generated.report) == KNOWN_WARNINGS, generated.report
    missing = [name for name in ANSWER_MODELS if not hasattr(generated.models, name)]
    assert missing == []


def session_models(generated: Generated) -> tuple[type, ...]:
    return (generated.models.ScheduledExecutionSession, generated.models.SimpleExecutionSession)


def read_session(generated: Generated, client: Any, uuid: UUID) -> Any:
    """A session read through the generated client, with its own metadata parsed."""
    response = generated.api("sessions.session_select").sync_detailed(uuid, client=client)
    assert response.status_code == 200, response.content
    assert isinstance(response.parsed, session_models(generated)), response.content
    assert response.parsed.meta.uuid == uuid
    return response.parsed


def phase_update(generated: Generated, value: str) -> Any:
    return generated.models.EnumValueUpdate(kind="uri:enum-value-update", path="phase",
                                            value=value)


@pytest.mark.parametrize("entry", CASES, ids=[entry["id"] for entry in CASES])
def test_example_round_trip(generated: Generated, client: Any, entry: dict[str, Any]) -> None:
    document = yaml.safe_load((EXAMPLES / entry["file"]).read_text())
    body = generated.models.ExecutionRequest.from_dict(document)
    # The generated model holds the whole request: it writes back the document it read.
    assert body.to_dict() == json.loads(json.dumps(document))
    if entry["endpoint"] == "/direct":
        response = generated.api("sessions.direct_execution").sync_detailed(client=client,
                                                                           body=body)
        assert response.status_code == 200 and entry["expect"] == "YES", response.content
        assert isinstance(response.parsed, session_models(generated)), response.content
        read_session(generated, client, response.parsed.meta.uuid)
        return
    response = generated.api("offers.execution_request").sync_detailed(client=client, body=body)
    assert response.status_code == 200, response.content
    offers = response.parsed
    assert isinstance(offers, generated.models.OfferSetResponse), response.content
    assert isinstance(offers.meta, generated.models.ServiceMetadata)
    assert offers.meta.url == response.headers["location"]
    assert offers.result.value == entry["expect"]
    again = generated.api("offers.offer_set_select").sync(offers.meta.uuid, client=client)
    assert isinstance(again, generated.models.OfferSetResponse)
    assert (again.meta.uuid, again.result) == (offers.meta.uuid, offers.result)
    if entry["expect"] == "NO":
        assert [m for m in offers.meta.messages if m.level.value == "ERROR"]
        return
    assert offers.offers and all(isinstance(o, session_models(generated)) for o in offers.offers)
    assert all(o.phase.value == "OFFERED" and o.meta.options for o in offers.offers)
    update = generated.api("sessions.session_update")
    chosen, *others = offers.offers
    for offer in others:  # rejected first: an accept would withdraw the rest of the set
        rejected = update.sync_detailed(offer.meta.uuid, client=client,
                                        body=phase_update(generated, "REJECTED"))
        assert rejected.status_code == 200, rejected.content
        assert rejected.parsed.phase.value == "REJECTED"
    accepted = update.sync_detailed(chosen.meta.uuid, client=client,
                                    body=phase_update(generated, "ACCEPTED"))
    assert accepted.status_code == 200, accepted.content
    assert isinstance(accepted.parsed, type(chosen))
    assert accepted.parsed.phase.value != "OFFERED"
    session = read_session(generated, client, chosen.meta.uuid)
    assert session.phase.value not in ("OFFERED", "REJECTED", "EXPIRED")
    assert session.executable.to_dict()["kind"] == document["executable"]["kind"]

def test_a_refused_request_is_read_as_an_error_response(generated: Generated,
                                                        client: Any) -> None:
    document = yaml.safe_load((EXAMPLES / CASES[0]["file"]).read_text())
    body = generated.models.ExecutionRequest.from_dict(document)
    body.compute.cores.min_ = "four"
    response = generated.api("offers.execution_request").sync_detailed(client=client, body=body)
    assert response.status_code == 400, response.content
    error = response.parsed
    assert isinstance(error, generated.models.ErrorResponse), response.content
    paths = [message.values["path"] for message in error.messages]
    assert "/compute/cores/min" in paths
