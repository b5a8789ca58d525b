"""Bounding a request by the largest single session a platform can place (pure).

A platform of many nodes (a Skaha cluster, a Slurm partition) can book more in total than
one session can get, since a session runs on one node. The planner sizes offers by the total
capacity; bounding the request's maxima first keeps every offer placeable.
"""

from __future__ import annotations

from dataclasses import replace

from .planning import PlanRequest


def within(request: PlanRequest, cores: int, memory: int, growth: int) -> PlanRequest:
    """``request`` with its core and memory maxima at most ``cores`` and ``memory`` (GiB).

    An absent maximum stands for the planner's ``growth`` times the minimum. A minimum above
    the bound is left as it is: the platform's check has refused that request already.
    """

    def bounded(low: int, high: int | None, largest: int) -> int | None:
        wanted = high if high is not None else low * growth
        return max(low, min(wanted, largest))

    return replace(
        request,
        cores_max=bounded(request.cores_min, request.cores_max, cores),
        memory_max=bounded(request.memory_min, request.memory_max, memory),
    )
