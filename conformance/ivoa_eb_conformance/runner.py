"""Runs selected checks against a broker and turns their outcomes into verdicts."""

from __future__ import annotations

import fnmatch
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from . import codec
from .context import Context, Options
from .http import BrokerUnreachable, ForeignOriginError
from .model import Check, Evidence, Outcome, Requirement, Status, Verdict, level_rank
from .verdicts import aggregate, failing
from .versions import Versions, current, incompatibility

#: Exit status of a run that judged nothing: the broker claims another version of the standard.
REFUSED = 3

Progress = Callable[[Check, list[Outcome]], None]


class BrokerProtocolError(RuntimeError):
    """An answer too broken to continue a check (the check fails with this message)."""

    def __init__(self, message: str, *evidence: Evidence) -> None:
        super().__init__(message)
        self.evidence = evidence


@dataclass
class RunResult:
    url: str
    options: Options
    started: datetime
    finished: datetime
    checks: list[Check]
    outcomes: list[Outcome]
    verdicts: list[Verdict]
    suite_errors: list[str] = field(default_factory=list)
    #: The suite's version, the standard's it judged against, and what the broker claims.
    versions: Versions | None = None
    #: Why no check was run (the broker claims another major version), or None.
    refused: str | None = None
    #: Wall seconds each check took (checks marked ``overlap`` ran alongside the others).
    seconds: dict[str, float] = field(default_factory=dict)

    def failures(self) -> list[Verdict]:
        return failing(self.verdicts, level_rank(self.options.level.upper()))

    @property
    def exit_code(self) -> int:
        if self.refused:
            return REFUSED
        return 1 if self.failures() else 0

    def counts(self) -> dict[str, int]:
        counts = {str(s): 0 for s in Status}
        for verdict in self.verdicts:
            counts[str(verdict.status)] += 1
        return counts


def _matches(check: Check, patterns: Iterable[str]) -> bool:
    names = (check.id, check.layer, *check.requirements)
    return any(fnmatch.fnmatchcase(name, p) for p in patterns for name in names)


def _in_force(patterns: Sequence[str]) -> list[str]:
    """``patterns`` with each retired requirement id replaced by the ids that replaced it, so
    that a CI job written before a merge selects the same checks (a retired id matches none)."""
    from ivoa_eb_spec.requirements import current_ids

    return [name for p in patterns for name in (current_ids(p) or (p,))]


def select(checks: Sequence[Check], chosen: Sequence[str], dropped: Sequence[str]) -> list[Check]:
    """Checks whose id, layer or a requirement id matches a ``chosen`` glob, minus ``dropped``
    (a retired requirement id stands for its successors)."""
    chosen, dropped = _in_force(chosen), _in_force(dropped)
    kept = [c for c in checks if not chosen or _matches(c, chosen)]
    return [c for c in kept if not _matches(c, dropped)]


def _complete(check: Check, outcome: Outcome) -> Outcome:
    requirements = outcome.requirements or check.requirements
    stray = set(requirements) - set(check.requirements)
    if stray:
        raise ValueError(f"check {check.id} reported on {sorted(stray)}, which it does not declare")
    return Outcome(check.id, requirements, outcome.status, outcome.message, outcome.evidence)


def run_check(check: Check, ctx: Context) -> tuple[list[Outcome], str | None]:
    """Run one check; returns its outcomes and, if the suite itself broke, a description."""
    if ctx.remaining() <= 0:
        return [
            Outcome(check.id, check.requirements, Status.SKIPPED, "time budget exhausted")
        ], None
    try:
        outcomes = [_complete(check, o) for o in check.run(ctx)]
    except BrokerUnreachable as error:
        return [
            Outcome(
                check.id,
                check.requirements,
                Status.FAIL,
                f"broker did not answer: {error}",
                (error.evidence,),
            )
        ], None
    except ForeignOriginError as error:
        return [Outcome(check.id, check.requirements, Status.FAIL, str(error))], None
    except (BrokerProtocolError, codec.DecodeError) as error:
        evidence = getattr(error, "evidence", ()) or tuple(ctx.client.log[-1:])
        return [Outcome(check.id, check.requirements, Status.FAIL, str(error), evidence)], None
    except Exception as error:  # a defect of the suite: never blame the broker for it
        detail = "".join(traceback.format_exception(error)[-3:]).strip()
        return [
            Outcome(
                check.id,
                check.requirements,
                Status.SKIPPED,
                f"suite error ({type(error).__name__}: {error})",
            )
        ], f"{check.id}: {detail}"
    if not outcomes:
        outcomes = [
            Outcome(check.id, check.requirements, Status.SKIPPED, "the check reported nothing")
        ]
    return outcomes, None


