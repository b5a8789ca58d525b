"""Federations of reference brokers as real processes on loopback HTTP: config texts of a
site and of a head, and :class:`Federation`, three sites and a head that fronts them."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "client"))

from eb_processes import QUICK_SIMULATED, BrokerProcess, start_all  # noqa: E402


def site_config(extra: str = "") -> str:
    """A site of one offer per request (so a head's three offers come from three sites)."""
    return "[offers]\ncount = 1\n" + QUICK_SIMULATED + extra


def head_config(name: str, children: list[tuple[str, str]], timeout: float = 10,
                extra: str = "") -> str:
    lines = [extra, "[federation]", f'id = "{name}"']
    for child, url in children:
        lines += ["[[children]]", f'name = "{child}"', f'url = "{url}"',
                  f"timeout = {timeout}"]
    return "\n".join(lines) + "\n"


class Federation:
    """Three sites and a head; ``sites`` by name."""

    def __init__(self, folder: Path) -> None:
        self.sites = {name: BrokerProcess(folder / name, site_config())
                      for name in ("site-a", "site-b", "site-c")}
        children = [(name, site.url) for name, site in self.sites.items()]
        self.head = BrokerProcess(folder / "head", head_config("head", children))

    def start(self) -> Federation:
        start_all(*self.sites.values(), self.head)
        return self

    def stop(self) -> None:
        for broker in (self.head, *self.sites.values()):
            broker.stop()
