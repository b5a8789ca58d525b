"""A Slurm job runs on one node: offers are bounded by the largest usable node."""

from __future__ import annotations

import time
from pathlib import Path

from ivoa_eb_broker.platforms.slurm import Node, SlurmPlatform, SlurmSettings


def platform(nodes: tuple[Node, ...], **settings: object) -> SlurmPlatform:
    made = SlurmPlatform(SlurmSettings.from_mapping({"capacity_cache": 3600, **settings}))
    made._nodes = (time.monotonic(), nodes)  # as sinfo reported them a moment ago
    return made


def test_the_largest_session_is_the_largest_node(tmp_path: Path) -> None:
    nodes = (Node("a", 8, 32 * 1024), Node("b", 16, 16 * 1024))
    made = platform(nodes)
    assert (made.capacity().cores, made.capacity().memory) == (24, 48)
    largest = made.largest()
    assert largest is not None and (largest.cores, largest.memory) == (16, 32)
    bounded = platform(nodes, max_cores=12, max_memory=20).largest()
    assert bounded is not None and (bounded.cores, bounded.memory) == (12, 20)
    assert platform((Node("a", 8, 8192),)).largest() is None  # one node: the capacity