#: What running one check gave: its outcomes, a suite error or None, and its wall seconds.
Ran = tuple[list[Outcome], str | None, float]


def _timed(check: Check, ctx: Context) -> Ran:
    began = time.monotonic()
    outcomes, error = run_check(check, ctx)
    return outcomes, error, time.monotonic() - began


def _run_all(checks: list[Check], ctx: Context, progress: Progress | None) -> list[Ran]:
    """Run ``checks``: those marked ``overlap`` (they mostly wait, on offers of their own)
    start at once, each in a thread with a branch of the context, while the others run one
    after another. A check that must not run alongside them (``sees_all``, ``reads_all``, the
    schemathesis layer: see :attr:`Check.waits_for_overlapping`) is put off: it runs, in
    order with the other put-off checks, once every overlapping check and every check not put
    off has ended, so a ``sees_all`` check still sees every answer of the checks before it.
    With ``options.serial`` everything runs in order. Results come back in the checks' order."""
    done: dict[int, Ran] = {}
    waiting: dict[int, tuple[Context, Future[Ran]]] = {}
    background = [] if ctx.options.serial else [i for i, c in enumerate(checks) if c.overlap]
    pool = ThreadPoolExecutor(len(background) or 1, "eb-overlap")

    def collect(block: bool) -> None:
        for index, (branch, future) in list(waiting.items()):
            if block or future.done():
                done[index] = future.result()
                ctx.adopt(branch)
                del waiting[index]
                if progress:
                    progress(checks[index], done[index][0])

    def run_here(index: int) -> None:
        if checks[index].layer == "schemathesis":
            ctx.release_offers()
        done[index] = _timed(checks[index], ctx)
        if progress:
            progress(checks[index], done[index][0])

    try:
        for index in background:
            branch = ctx.branch()
            waiting[index] = (branch, pool.submit(_timed, checks[index], branch))
        put_off = [i for i in range(len(checks)) if i not in waiting and background
                   and checks[i].waits_for_overlapping]
        for index in range(len(checks)):
            if index not in waiting and index not in put_off:
                run_here(index)
                collect(block=False)
        collect(block=True)
        for index in put_off:
            run_here(index)
    finally:
        pool.shutdown(wait=True)  # after an error above: the branches end, then close
        for branch, _ in waiting.values():
            branch.client.close()
    return [done[index] for index in range(len(checks))]


def run(
    options: Options,
    checks: Sequence[Check],
    requirements: Sequence[Requirement],
    *,
    context: Context | None = None,
    progress: Progress | None = None,
) -> RunResult:
    ctx = context or Context(options)
    started = datetime.now(UTC)
    outcomes: list[Outcome] = []
    errors: list[str] = []
    versions = current(ctx.client)
    refused = None if options.ignore_version else incompatibility(versions)
    if refused:
        if context is None:
            ctx.client.close()
        verdicts = aggregate(requirements, [])
        return RunResult(
            options.url,
            options,
            started,
            datetime.now(UTC),
            list(checks),
            [],
            verdicts,
            versions=versions,
            refused=refused,
        )
    try:
        ran = _run_all(list(checks), ctx, progress)
    finally:
        ctx.release_offers()
        if context is None:
            ctx.client.close()
    seconds: dict[str, float] = {}
    for item, (found, error, took) in zip(checks, ran, strict=True):  # in the checks' order
        outcomes.extend(found)
        seconds[item.id] = round(took, 2)
        if error:
            errors.append(error)
    verdicts = aggregate(requirements, outcomes)
    return RunResult(
        options.url,
        options,
        started,
        datetime.now(UTC),
        list(checks),
        outcomes,
        verdicts,
        errors,
        versions=versions,
        seconds=seconds,
    )
