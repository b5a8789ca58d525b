"""Every case of ``cases/*.yaml`` as a check, run by the scenario interpreter."""

from __future__ import annotations

from collections.abc import Iterator

from ..context import Context
from ..model import Check, Outcome
from ..scenario import Case, Interpreter, load_cases
from . import REGISTRY, register


def _runner(case: Case):  # type: ignore[no-untyped-def]
    def run(ctx: Context) -> Iterator[Outcome]:
        yield from Interpreter(ctx, case).run()

    return run


for _case in load_cases():
    if f"case.{_case.id}" not in REGISTRY:
        register(
            Check(
                f"case.{_case.id}",
                _case.requirements,
                _case.description,
                _runner(_case),
                "scenario",
                _case.cost,
                overlap=_case.overlap,
            )
        )
