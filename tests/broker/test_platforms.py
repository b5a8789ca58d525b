"""Several platforms in one broker: the config form, routing by kind, merged offers, and each
session kept on (and driven by) the platform that offered it."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from ivoa_eb_broker import config as configuration
from ivoa_eb_broker.cli import main
from ivoa_eb_broker.config import PlatformConfig
from ivoa_eb_broker.http import create_app
from ivoa_eb_broker.platforms import PlatformError
from ivoa_eb_broker.platforms.simulated import SimulatedPlatform, SimulatedSettings
from ivoa_eb_broker.service.fleet import Fleet, Member, route
from starlette.testclient import TestClient

from .conftest import accept, as_yaml, request_document, wait_for_phase

K = "https://www.purl.org/ivoa.net/Calycopis-openapi/schema/v1.0/kinds/"
DOCKER = K + "executable/docker-container.yaml"
SINGULARITY = K + "executable/singularity-container.yaml"
NOTEBOOK = K + "executable/jupyter-notebook.yaml"
SIMPLE_DATA = K + "data/simple-data-resource.yaml"
S3_DATA = K + "data/S3-data-resource.yaml"
RUCIO_DATA = K + "data/rucio-data-resource.yaml"
ALIAS_DOCKER = "https://www.purl.org/ivoa.net/EB/schema/types/executable/docker-container-1.0"
FAST = {"preparing": 0.0, "running": 0.2, "releasing": 0.0}

TWO = f"""
[[platforms]]
name = "containers"
type = "simulated"
kinds = ["{DOCKER}", "{NOTEBOOK}", "{SIMPLE_DATA}"]
[platforms.settings]
cores = 2
memory = 8
preparing = 0.0
running = 0.2
releasing = 0.0

[[platforms]]
name = "batch"
type = "simulated"
kinds = ["{SINGULARITY}", "{NOTEBOOK}", "{SIMPLE_DATA}", "{S3_DATA}"]
[platforms.settings]
cores = 8
memory = 32
preparing = 0.0
running = 0.2
releasing = 0.0
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "broker.toml"
    path.write_text(text)
    return path


# --- config ------------------------------------------------------------------------------


def test_the_single_platform_form_still_works(tmp_path: Path) -> None:
    config = configuration.load(write(tmp_path, '[platform]\nname = "simulated"\n'
                                                 "[platform.simulated]\ncores = 3\n"))
    (only,) = config.platform_configs()
    assert (only.name, only.type, only.kinds) == ("simulated", "simulated", None)
    assert only.settings["cores"] == 3


def test_several_platforms_are_read_in_order(tmp_path: Path) -> None:
    text = TWO.replace(f'"{DOCKER}"', f'"{ALIAS_DOCKER}"')  # an alias is mapped
    config = configuration.load(write(tmp_path, text))
    first, second = config.platform_configs()
    assert first == PlatformConfig("containers", "simulated",
                                   frozenset({DOCKER, NOTEBOOK, SIMPLE_DATA}),
                                   {"cores": 2, "memory": 8, **FAST})
    assert second.name == "batch" and second.settings["cores"] == 8
    assert S3_DATA in (second.kinds or ())


def test_type_defaults_to_the_name_and_kinds_to_the_platforms_own(tmp_path: Path) -> None:
    config = configuration.load(write(tmp_path, '[[platforms]]\nname = "simulated"\n'))
    (only,) = config.platform_configs()
    assert (only.name, only.type, only.kinds, dict(only.settings)) == (
        "simulated", "simulated", None, {})


