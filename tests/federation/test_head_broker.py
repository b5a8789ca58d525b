"""A head broker fronting three site brokers, each a real process, used through the client."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from federation_support import Federation
from ivoa_eb_client import BrokerError, Client, Offer

SQRT = Path(__file__).resolve().parents[2] / "examples" / "01-sqrt-docker.yaml"


def site_of(offer: Offer) -> tuple[str, str]:
    """The site that made a head's offer, and the offer's URL at that site."""
    for message in offer.messages:
        if message.template == "Offered by site {site} as {target}":
            return message.values["site"], message.values["target"]
    raise AssertionError(f"no site named in {offer.messages}")


def test_offers_from_several_sites_under_the_heads_urls(federation: Federation) -> None:
    with Client(federation.head.url) as head, Client(federation.head.url) as sites:
        offers = head.request(SQRT)
        assert offers.result == "YES"
        assert {site_of(o)[0] for o in offers.offers} == {"site-a", "site-b", "site-c"}
        for offer in offers.offers:
            assert offer.url.startswith(federation.head.url + "/sessions/")
            assert offer.phase == "OFFERED"
            there = sites.session(site_of(offer)[1])
            assert there.uuid != offer.uuid
            # The head never promises longer than the site.
            assert offer.expires is not None and there.expires is not None
            assert offer.expires <= there.expires


def test_accept_runs_at_the_site_and_siblings_end_rejected_at_theirs(
        federation: Federation) -> None:
    with Client(federation.head.url) as client:
        offers = client.request(SQRT)
        chosen = offers.offers[1]
        session = chosen.accept().wait(timeout=60, poll=0.2)
        assert session.phase == "COMPLETED"
        again = client.offer_set(offers.uuid)
        assert [o.phase for o in again.offers] == ["REJECTED", "COMPLETED", "REJECTED"]
        # At the sites themselves, through the URLs the head names.
        for offer in offers.offers:
            expected = "COMPLETED" if offer.uuid == chosen.uuid else "REJECTED"
            assert client.session(site_of(offer)[1]).phase == expected


def test_cancel_is_forwarded(federation: Federation) -> None:
    long = yaml.safe_load(SQRT.read_text())
    later = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    long["schedule"] = {"requested": {"start": later, "duration": "PT1H"}}
    with Client(federation.head.url) as client:
        session = client.direct(long)
        assert session.phase in ("ACCEPTED", "WAITING")
        session.cancel()
        assert session.phase == "CANCELLED"
        at_site = [m.values["target"] for m in session.messages if "target" in m.values]
        assert client.session(at_site[0]).phase == "CANCELLED"


def test_no_when_every_site_says_no_with_reasons_by_site(federation: Federation) -> None:
    huge = yaml.safe_load(SQRT.read_text())
    huge["compute"]["cores"] = {"min": 100000, "max": 100000}
    with Client(federation.head.url) as client:
        offers = client.request(huge)
    assert offers.result == "NO" and offers.offers == []
    errors = [m for m in offers.messages if m.level == "ERROR"]
    assert {m.values["site"] for m in errors} == {"site-a", "site-b", "site-c"}
    assert all(m.message.startswith("Site ") and m.values["path"] for m in errors)


def test_a_refused_update_keeps_the_sites_status(federation: Federation) -> None:
    with Client(federation.head.url) as client:
        offer = client.request(SQRT).offers[0]
        offer.reject()
        with pytest.raises(BrokerError) as refused:
            offer.accept()
    assert refused.value.status == 409


def test_an_invalid_request_is_refused_at_the_head(federation: Federation) -> None:
    bad: dict[str, Any] = copy.deepcopy(yaml.safe_load(SQRT.read_text()))
    bad["compute"]["cores"]["min"] = "many"
    with Client(federation.head.url) as client, pytest.raises(BrokerError) as refused:
        client.request(bad)
    assert refused.value.status == 400
    assert [m.values["path"] for m in refused.value.messages] == ["/compute/cores/min"]


def test_the_head_lists_the_sessions_it_issued_and_waits_on_them(
        federation: Federation) -> None:
    with Client(federation.head.url) as client:
        offers = client.request(SQRT).offers
        created = offers[0].created
        assert created is not None
        after = created - timedelta(seconds=1)
        listed = {s.uuid: s for s in client.sessions(after=after, limit=2)}
        assert {o.uuid for o in offers} <= set(listed)
        targets = {site_of(o)[1].rsplit("/", 1)[1] for o in offers}
        assert not targets & set(listed)  # the sites' own sessions are not the head's
        assert all(s.url.startswith(federation.head.url) for s in listed.values())
        session = offers[0].accept()
        rejected = list(client.sessions(phase="REJECTED", after=after))
        assert all(s.phase == "REJECTED" for s in rejected)
        assert {o.uuid for o in offers[1:]} <= {s.uuid for s in rejected}
        assert offers[0].uuid not in {s.uuid for s in rejected}
        session.wait(timeout=60, poll=5)
        assert session.phase == "COMPLETED" and client.blocking is True
