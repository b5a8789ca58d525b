"""The interpreter of protocol scenarios written as data (``cases/*.yaml``).

A case is a list of steps; each step does one protocol move and states what it expects of
the answer. A step that names requirement ids (``verifies``) passes or fails them; a step
that names none is set-up, and its failure stops the case with the remaining requirements
skipped (the broker may, for instance, answer NO to a request: nothing more can be seen).
The vocabulary is small on purpose, so that it can be re-implemented in any language.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import yaml
from ivoa_eb_spec import iso8601

from . import probe, semantics, spec
from .context import Context
from .http import Answer
from .model import Evidence, Outcome, Status

#: Seconds allowed after ``expires`` for a broker to show EXPIRED.
EXPIRY_SLACK = 3.0
#: Seconds allowed after the end of an offered slot for releasing and reporting.
SLOT_SLACK = 30.0

ACTIONS = ("request", "get-offerset", "get-session", "update", "wait", "pause", "require", "check")
EXPECTATIONS = (
    "status",
    "media_type",
    "result",
    "offers_min",
    "offers_max",
    "messages_min",
    "message_contains",
    "warn_path",
    "phase",
    "offers_phase",
    "options",
    "options_path",
    "error_path",
    "uuids_differ_from",
    "siblings_phase",
    "then_phase",
    "same_uuid",
    "schema",
    "not_status",
    "location",
)


@dataclass(frozen=True)
class Case:
    id: str
    description: str
    requirements: tuple[str, ...]
    steps: tuple[dict[str, Any], ...]
    source: str = ""
    cost: float = 2.0
    #: The case mostly waits, on offers of its own: a runner may run it alongside others.
    overlap: bool = False


def load_cases(folder: Path = probe.CASES) -> list[Case]:
    """Every case of the ``*.yaml`` files in ``folder`` (not ``documents.yaml``, not schemas)."""
    cases = []
    for path in sorted(folder.glob("*.yaml")):
        if path.name == "documents.yaml" or path.name.endswith(".schema.yaml"):
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for raw in data["cases"]:
            cases.append(
                Case(
                    id=str(raw["id"]),
                    description=" ".join(str(raw["description"]).split()),
                    requirements=tuple(raw["requirements"]),
                    steps=tuple(raw["steps"]),
                    source=path.name,
                    cost=float(raw.get("cost", 2.0)),
                    overlap=bool(raw.get("overlap", False)),
                )
            )
    return cases


class StepFailed(Exception):
    """An expectation did not hold."""


class StepSkipped(Exception):
    """The case cannot go on, through no fault the step verifies (e.g. too few offers)."""


def _pointer_parts(pointer: str) -> list[str]:
    if pointer == "":
        return []
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer.lstrip("/").split("/")]


def apply_pointer(doc: Any, pointer: str, value: Any = None, *, remove: bool = False) -> Any:
    """Set (or remove) the value at a JSON Pointer, creating objects on the way."""
    parts = _pointer_parts(pointer)
    target = doc
    for part in parts[:-1]:
        if isinstance(target, list):
            target = target[int(part)]
        else:
            target = target.setdefault(part, {})
    last = parts[-1]
    if isinstance(target, list):
        if remove:
            del target[int(last)]
        else:
            target[int(last)] = value
    elif remove:
        target.pop(last, None)
    else:
        target[last] = value
    return doc


@dataclass
class _State:
    sets: dict[str, dict[str, Any]] = field(default_factory=dict)
    sessions: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)
    last: Answer | None = None
    target: dict[str, Any] | None = None
    phases: dict[str, list[str]] = field(default_factory=dict)


class Interpreter:
    """Runs one case against a broker and reports an outcome per requirement it verifies."""

    def __init__(self, ctx: Context, case: Case) -> None:
        self.ctx = ctx
        self.case = case
        self.state = _State()

    # ---- running --------------------------------------------------------------------------

    def run(self) -> list[Outcome]:
        outcomes: list[Outcome] = []
        judged: set[str] = set()
        for number, step in enumerate(self.case.steps, start=1):
            verifies = tuple(step.get("verifies", ()))
            label = f"step {number} ({self._describe(step)})"
            mark = len(self.ctx.client.log)
            try:
                self._perform(step)
                if not self._in_phase(step):
                    if verifies:
                        phase = probe.get(self._last_doc(), "phase")
                        outcomes.append(
                            self._outcome(
                                verifies, Status.SKIPPED, f"{label}: not judged in phase {phase}"
                            )
                        )
                        judged.update(verifies)
                    continue
                self._expect(step.get("expect", {}))
            except StepSkipped as reason:
                return outcomes + self._rest(judged, Status.SKIPPED, f"{label}: {reason}")
            except StepFailed as problem:
                evidence = tuple(self.ctx.client.log[mark:])[-4:]
                if verifies and step.get("otherwise") == "not-applicable":
                    outcomes += [
                        self._outcome(verifies, Status.NOT_APPLICABLE, f"{label}: {problem}")
                    ]
                    judged.update(verifies)
                    return outcomes + self._rest(judged, Status.SKIPPED, f"stopped after {label}")
                if verifies:
                    outcomes += [
                        self._outcome(verifies, Status.FAIL, f"{label}: {problem}", evidence)
                    ]
                    judged.update(verifies)
                    return outcomes + self._rest(
                        judged, Status.SKIPPED, f"not reached: {label} failed"
                    )
                return outcomes + self._rest(
                    judged, Status.SKIPPED, f"precondition failed at {label}: {problem}"
                )
            if verifies:
                outcomes.append(self._outcome(verifies, Status.PASS, label))
                judged.update(verifies)
        return outcomes + self._rest(judged, Status.SKIPPED, "no step of the case verified it")

    def _last_doc(self) -> Any:
        return self.state.last.try_document() if self.state.last is not None else None

    def _in_phase(self, step: dict[str, Any]) -> bool:
        """``when_phase`` limits a step's expectations to answers in those phases."""
        if "when_phase" not in step:
            return True
        return probe.get(self._last_doc(), "phase") in _as_list(step["when_phase"])

    def _outcome(
        self,
        ids: tuple[str, ...],
        status: Status,
        message: str,
        evidence: tuple[Evidence, ...] = (),
    ) -> Outcome:
        return Outcome(f"case.{self.case.id}", ids, status, message, evidence)

    def _rest(self, judged: set[str], status: Status, reason: str) -> list[Outcome]:
        rest = tuple(r for r in self.case.requirements if r not in judged)
        return [self._outcome(rest, status, reason)] if rest else []

    @staticmethod
    def _describe(step: dict[str, Any]) -> str:
        action = step.get("do", "?")
        detail = step.get("document") or step.get("phase") or step.get("until") or ""
        if "offer" in step:
            detail = f"offer {step['offer']} {detail}".strip()
        return f"{action} {detail}".strip()

    # ---- actions --------------------------------------------------------------------------

    def _perform(self, step: dict[str, Any]) -> None:
        action = step.get("do")
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r} in case {self.case.id}")
        getattr(self, "_do_" + action.replace("-", "_"))(step)

    def _headers(self, step: dict[str, Any], fmt: str) -> tuple[str | None, str | None]:
        content_type = step["content_type"] if "content_type" in step else probe_media(fmt)
        accept = step["accept"] if "accept" in step else "application/json"
        return content_type, accept

    def _body(self, step: dict[str, Any]) -> Any:
        if "document" in step:
            doc = probe.document(step["document"])
        else:
            doc = probe.render(copy.deepcopy(step.get("body")))
        for pointer, value in (step.get("set") or {}).items():
            apply_pointer(doc, pointer, probe.render(value))
        for pointer in step.get("remove") or []:
            apply_pointer(doc, pointer, remove=True)
        return doc

    def _send(self, method: str, target: str, step: dict[str, Any], body: Any) -> Answer:
        fmt = step.get("format", "json")
        content_type, accept = self._headers(step, fmt)
        if "raw" in step:
            content: bytes | str = str(step["raw"])
        else:
            from . import codec

            content = codec.encode(body, fmt)
        return self.ctx.client.request(
            method, target, content=content, content_type=content_type, accept=accept
        )

    def _do_request(self, step: dict[str, Any]) -> None:
        body = None if "raw" in step else self._body(step)
        answer = self._send("POST", "requests", step, body)
        self.state.last = self.ctx.client.follow(
            answer, accept=step.get("accept", "application/json")
        )
        if self.state.last.status == 200:
            doc = self.state.last.try_document()
            if isinstance(doc, dict):
                name = step.get("save", "offerset")
                self.state.sets[name] = {"request": body, "doc": doc}
                for index, offer in enumerate(probe.offers(doc)):
                    self.state.sessions[(name, index)] = offer

    def _offer(self, step: dict[str, Any]) -> dict[str, Any]:
        name = step.get("of", "offerset")
        index = int(step.get("offer", 0))
        if name not in self.state.sets:
            raise StepSkipped(f"no offer set {name!r} was received")
        if (name, index) not in self.state.sessions:
            count = len(probe.offers(self.state.sets[name]["doc"]))
            raise StepSkipped(
                f"offer set {name!r} has {count} offer(s), the case needs offer #{index}"
            )
        return self.state.sessions[(name, index)]

    def _remember(self, step: dict[str, Any], answer: Answer) -> None:
        doc = answer.try_document()
        if answer.status == 200 and isinstance(doc, dict) and "uuid" not in step:
            key = (step.get("of", "offerset"), int(step.get("offer", 0)))
            self.state.sessions[key] = doc
            uuid = probe.get(doc, "meta", "uuid")
            if isinstance(uuid, str) and isinstance(doc.get("phase"), str):
                self.state.phases.setdefault(uuid, []).append(doc["phase"])

    def _do_get_offerset(self, step: dict[str, Any]) -> None:
        if step.get("uuid") == "random":
            target = f"offersets/{probe.random_uuid()}"
        else:
            doc = self.state.sets.get(step.get("of", "offerset"), {}).get("doc")
            if doc is None:
                raise StepSkipped("no offer set was received")
            url = probe.get(doc, "meta", "url")
            target = url if isinstance(url, str) else f"offersets/{probe.get(doc, 'meta', 'uuid')}"
        self.state.last = self.ctx.client.get(target, accept=step.get("accept", "application/json"))

    def _do_get_session(self, step: dict[str, Any]) -> None:
        if step.get("uuid") == "random":
            self.state.target = None
            target = f"sessions/{probe.random_uuid()}"
        else:
            self.state.target = self._offer(step)
            target = probe.session_target(self.state.target)
        self.state.last = self.ctx.client.get(target, accept=step.get("accept", "application/json"))
        self._remember(step, self.state.last)

    def _do_update(self, step: dict[str, Any]) -> None:
        if "phase" in step:
            body = probe.phase_update(str(step["phase"]), str(step.get("path", "/phase")))
        else:
            body = self._body(step)
        if step.get("uuid") == "random":
            self.state.target = None
            target = f"sessions/{probe.random_uuid()}"
        else:
            self.state.target = self._offer(step)
            target = probe.session_target(self.state.target)
        self.state.last = self._send("POST", target, step, body)
        self._remember(step, self.state.last)

    def _do_wait(self, step: dict[str, Any]) -> None:
        session = self._offer(step)
        goal = _as_list(step["until"])
        within = step.get("within", 60)
        if within in ("expires", "schedule"):
            # The goal cannot come before the expiry, or before the slot's earliest start: skip
            # at once when that is beyond the budget; else wait, as long as the budget allows.
            soonest, wait = self._bounds_of(session, within)
            if soonest > self.ctx.remaining():
                raise StepSkipped(
                    f"waiting for {goal} takes at least {soonest:.0f} s ({within}), beyond the "
                    f"remaining time budget ({self.ctx.remaining():.0f} s)"
                )
        else:
            wait = min(float(within), self.ctx.options.phase_timeout)
        budget_cut = wait > self.ctx.remaining()
        wait = min(wait, self.ctx.remaining())
        end = time.monotonic() + max(wait, 0.0)
        seen: list[str] = [str(session.get("phase"))]
        while True:
            answer = probe.read_session(self.ctx, session)
            self.state.last = answer
            self.state.target = session
            self._remember(step, answer)
            doc = answer.try_document()
            phase = str(probe.get(doc, "phase"))
            if answer.status != 200:
                raise StepFailed(f"reading the session answered {answer.status}")
            if phase != seen[-1]:
                seen.append(phase)
            problems = semantics.transition_problems(seen)
            if problems:
                raise StepFailed("; ".join(problems))
            if phase in goal:
                return
            if time.monotonic() >= end:
                if budget_cut:
                    raise StepSkipped(
                        f"the time budget ran out after {wait:.0f} s of waiting for {goal}; "
                        f"phases seen: {seen}"
                    )
                raise StepFailed(
                    f"phase {goal} not reached within {wait:.0f} s; phases seen: {seen}"
                )
            time.sleep(self.ctx.options.poll_interval)

    def _do_check(self, step: dict[str, Any]) -> None:
        """Judge the previous answer again, against other requirements."""

    def _bounds_of(self, session: dict[str, Any], within: str) -> tuple[float, float]:
        """Seconds until the goal can come at the soonest, and at the latest: until the offer
        expires (both, plus slack), or until its slot's earliest start and its end (plus
        slack)."""
        now = datetime.now(UTC)
        if within == "expires":
            expires = session.get("expires")
            if not isinstance(expires, str):
                raise StepSkipped("the offer states no expires, so its expiry cannot be awaited")
            wait = (iso8601.parse_instant(expires) - now).total_seconds() + EXPIRY_SLACK
            return wait, wait
        start = probe.get(session, "schedule", "available", "start")
        duration = probe.get(session, "schedule", "available", "duration")
        if not isinstance(start, str) or not isinstance(duration, str):
            return 0.0, self.ctx.options.phase_timeout
        try:
            window = iso8601.parse_start(start)
            end = window.latest + iso8601.parse_duration(duration)
        except iso8601.TimeFormatError as error:
            raise StepSkipped(f"the offered slot does not parse: {error}") from error
        soonest = max(0.0, (window.earliest - now).total_seconds())
        return soonest, max(0.0, (end - now).total_seconds()) + SLOT_SLACK

    def _do_pause(self, step: dict[str, Any]) -> None:
        """Sleep ``seconds``, or (``within: expires`` or ``schedule``) until an offer's
        expiry or the end of its slot, without reading it meanwhile."""
        within = step.get("within")
        if within in ("expires", "schedule"):
            _, wait = self._bounds_of(self._offer(step), within)
            if wait > self.ctx.remaining():
                raise StepSkipped(
                    f"waiting until {within} takes {wait:.0f} s, beyond the remaining time "
                    f"budget ({self.ctx.remaining():.0f} s)"
                )
        else:
            wait = min(float(step.get("seconds", 1)), max(self.ctx.remaining(), 0))
        time.sleep(max(wait, 0.0))

    def _do_require(self, step: dict[str, Any]) -> None:
        name = step.get("of", "offerset")
        if name not in self.state.sets:
            raise StepSkipped(f"no offer set {name!r} was received")
        count = len(probe.offers(self.state.sets[name]["doc"]))
        if count < int(step.get("offers", 1)):
            raise StepSkipped(f"the broker made {count} offer(s); the case needs {step['offers']}")

    # ---- expectations ---------------------------------------------------------------------

    def _expect(self, expect: dict[str, Any]) -> None:
        unknown = set(expect) - set(EXPECTATIONS)
        if unknown:
            raise ValueError(f"unknown expectation(s) {sorted(unknown)} in case {self.case.id}")
        if not expect:
            return
        answer = self.state.last
        if answer is None:
            raise StepFailed("no answer to judge")
        for key in EXPECTATIONS:
            if key in expect:
                getattr(self, "_expect_" + key)(answer, expect[key])

    def _doc(self, answer: Answer) -> Any:
        from .codec import DecodeError

        try:
            return answer.document
        except DecodeError as error:
            raise StepFailed(str(error)) from error

    def _expect_status(self, answer: Answer, wanted: Any) -> None:
        if answer.status not in _as_list(wanted):
            detail = _error_summary(answer)
            raise StepFailed(f"expected status {_or(wanted)}, got {answer.status}{detail}")

    def _expect_not_status(self, answer: Answer, refused: Any) -> None:
        if answer.status in _as_list(refused):
            raise StepFailed(
                f"expected any status but {_or(refused)}, got {answer.status}"
                f"{_error_summary(answer)}"
            )

    def _expect_media_type(self, answer: Answer, wanted: str) -> None:
        if answer.media_type != wanted:
            raise StepFailed(f"expected Content-Type {wanted}, got {answer.media_type or 'none'}")

    def _expect_result(self, answer: Answer, wanted: str) -> None:
        got = probe.get(self._doc(answer), "result")
        if got != wanted:
            raise StepFailed(f"expected result {wanted}, got {got!r}")

    def _expect_offers_min(self, answer: Answer, count: int) -> None:
        found = len(probe.offers(self._doc(answer)))
        if found < count:
            raise StepFailed(f"expected at least {count} offer(s), got {found}")

    def _expect_offers_max(self, answer: Answer, count: int) -> None:
        found = len(probe.offers(self._doc(answer)))
        if found > count:
            raise StepFailed(f"expected at most {count} offer(s), got {found}")

    def _expect_messages_min(self, answer: Answer, count: int) -> None:
        found = probe.get(self._doc(answer), "meta", "messages") or []
        if len(found) < count:
            raise StepFailed(
                f"expected at least {count} message(s) in meta.messages, got {len(found)}"
            )

    def _expect_message_contains(self, answer: Answer, text: str) -> None:
        doc = self._doc(answer)
        messages = probe.get(doc, "meta", "messages") or probe.get(doc, "messages") or []
        text = probe.render(text)
        if not any(text in yaml.safe_dump(m) for m in messages):
            raise StepFailed(f"no message names {text!r}")

    def _expect_warn_path(self, answer: Answer, path: str) -> None:
        doc = self._doc(answer)
        messages = probe.get(doc, "meta", "messages") or []
        if not any(
            isinstance(m, dict) and m.get("level") == "WARN"
            and (m.get("values") or {}).get("path") == path
            for m in messages
        ):
            raise StepFailed(f"no WARN message has values.path {path!r}")

    def _expect_phase(self, answer: Answer, wanted: Any) -> None:
        got = probe.get(self._doc(answer), "phase")
        if got not in _as_list(wanted):
            raise StepFailed(f"expected phase {_or(wanted)}, got {got!r}")

    def _expect_offers_phase(self, answer: Answer, wanted: str) -> None:
        for index, offer in enumerate(probe.offers(self._doc(answer))):
            if offer.get("phase") != wanted:
                raise StepFailed(
                    f"offer #{index} has phase {offer.get('phase')!r}, expected {wanted}"
                )

    def _sessions_in(self, answer: Answer) -> list[Any]:
        doc = self._doc(answer)
        return probe.offers(doc) if "offers" in doc or "result" in doc else [doc]

    def _expect_options(self, answer: Answer, wanted: Any) -> None:
        for doc in self._sessions_in(answer):
            values = probe.phase_options(doc)
            if wanted == "none":
                if values:
                    raise StepFailed(
                        f"expected no phase option in phase {doc.get('phase')}, got {values}"
                    )
            elif values is None:
                raise StepFailed(
                    f"expected a phase option with {wanted}, the session (phase "
                    f"{doc.get('phase')}) offers none"
                )
            elif sorted(values) != sorted(_as_list(wanted)):
                raise StepFailed(
                    f"expected phase option values {sorted(_as_list(wanted))}, got {sorted(values)}"
                )

    def _expect_options_path(self, answer: Answer, wanted: Any) -> None:
        for doc in self._sessions_in(answer):
            paths = [
                o.get("path")
                for o in probe.get(doc, "meta", "options") or []
                if isinstance(o, dict)
            ]
            if not any(p in _as_list(wanted) for p in paths):
                raise StepFailed(f"expected an option with path {_or(wanted)}, got paths {paths}")

    def _expect_error_path(self, answer: Answer, wanted: Any) -> None:
        doc = self._doc(answer)
        problems = spec.schema_errors(doc, "error")
        if problems:
            raise StepFailed("the error body is not an ErrorResponse: " + "; ".join(problems[:2]))
        paths = [probe.get(m, "values", "path") for m in doc.get("messages", [])]
        if wanted == "any":
            if not any(isinstance(p, str) for p in paths):
                raise StepFailed("no message names a path")
        elif not any(p in _as_list(wanted) for p in paths):
            raise StepFailed(f"expected a message with path {_or(wanted)}, got paths {paths}")

    def _expect_uuids_differ_from(self, answer: Answer, name: str) -> None:
        before = self.state.sets.get(name, {}).get("doc")
        if before is None:
            raise StepSkipped(f"no offer set {name!r} to compare with")
        problems = semantics.uuid_problems([before, self._doc(answer)])
        if problems:
            raise StepFailed("; ".join(problems))

    def _expect_siblings_phase(self, answer: Answer, wanted: dict[str, Any]) -> None:
        name = wanted.get("of", "offerset")
        chosen = int(wanted.get("except", 0))
        offers = probe.offers(self.state.sets.get(name, {}).get("doc"))
        siblings = [(i, o) for i, o in enumerate(offers) if i != chosen]
        if not siblings:
            raise StepSkipped("the broker made one offer, so there is no sibling to look at")
        for index, offer in siblings:
            got = probe.get(probe.read_session(self.ctx, offer).try_document(), "phase")
            if got not in _as_list(wanted["phase"]):
                raise StepFailed(
                    f"sibling offer #{index} is {got!r}, expected {_or(wanted['phase'])}"
                )

    def _expect_then_phase(self, answer: Answer, wanted: Any) -> None:
        if self.state.target is None:
            raise ValueError("then_phase needs a step acting on an offer")
        again = probe.read_session(self.ctx, self.state.target)
        got = probe.get(again.try_document(), "phase")
        if got not in _as_list(wanted):
            raise StepFailed(
                f"reading the session again shows phase {got!r}, expected {_or(wanted)}"
            )

    def _expect_same_uuid(self, answer: Answer, wanted: bool) -> None:
        if not wanted or self.state.target is None:
            return
        expected = probe.get(self.state.target, "meta", "uuid")
        got = probe.get(self._doc(answer), "meta", "uuid")
        if got != expected:
            raise StepFailed(f"expected the session {expected}, got {got!r}")

    def _expect_location(self, answer: Answer, wanted: bool) -> None:
        if not wanted:
            return
        url = probe.get(self._doc(answer), "meta", "url")
        found = answer.headers.get("location")
        if not found:
            raise StepFailed("the answer has no Location header")
        if isinstance(url, str) and urljoin(str(answer.response.url), found) != url:
            raise StepFailed(f"Location {found} is not the document's meta.url {url}")

    def _expect_schema(self, answer: Answer, which: str) -> None:
        problems = spec.schema_errors(self._doc(answer), which)
        if problems:
            raise StepFailed("; ".join(problems[:3]))


def probe_media(fmt: str) -> str:
    from .http import MEDIA

    return MEDIA[fmt]


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _or(value: Any) -> str:
    return " or ".join(str(v) for v in _as_list(value))


def _error_summary(answer: Answer) -> str:
    doc = answer.try_document()
    messages = probe.get(doc, "messages") or probe.get(doc, "meta", "messages") or []
    texts = [
        str(probe.get(m, "message") or probe.get(m, "template"))
        for m in messages[:2]
        if isinstance(m, dict)
    ]
    return f" ({'; '.join(texts)})" if texts else ""
