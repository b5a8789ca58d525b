"""Run-wide checks: they judge every answer the other checks provoked, so they run last."""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Iterator
from typing import Any

from .. import probe, semantics, spec
from ..context import Context, failed, judge, passed, skipped
from ..http import Answer
from ..model import Outcome
from . import check

PHASES = frozenset(
    {
        "INITIAL",
        "OFFERED",
        "ACCEPTED",
        "REJECTED",
        "EXPIRED",
        "WAITING",
        "PREPARING",
        "AVAILABLE",
        "RUNNING",
        "RELEASING",
        "COMPLETED",
        "FAILED",
        "CANCELLED",
    }
)


def _documents(ctx: Context) -> Iterator[tuple[Answer, Any]]:
    for answer in list(ctx.client.answers):
        if answer.status == 200 and answer.evidence.method in ("GET", "POST"):
            doc = answer.try_document()
            if isinstance(doc, dict):
                yield answer, doc


def offer_sets(ctx: Context) -> Iterator[tuple[Answer, dict[str, Any]]]:
    for answer, doc in _documents(ctx):
        if "result" in doc or "offers" in doc:
            yield answer, doc


def sessions(ctx: Context) -> Iterator[tuple[Answer, dict[str, Any]]]:
    for answer, doc in _documents(ctx):
        if "result" in doc or "offers" in doc:
            for offer in probe.offers(doc):
                yield answer, offer
        elif "phase" in doc:
            yield answer, doc


@check(
    "obs.answer-schemas",
    ["SVC-01", "SVC-03"],
    "Every offer set and session answered is valid against its schema",
    layer="observe",
    sees_all=True,
)
def answer_schemas(ctx: Context) -> Iterator[Outcome]:
    count = 0
    for answer, doc in _documents(ctx):
        which = (
            "offer-set"
            if ("result" in doc or "offers" in doc)
            else "session"
            if "phase" in doc
            else None
        )
        if which is None:
            continue
        count += 1
        problems = spec.schema_errors(doc, which)
        if problems:
            yield failed(
                "; ".join(problems[:3]),
                answer.evidence,
                requirements=("SVC-01",) if which == "offer-set" else ("SVC-03",),
            )
    if count:
        yield passed(f"{count} answer(s) validated")
    else:
        yield skipped("no offer set or session was answered during the run")


@check(
    "obs.results",
    ["OFF-03", "OFF-01", "OFF-02", "OFF-04"],
    "Every offer set states YES or NO, consistent with its offers",
    layer="observe",
    sees_all=True,
)
def results(ctx: Context) -> Iterator[Outcome]:
    seen = 0
    for answer, doc in offer_sets(ctx):
        seen += 1
        result = doc.get("result")
        if result not in ("YES", "NO"):
            yield failed(f"result is {result!r}", answer.evidence, requirements=("OFF-03",))
            continue
        problems = semantics.result_problems(doc)
        if result == "YES":
            yield judge(
                [p for p in problems if "no offers" in p],
                "YES with offers",
                answer.evidence,
                requirements=("OFF-01",),
            )
        else:
            yield judge(
                [p for p in problems if "offer(s)" in p],
                "NO without offers",
                answer.evidence,
                requirements=("OFF-04",),
            )
            yield judge(
                [p for p in problems if "message" in p],
                "NO with reasons",
                answer.evidence,
                requirements=("OFF-02",),
            )
    if seen:
        yield passed(f"{seen} offer set(s) state their result", requirements=("OFF-03",))
    else:
        yield skipped("no offer set was answered during the run")


