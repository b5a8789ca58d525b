"""The schemathesis layer as one check, scaled to its share of the time budget (and to what
remains of it)."""

from __future__ import annotations

from collections.abc import Iterator

from .. import probe
from ..context import Context, failed, not_applicable, passed, skipped
from ..fuzz import CHECKS, OPERATIONS, findings_by_requirement, run_schemathesis
from ..model import Outcome
from . import check

#: Seconds kept back for the run-wide checks after this one.
RESERVE = 5.0
#: The layer's share of the time budget (20 s of the default 100 s, as much as it had when the
#: waiting checks ran one after another and left it the rest), and its ceiling: more
#: examples find little more on a small API.
SHARE = 0.2
CEILING = 60.0


@check(
    "schemathesis",
    sorted(set(OPERATIONS.values()) | set(CHECKS.values())),
    "Generated requests (examples, coverage, fuzzing, stateful via links): schema, "
    "status codes, content "
    "types, negative data, no server errors, ExecutionBroker rules",
    layer="schemathesis",
    cost=20.0,
)
def schemathesis_layer(ctx: Context) -> Iterator[Outcome]:
    if not ctx.options.schemathesis:
        yield skipped("the schemathesis layer was turned off (--no-schemathesis)")
        return
    seconds = min(CEILING, SHARE * ctx.options.time_budget, ctx.remaining() - RESERVE)
    if seconds < 5:
        yield skipped(f"only {ctx.remaining():.0f} s of the time budget remain")
        return
    direct = ctx.client.post("direct", probe.document("baseline"))
    skip_paths = ("/direct",) if direct.status in (404, 405, 501) else ()
    if direct.status == 200:
        target = probe.get(direct.try_document(), "meta", "url")
        if isinstance(target, str) and ctx.client.same_origin(target):
            ctx.client.post(target, probe.phase_update("CANCELLED"))
    result = run_schemathesis(
        ctx.options.url,
        headers=ctx.options.headers,
        seconds=seconds,
        max_examples=max(5, min(50, int(seconds / 2))),
        skip_paths=skip_paths,
    )
    if result.errors:
        unreached = sorted(set(OPERATIONS.values()) - result.requirements_exercised - {"SVC-10"})
        if unreached:
            yield skipped(
                "schemathesis could not exercise these operations: " + "; ".join(result.errors[:3]),
                requirements=tuple(unreached),
            )
    if result.cases == 0:
        yield skipped("schemathesis generated no case: " + "; ".join(result.errors[:3]))
        return
    failing = dict(findings_by_requirement(result))
    for requirement, findings in failing.items():
        for finding in findings[:5]:
            evidence = (finding.evidence,) if finding.evidence else ()
            yield failed(
                f"{finding.operation}: {finding.check}: {finding.title}: {finding.message}",
                *evidence,
                requirements=(requirement,),
            )
    for requirement in sorted(result.requirements_exercised - set(failing)):
        note = ""
        if requirement == "ERR-06" and result.aliases_accepted:
            note = (
                f"; {result.aliases_accepted} negative case(s) whose only fault was an older "
                "kind spelling were accepted, which KIND-02 allows"
            )
        yield passed(
            f"{result.cases} generated case(s) in {', '.join(result.phases)}{note}",
            requirements=(requirement,),
        )
    if skip_paths:
        yield not_applicable(
            "POST /direct is not offered (direct profile not claimed)", requirements=("SVC-10",)
        )