def test_platform_option_picks_one_of_several(tmp_path: Path) -> None:
    config = configuration.load(write(tmp_path, TWO), platform="batch")
    assert [p.name for p in config.platform_configs()] == ["batch"]


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('[[platforms]]\nname = "a"\ntype = "simulated"\ncolour = 1\n',
         "[[platforms]] #1 colour: unknown setting"),
        ('[[platforms]]\ntype = "simulated"\n', "[[platforms]] #1 name"),
        ('[[platforms]]\nname = "a b"\ntype = "simulated"\n', "[[platforms]] #1 name"),
        ('[[platforms]]\nname = "a"\ntype = "simulated"\n'
         '[[platforms]]\nname = "a"\ntype = "simulated"\n',
         "[[platforms]] #2 (a) name: 'a' is used by another platform"),
        ('[[platforms]]\nname = "a"\ntype = "mainframe"\n',
         "[[platforms]] #1 (a) type: unknown platform 'mainframe'"),
        ('[[platforms]]\nname = "a"\ntype = "simulated"\nkinds = "docker"\n',
         "[[platforms]] #1 (a) kinds: expected a non-empty list"),
        ('[[platforms]]\nname = "a"\ntype = "simulated"\nkinds = ["https://example.org/k"]\n',
         "[[platforms]] #1 (a) kinds: 'https://example.org/k' is not a kind URI"),
        ('[[platforms]]\nname = "a"\ntype = "simulated"\nkinds = ["uri:enum-value-option"]\n',
         "[[platforms]] #1 (a) kinds: 'uri:enum-value-option' is a option kind"),
        ('[[platforms]]\nname = "a"\ntype = "simulated"\nsettings = 3\n',
         "[[platforms]] #1 (a) settings: expected a table"),
        ('[platforms]\nname = "a"\n', "[[platforms]]: expected an array of tables"),
        ('[platform]\nname = "simulated"\n[[platforms]]\nname = "simulated"\n',
         "[platform]: give either [platform] (one platform) or [[platforms]]"),
    ],
)
def test_bad_platform_tables_name_the_key(tmp_path: Path, text: str, named: str) -> None:
    with pytest.raises(configuration.ConfigError) as raised:
        configuration.load(write(tmp_path, text))
    assert named in str(raised.value)


def test_bad_settings_of_one_platform_name_it(tmp_path: Path) -> None:
    path = write(tmp_path, '[[platforms]]\nname = "a"\ntype = "simulated"\n'
                           "[platforms.settings]\ncoress = 3\n")
    config = configuration.load(path)
    with pytest.raises(ValueError, match=r"\[\[platforms\]\] a settings: .*coress"):
        create_app(replace(config, database_url=f"sqlite:///{tmp_path / 'x.db'}"))
    result = CliRunner().invoke(main, ["serve", "--config", str(path), "--database",
                                       f"sqlite:///{tmp_path / 'y.db'}"])
    assert result.exit_code != 0 and "coress" in result.output


def test_serve_help_mentions_several_platforms() -> None:
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    assert "[[platforms]]" in result.output


# --- routing -----------------------------------------------------------------------------


def simulated(**settings: Any) -> SimulatedPlatform:
    return SimulatedPlatform(SimulatedSettings.from_mapping({**FAST, **settings}))


def test_a_kind_only_one_platform_supports_goes_to_it() -> None:
    fleet = Fleet([
        Member("slurm", simulated(kinds=[SINGULARITY, DOCKER]), frozenset({SINGULARITY})),
        Member("docker", simulated(kinds=[DOCKER])),
    ])
    docker = request_document()
    assert [m.name for m in route(fleet, docker)[0]] == ["docker"]
    singularity = {**docker, "executable": {"kind": SINGULARITY, "location": "https://x.org/a"}}
    assert [m.name for m in route(fleet, singularity)[0]] == ["slurm"]
    assert fleet.executable_kinds() == {DOCKER, SINGULARITY}


def test_a_kind_no_platform_supports_is_named_with_its_path() -> None:
    fleet = Fleet([Member("a", simulated(), frozenset({DOCKER, SIMPLE_DATA}))])
    request = request_document(data=[{"kind": S3_DATA, "meta": {"name": "d"}}])
    candidates, messages = route(fleet, request)
    assert candidates == []
    assert [(m["values"]["path"], m["values"]["kind"]) for m in messages] == [
        ("/data/0/kind", S3_DATA)]
    assert "No platform of this broker supports the data kind" in messages[0]["message"]