@check(
    "obs.unique-uuids",
    ["SVC-05"],
    "Uuids parse as UUIDs and never name two components",
    layer="observe",
    sees_all=True,
)
def unique_uuids(ctx: Context) -> Iterator[Outcome]:
    owner: dict[str, tuple[str, ...]] = {}
    problems: list[str] = []
    evidence = []
    for answer, doc in offer_sets(ctx):
        set_uuid = str(probe.get(doc, "meta", "uuid"))
        items = [(("set", set_uuid), doc)] + [
            (("offer", set_uuid, str(i)), o) for i, o in enumerate(probe.offers(doc))
        ]
        for identity, item in items:
            value = probe.get(item, "meta", "uuid")
            if not isinstance(value, str):
                continue
            try:
                uuidlib.UUID(value)
            except ValueError:
                problems.append(f"{value!r} is not a UUID")
                evidence.append(answer.evidence)
                continue
            if owner.setdefault(value, identity) != identity:
                problems.append(f"uuid {value} names both {owner[value]} and {identity}")
                evidence.append(answer.evidence)
    if not owner:
        yield skipped("no offer set was answered during the run")
        return
    yield judge(sorted(set(problems))[:5], f"{len(owner)} distinct uuids seen", *evidence[:3])


@check(
    "obs.phases",
    ["LIFE-01", "LIFE-02", "LIFE-04"],
    "Every phase seen is in the enumeration, never INITIAL, and every observed change is allowed",
    layer="observe",
    sees_all=True,
)
def phases(ctx: Context) -> Iterator[Outcome]:
    history: dict[str, list[tuple[str, Answer]]] = {}
    count = 0
    for answer, doc in sessions(ctx):
        phase = doc.get("phase")
        count += 1
        if phase not in PHASES:
            yield failed(
                f"phase {phase!r} is not in the enumeration",
                answer.evidence,
                requirements=("LIFE-01",),
            )
            continue
        if phase == "INITIAL":
            yield failed(
                "a session is shown in phase INITIAL", answer.evidence, requirements=("LIFE-04",)
            )
        uuid = probe.get(doc, "meta", "uuid")
        if isinstance(uuid, str):
            history.setdefault(uuid, []).append((phase, answer))
    if not count:
        yield skipped("no session was read during the run")
        return
    yield passed(
        f"{count} session reading(s) with valid phases", requirements=("LIFE-01", "LIFE-04")
    )
    bad = 0
    for uuid, seen in history.items():
        problems = semantics.transition_problems([phase for phase, _ in seen])
        if problems:
            bad += 1
            yield failed(
                f"session {uuid}: " + "; ".join(problems),
                *(a.evidence for _, a in seen[-3:]),
                requirements=("LIFE-02",),
            )
    if not bad:
        yield passed(
            f"{len(history)} session(s) changed phase only as allowed", requirements=("LIFE-02",)
        )


#: The phase options each phase may show: OFFERED both of these (LIFE-13), ACCEPTED to RUNNING
#: nothing but CANCELLED (LIFE-14), RELEASING and the terminal phases none (LIFE-15). No phase
#: the broker drives is ever among them.
CANCELLABLE = frozenset({"ACCEPTED", "WAITING", "PREPARING", "AVAILABLE", "RUNNING"})
WITHOUT_OPTIONS = frozenset(
    {"RELEASING", "REJECTED", "EXPIRED", "COMPLETED", "FAILED", "CANCELLED"}
)


def option_problem(phase: str, values: list[str] | None) -> tuple[str, str] | None:
    """(requirement, problem) when a session in ``phase`` shows phase options ``values`` (None:
    no phase option) that its phase does not allow; None when they agree."""
    shown = sorted(values or [])
    if phase == "OFFERED" and not {"ACCEPTED", "REJECTED"} <= set(shown):
        return "LIFE-13", f"an offer shows phase options {shown}, not ACCEPTED and REJECTED"
    if phase in CANCELLABLE and set(shown) - {"CANCELLED"}:
        return "LIFE-14", f"a session in {phase} shows phase options {shown}: only CANCELLED"
    if phase in WITHOUT_OPTIONS and shown:
        return "LIFE-15", f"a session in {phase} shows phase options {shown}: none allowed"
    return None


