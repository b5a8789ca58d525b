"""A head broker with authentication: it asks its sites with its own credentials and keeps
ownership itself, so one user of the head cannot see or change another's federated offers."""

from __future__ import annotations

from pathlib import Path

import httpx
import yaml
from eb_processes import BrokerProcess, start_all
from federation_support import head_config, site_config

REQUEST = (Path(__file__).resolve().parents[2] / "examples" / "01-sqrt-docker.yaml").read_bytes()
YAML = {"Content-Type": "application/yaml"}
ALICE, BOB = ("alice", "alice-pw"), ("bob", "bob-pw")


def _accept(client: httpx.Client, url: str, auth: tuple[str, str]) -> httpx.Response:
    return client.post(url, auth=auth, headers=YAML,
                       content=b"kind: uri:enum-value-update\npath: /phase\nvalue: ACCEPTED\n")


def test_a_head_keeps_ownership_of_its_federated_offers(tmp_path: Path):
    from ivoa_eb_broker.auth.passwords import add_user

    passwords = tmp_path / "passwords"
    for name, password in (ALICE, BOB):
        add_user(passwords, name, password)
    site = BrokerProcess(tmp_path / "site", site_config())
    auth = ('[auth]\nmethods = ["basic"]\n'
            f'[auth.basic]\npassword_file = "{passwords}"\n')
    head = BrokerProcess(tmp_path / "head", head_config("head", [("site", site.url)],
                                                         extra=auth))
    start_all(site, head)
    try:
        with httpx.Client(base_url=head.url, timeout=30) as client:
            assert client.post("/requests", headers=YAML, content=REQUEST).status_code == 401
            made = client.post("/requests", auth=ALICE, headers=YAML, content=REQUEST)
            assert made.status_code == 200, made.text
            assert made.headers["X-VO-Authenticated"] == "alice"
            offers = yaml.safe_load(made.text)
            assert offers["result"] == "YES"
            offerset, offer = offers["meta"]["url"], offers["offers"][0]["meta"]["url"]
            for url in (offerset, offer):
                assert client.get(url, auth=BOB).status_code == 404
                assert client.get(url, auth=ALICE).status_code == 200
            assert _accept(client, offer, BOB).status_code == 404
            accepted = _accept(client, offer, ALICE)
            assert accepted.status_code == 200, accepted.text
            assert yaml.safe_load(accepted.text)["phase"] != "OFFERED"
    finally:
        head.stop()
        site.stop()