# --- through HTTP: two simulated platforms with different kinds and capacities ----------


@pytest.fixture
def two(tmp_path: Path) -> Any:
    config = configuration.load(write(tmp_path, TWO + "[scheduler]\ninterval = 0.05\n"),
                                database_url=f"sqlite:///{tmp_path / 'broker.sqlite'}")
    with TestClient(create_app(config)) as client:
        yield client


def offered(client: TestClient, document: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/requests", content=as_yaml(document))
    assert response.status_code == 200, response.text
    return yaml.safe_load(response.text)


def platform_of(offer: dict[str, Any]) -> str:
    for message in offer["meta"].get("messages", []):
        if message["template"] == "Offered on platform {platform}":
            return str(message["values"]["platform"])
    raise AssertionError(f"no platform named in {offer['meta']}")


def test_a_docker_request_runs_on_the_docker_platform(two: TestClient) -> None:
    answer = offered(two, request_document(cores=1))
    assert answer["result"] == "YES"
    assert {platform_of(o) for o in answer["offers"]} == {"containers"}
    uuid = answer["offers"][0]["meta"]["uuid"]
    two.post(f"/sessions/{uuid}", content=accept())
    done = wait_for_phase(two, f"/sessions/{uuid}", {"COMPLETED", "FAILED"})
    assert done["phase"] == "COMPLETED"
    assert any(m["message"].startswith("Started on platform containers as sim:")
               for m in done["meta"]["messages"])
    platforms = two.app.state.platforms
    assert ("start", uuid) in platforms["containers"].calls
    assert all(uuid != call[1] for call in platforms["batch"].calls)
    assert two.app.state.broker.row(uuid)["platform"] == "containers"
    assert two.app.state.broker.booking(uuid)["platform"] == "containers"


def test_each_platform_has_its_own_capacity(two: TestClient) -> None:
    # Only "containers" runs docker, and it has 2 cores: 4 are refused, naming it.
    answer = offered(two, request_document(cores=4))
    assert answer["result"] == "NO"
    paths = {m["values"]["path"] for m in answer["meta"]["messages"]}
    assert "/compute/cores/min" in paths
    assert any("containers" in m["message"] for m in answer["meta"]["messages"])
    # "batch" has 8 cores for a singularity container.
    singularity = request_document(cores=6)
    singularity["executable"] = {"kind": SINGULARITY, "location": "https://x.org/tool.sif"}
    answer = offered(two, singularity)
    assert answer["result"] == "YES"
    assert {platform_of(o) for o in answer["offers"]} == {"batch"}
    assert {o["compute"]["cores"]["min"] for o in answer["offers"]} == {6}


def test_offers_of_several_platforms_are_merged(two: TestClient) -> None:
    notebook = request_document()
    notebook["executable"] = {"kind": NOTEBOOK, "location": "https://x.org/a.ipynb"}
    answer = offered(two, notebook)
    assert answer["result"] == "YES"
    names = [platform_of(o) for o in answer["offers"]]
    assert len(names) == 3  # the configured offer count, over both platforms
    assert names[:2] == ["containers", "batch"]
    # Accepting one rejects its siblings on the other platform too, and frees their holds.
    chosen = next(o for o in answer["offers"] if platform_of(o) == "batch")
    two.post(chosen["meta"]["url"], content=accept())
    for offer in answer["offers"]:
        if offer is not chosen:
            assert wait_for_phase(two, offer["meta"]["url"], {"REJECTED"})
            assert two.app.state.broker.booking(offer["meta"]["uuid"])["state"] == "REJECTED"
    done = wait_for_phase(two, chosen["meta"]["url"], {"COMPLETED", "FAILED"})
    assert done["phase"] == "COMPLETED"
    assert ("start", chosen["meta"]["uuid"]) in two.app.state.platforms["batch"].calls


def test_kinds_no_one_platform_supports_together_get_no(two: TestClient) -> None:
    document = request_document(data=[{"kind": S3_DATA, "meta": {"name": "d"},
                                       "bucket": "b", "object": "o",
                                       "endpoint": "https://s3.example.org"}])
    answer = offered(two, document)
    assert answer["result"] == "NO", answer
    texts = [m["message"] for m in answer["meta"]["messages"]]
    assert "No one platform of this broker supports every kind in this request" in texts
    assert any("Platform containers does not support the data kind" in t for t in texts)
    assert any("Platform batch does not support the executable kind" in t for t in texts)
    rucio = request_document(data=[{"kind": RUCIO_DATA, "meta": {"name": "d"}}])
    answer = offered(two, rucio)
    assert answer["result"] == "NO"
    found = [m for m in answer["meta"]["messages"] if m["values"].get("kind") == RUCIO_DATA]
    assert found and found[0]["values"]["path"] == "/data/0/kind", answer["meta"]


def test_cancel_reaches_the_platform_that_runs_the_session(tmp_path: Path) -> None:
    text = TWO.replace("running = 0.2\nreleasing = 0.0\n\n[[platforms]]",
                       "running = 30\nreleasing = 0.0\n\n[[platforms]]")
    config = configuration.load(write(tmp_path, text + "[scheduler]\ninterval = 0.05\n"),
                                database_url=f"sqlite:///{tmp_path / 'broker.sqlite'}")
    with TestClient(create_app(config)) as client:
        uuid = offered(client, request_document())["offers"][0]["meta"]["uuid"]
        client.post(f"/sessions/{uuid}", content=accept())
        wait_for_phase(client, f"/sessions/{uuid}", {"RUNNING"})
        client.post(f"/sessions/{uuid}", content=accept("CANCELLED"))
        platforms = client.app.state.platforms
        deadline = time.monotonic() + 5
        while ("release", uuid) not in platforms["containers"].calls \
                and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ("cancel", uuid) in platforms["containers"].calls
        assert all(uuid != call[1] for call in platforms["batch"].calls)


def test_a_restart_resumes_each_session_on_its_platform(tmp_path: Path) -> None:
    text = TWO.replace("cores = 8\nmemory = 32\npreparing = 0.0\nrunning = 0.2",
                       "cores = 8\nmemory = 32\npreparing = 0.0\nrunning = 1.0")
    config = configuration.load(write(tmp_path, text + "[scheduler]\ninterval = 0.05\n"),
                                database_url=f"sqlite:///{tmp_path / 'broker.sqlite'}")
    singularity = request_document()
    singularity["executable"] = {"kind": SINGULARITY, "location": "https://x.org/tool.sif"}
    with TestClient(create_app(config)) as client:
        uuid = offered(client, singularity)["offers"][0]["meta"]["uuid"]
        client.post(f"/sessions/{uuid}", content=accept())
        wait_for_phase(client, f"/sessions/{uuid}", {"RUNNING"})
    # A new broker process on the same database: the session goes on, on "batch".
    with TestClient(create_app(config)) as client:
        done = wait_for_phase(client, f"/sessions/{uuid}", {"COMPLETED", "FAILED"})
        assert done["phase"] == "COMPLETED", done["meta"]["messages"]
        platforms = client.app.state.platforms
        assert ("poll", uuid) in platforms["batch"].calls or \
            ("release", uuid) in platforms["batch"].calls
        assert all(uuid != call[1] for call in platforms["containers"].calls)


def test_a_session_of_a_platform_no_longer_configured_fails_clearly(tmp_path: Path) -> None:
    config = configuration.load(write(tmp_path, TWO + "[scheduler]\ninterval = 0.05\n"),
                                database_url=f"sqlite:///{tmp_path / 'broker.sqlite'}")
    with TestClient(create_app(config, run_scheduler=False)) as client:
        uuid = offered(client, request_document())["offers"][0]["meta"]["uuid"]
        client.post(f"/sessions/{uuid}", content=accept())
    only_batch = replace(config, platforms=config.platforms[1:])
    with TestClient(create_app(only_batch)) as client:
        done = wait_for_phase(client, f"/sessions/{uuid}", {"FAILED", "COMPLETED"})
    assert done["phase"] == "FAILED"
    assert any("platform 'containers' is not configured" in m["message"]
               for m in done["meta"]["messages"])


# --- the accept-time hook ----------------------------------------------------------------


class Holding(SimulatedPlatform):
    """A simulated platform that records holds, and refuses them when told to."""

    def __init__(self, refuse: bool = False) -> None:
        super().__init__(SimulatedSettings.from_mapping({**FAST, "running": 0.2}))
        self.refuse = refuse
        self.held: list[tuple[str, int, int]] = []

    async def hold(self, job: Any) -> None:
        if self.refuse:
            raise PlatformError("no room in the queue")
        self.held.append((job.uuid, job.cores, job.memory))


def test_an_accepted_offer_is_held_on_its_platform_at_once(tmp_path: Path) -> None:
    platform = Holding()
    config = configuration.load(None, database_url=f"sqlite:///{tmp_path / 'b.sqlite'}")
    with TestClient(create_app(config, platform=platform, run_scheduler=False)) as client:
        offer = offered(client, request_document(cores=2, memory=3))["offers"][0]
        assert platform.held == []  # an offer holds nothing on the platform
        client.post(offer["meta"]["url"], content=accept())
        assert platform.held == [(offer["meta"]["uuid"], 2, 3)]


def test_a_refused_hold_fails_the_session_with_the_reason(tmp_path: Path) -> None:
    platform = Holding(refuse=True)
    config = configuration.load(None, database_url=f"sqlite:///{tmp_path / 'b.sqlite'}")
    with TestClient(create_app(config, platform=platform)) as client:
        offer = offered(client, request_document())["offers"][0]
        response = client.post(offer["meta"]["url"], content=accept())
        assert response.status_code == 200, response.text
        answer = yaml.safe_load(response.text)
        assert answer["phase"] == "FAILED"
        assert any("could not hold the accepted slot: no room in the queue" in m["message"]
                   for m in answer["meta"]["messages"])
        assert client.app.state.broker.booking(offer["meta"]["uuid"])["state"] == "RELEASED"
        assert ("release", offer["meta"]["uuid"]) in platform.calls


# --- migration 0003 ----------------------------------------------------------------------


def test_rows_from_before_0003_belong_to_the_first_platform(tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config as AlembicConfig
    from ivoa_eb_broker.store import migrate, open_engine
    from ivoa_eb_broker.store.db import MIGRATIONS
    from sqlalchemy import text

    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = open_engine(url)
    alembic = AlembicConfig()
    alembic.set_main_option("script_location", str(MIGRATIONS))
    with engine.connect() as connection:
        alembic.attributes["connection"] = connection
        command.upgrade(alembic, "0002")
        connection.commit()
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO offersets VALUES ('o', '2030-01-01 00:00:00', 'YES', "
            "'application/yaml', '', '{}', '{}')"))
        connection.execute(text(
            "INSERT INTO sessions (uuid, offerset, position, phase, created, modified, "
            "version, document) VALUES ('s', 'o', 0, 'OFFERED', '2030-01-01 00:00:00', "
            "'2030-01-01 00:00:00', 1, '{}')"))
    migrate(engine)
    config = configuration.load(write(tmp_path, TWO), database_url=url)
    app = create_app(config, engine=engine, run_scheduler=False)
    broker = app.state.broker
    row = broker.row("s")
    assert row["platform"] is None
    assert broker.member(row).name == "containers"