@check(
    "obs.phase-options",
    ["LIFE-13", "LIFE-14", "LIFE-15"],
    "Every session read shows the phase options its phase allows, and none the broker drives",
    layer="observe",
    sees_all=True,
)
def phase_options(ctx: Context) -> Iterator[Outcome]:
    count = 0
    failing: set[str] = set()
    for answer, doc in sessions(ctx):
        phase = doc.get("phase")
        if phase not in PHASES:
            continue  # obs.phases judges it
        count += 1
        found = option_problem(str(phase), probe.phase_options(doc))
        if found is not None and found[0] not in failing:  # one failure per requirement
            failing.add(found[0])
            yield failed(found[1], answer.evidence, requirements=(found[0],))
    if not count:
        yield skipped("no session was read during the run")
        return
    kept = tuple(r for r in ("LIFE-13", "LIFE-14", "LIFE-15") if r not in failing)
    if kept:
        yield passed(
            f"{count} session reading(s) with the options of their phase", requirements=kept
        )


@check("obs.error-bodies", ["ERR-07"], "Every 4xx answer is an ErrorResponse", layer="observe",
       sees_all=True)
def error_bodies(ctx: Context) -> Iterator[Outcome]:
    count = 0
    for answer in list(ctx.client.answers):
        if not 400 <= answer.status < 500 or answer.evidence.method == "HEAD":
            continue
        count += 1
        doc = answer.try_document()
        if doc is None:
            yield failed(
                f"a {answer.status} answer has no parseable body "
                f"({answer.media_type or 'no type'})",
                answer.evidence,
            )
            continue
        problems = spec.schema_errors(doc, "error")
        if isinstance(doc, dict) and doc.get("status") not in (None, answer.status):
            problems.append(
                f"body status {doc.get('status')} differs from the HTTP status {answer.status}"
            )
        if problems:
            yield failed("; ".join(problems[:3]), answer.evidence)
    if count:
        yield passed(f"{count} error answer(s) seen")
    else:
        yield skipped("no 4xx answer was seen during the run")


def _loop_refusal(answer: Answer) -> bool:
    """A 508 to a request that carried ``EB-Via``: the loop refusal FED-14 asks of a head,
    the one 5xx a client's header may cause (the request looped), not a server fault."""
    return answer.status == 508 and "eb-via" in answer.response.request.headers


@check("obs.no-server-errors", ["ERR-08"], "No answer of the run was a 5xx", layer="observe",
       sees_all=True)
def no_server_errors(ctx: Context) -> Iterator[Outcome]:
    bad = [a for a in list(ctx.client.answers) if a.status >= 500 and not _loop_refusal(a)]
    for answer in bad[:5]:
        yield failed(f"{answer.evidence.summary()}", answer.evidence)
    if not bad:
        yield passed(f"{len(ctx.client.answers)} answer(s), none 5xx")


@check(
    "obs.canonical-kinds",
    ["KIND-01"],
    "Offers use the canonical kind URIs of the vocabulary",
    layer="observe",
    sees_all=True,
)
def canonical_kinds(ctx: Context) -> Iterator[Outcome]:
    problems: list[str] = []
    evidence = []
    count = 0
    for answer, doc in sessions(ctx):
        for where, kind in _component_kinds(doc):
            count += 1
            canonical = spec.canonical_kind(kind)
            if canonical != kind:
                text = f"{where} kind {kind} is " + (
                    f"an alias of {canonical}" if canonical else "not in the vocabulary"
                )
                if text not in problems:
                    problems.append(text)
                    evidence.append(answer.evidence)
    if not count:
        yield skipped("no session with kinds was read during the run")
        return
    yield judge(problems[:5], f"{count} kind(s) checked", *evidence[:3])


def _component_kinds(session: dict[str, Any]) -> Iterator[tuple[str, str]]:
    def kind_of(where: str, item: Any) -> Iterator[tuple[str, str]]:
        if isinstance(item, dict) and isinstance(item.get("kind"), str):
            yield where, item["kind"]

    yield from kind_of("session", session)
    yield from kind_of("executable", session.get("executable"))
    compute = session.get("compute")
    yield from kind_of("compute", compute)
    for i, volume in enumerate(probe.get(compute, "volumes") or []):
        yield from kind_of(f"compute.volumes[{i}]", volume)
    for family in ("storage", "data", "costs", "metrics"):
        for i, item in enumerate(session.get(family) or []):
            yield from kind_of(f"{family}[{i}]", item)
