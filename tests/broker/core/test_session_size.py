"""Bounding a request by the largest session a platform can place."""

from ivoa_eb_broker.core.planning import PlanRequest
from ivoa_eb_broker.core.session_size import within


def test_maxima_are_bounded_and_minima_kept() -> None:
    fitted = within(PlanRequest(cores_min=1, cores_max=8, memory_min=2, memory_max=64), 4, 16, 2)
    assert (fitted.cores_max, fitted.memory_max) == (4, 16)
    absent = within(PlanRequest(cores_min=3, memory_min=10), 4, 16, 2)
    assert (absent.cores_max, absent.memory_max) == (4, 16)  # growth 2 × min, bounded
    small = within(PlanRequest(cores_min=1, memory_min=1), 4, 16, 2)
    assert (small.cores_max, small.memory_max) == (2, 2)
    above = within(PlanRequest(cores_min=6, cores_max=8), 4, 16, 2)
    assert above.cores_max == 6 and above.cores_min == 6
