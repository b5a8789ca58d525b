// The interpreter of the scenario cases (format: conformance/ivoa_eb_conformance/cases/README.md).
// A second implementation of ivoa_eb_conformance/scenario.py, written from the format's
// description, so that the cases are shown to be runnable without Python.
import { latestStartMs, instantMs, durationMs, render } from "./time.mjs";

export const ACTIONS = ["request", "get-offerset", "get-session", "update", "wait", "pause", "require", "check"];
export const EXPECTATIONS = [
  "status", "media_type", "result", "offers_min", "offers_max", "messages_min",
  "message_contains", "phase", "offers_phase", "options", "options_path", "error_path",
  "uuids_differ_from", "siblings_phase", "then_phase", "same_uuid", "schema", "not_status",
  "location",
];
const MEDIA = { json: "application/json", yaml: "application/yaml", xml: "application/xml" };
const SCHEMAS = {
  "offer-set": "offer-set-response.yaml", session: "session.yaml", error: "error-response.yaml",
  request: "execution-request.yaml", update: "update.yaml",
};
const PHASE_PATHS = ["phase", "/phase", "state"];
const EXPIRY_SLACK = 3;
const SLOT_SLACK = 30;
const ALLOWED_NEXT = {
  INITIAL: ["OFFERED"],
  OFFERED: ["ACCEPTED", "REJECTED", "EXPIRED"],
  ACCEPTED: ["WAITING", "PREPARING", "AVAILABLE", "RUNNING", "FAILED", "CANCELLED"],
  WAITING: ["PREPARING", "FAILED", "CANCELLED"],
  PREPARING: ["AVAILABLE", "FAILED", "CANCELLED"],
  AVAILABLE: ["RUNNING", "RELEASING", "FAILED", "CANCELLED"],
  RUNNING: ["RELEASING", "COMPLETED", "FAILED", "CANCELLED"],
  RELEASING: ["COMPLETED", "FAILED"],
};
const TERMINAL = new Set(["REJECTED", "EXPIRED", "COMPLETED", "FAILED", "CANCELLED"]);

class StepFailed extends Error {}
class StepSkipped extends Error {}
/** The broker did not answer, or sent the runner elsewhere: the whole case fails. */
export class BrokerFault extends Error {}

const asList = (v) => (Array.isArray(v) ? v : [v]);
const or = (v) => asList(v).join(" or ");
const sleep = (seconds) => new Promise((done) => setTimeout(done, Math.max(seconds, 0) * 1000));
const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

export function get(doc, ...path) {
  for (const step of path) {
    if (typeof step === "number") doc = Array.isArray(doc) && step < doc.length ? doc[step] : undefined;
    else doc = isObject(doc) ? doc[step] : undefined;
  }
  return doc;
}

const offersOf = (set) => (Array.isArray(get(set, "offers")) ? get(set, "offers").filter(isObject) : []);

function sessionTarget(session) {
  const url = get(session, "meta", "url");
  return typeof url === "string" && url ? url : `sessions/${get(session, "meta", "uuid")}`;
}

function phaseOptions(session) {
  for (const option of get(session, "meta", "options") || []) {
    if (isObject(option) && PHASE_PATHS.includes(option.path) && String(option.kind).includes("enum")) {
      return Array.isArray(option.values) ? option.values.map(String) : [];
    }
  }
  return null;
}

function reachable(start, goal) {
  const frontier = [start];
  const seen = new Set([start]);
  while (frontier.length) {
    for (const next of ALLOWED_NEXT[frontier.pop()] || []) {
      if (next === goal) return true;
      if (!seen.has(next)) { seen.add(next); frontier.push(next); }
    }
  }
  return false;
}

function transitionProblems(history) {
  const problems = [];
  for (let i = 1; i < history.length; i++) {
    const [before, after] = [history[i - 1], history[i]];
    if (before === after) continue;
    if (TERMINAL.has(before)) problems.push(`${before} is terminal, yet the session later showed ${after}`);
    else if (!reachable(before, after)) problems.push(`${before} -> ${after} is not a lifecycle transition`);
  }
  return problems;
}

function pointerParts(pointer) {
  if (pointer === "") return [];
  return pointer.replace(/^\//, "").split("/").map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function applyPointer(doc, pointer, value, remove = false) {
  const parts = pointerParts(pointer);
  let target = doc;
  for (const part of parts.slice(0, -1)) {
    if (Array.isArray(target)) target = target[Number(part)];
    else { if (!(part in target)) target[part] = {}; target = target[part]; }
  }
  const last = parts[parts.length - 1];
  if (Array.isArray(target)) {
    if (remove) target.splice(Number(last), 1); else target[Number(last)] = value;
  } else if (remove) delete target[last];
  else target[last] = value;
}

/** One HTTP exchange with the broker, restricted to its origin. */
export class Client {
  constructor(base, { timeout = 20 } = {}) {
    this.base = base.replace(/\/*$/, "/");
    this.origin = new URL(this.base).origin;
    this.timeout = timeout;
  }

  resolve(target) {
    const url = /^[a-z]+:\/\//i.test(target) || target.startsWith("//")
      ? new URL(target, this.base) : new URL(target.replace(/^\/+/, ""), this.base);
    if (url.origin !== this.origin) throw new BrokerFault(`refusing ${url}: it is outside the broker's origin ${this.base}`);
    return url.toString();
  }

  async request(method, target, { body, contentType, accept } = {}) {
    const url = this.resolve(target);
    const headers = { "User-Agent": "ivoa-eb-node-runner" };
    if (contentType !== undefined && contentType !== null) headers["Content-Type"] = contentType;
    if (accept !== undefined && accept !== null) headers.Accept = accept;
    let response;
    try {
      response = await fetch(url, {
        method, headers, body, redirect: "manual", signal: AbortSignal.timeout(this.timeout * 1000),
      });
    } catch (error) {
      throw new BrokerFault(`broker did not answer: ${error.cause?.message || error.message}`);
    }
    const text = await response.text();
    const mediaType = (response.headers.get("content-type") || "").split(";")[0].trim().toLowerCase();
    return { status: response.status, headers: response.headers, mediaType, text, url };
  }

  async follow(answer, accept) {
    if (answer.status !== 303) return answer;
    const location = answer.headers.get("location");
    if (!location) return answer;
    return this.request("GET", new URL(location, answer.url).toString(), { accept });
  }
}

/** The document of an answer: JSON only (this runner asks for JSON; YAML readers need a library). */
function documentOf(answer) {
  if (answer.mediaType === "application/json" || answer.mediaType.endsWith("+json")) {
    try { return JSON.parse(answer.text); } catch (error) { throw new StepFailed(`body does not parse as ${answer.mediaType}: ${error.message}`); }
  }
  throw new StepFailed(`this runner reads JSON answers only, got ${answer.mediaType || "no Content-Type"}`);
}
const tryDocument = (answer) => { try { return documentOf(answer); } catch { return undefined; } };

function errorSummary(answer) {
  const doc = tryDocument(answer);
  const messages = get(doc, "messages") || get(doc, "meta", "messages") || [];
  const texts = (Array.isArray(messages) ? messages.slice(0, 2) : []).filter(isObject).map((m) => String(m.message ?? m.template));
  return texts.length ? ` (${texts.join("; ")})` : "";
}

/** Runs one case; returns one outcome per group of requirements, as the format says. */
export class Interpreter {
  constructor({ client, documents, registry, budget, phaseTimeout = 60, poll = 0.25 }, theCase) {
    Object.assign(this, { client, documents, registry, budget, phaseTimeout, poll, theCase });
    this.sets = new Map();
    this.sessions = new Map();
    this.last = null;
    this.target = null;
  }

  remaining() { return this.budget.deadline - Date.now() / 1000; }

  outcome(requirements, status, message) {
    return { check: `case.${this.theCase.id}`, requirements: [...requirements], status, message };
  }

  rest(judged, status, reason) {
    const rest = this.theCase.requirements.filter((r) => !judged.has(r));
    return rest.length ? [this.outcome(rest, status, reason)] : [];
  }

  async run() {
    const outcomes = [];
    const judged = new Set();
    for (const [index, step] of this.theCase.steps.entries()) {
      const verifies = step.verifies || [];
      const label = `step ${index + 1} (${describe(step)})`;
      try {
        await this.perform(step);
        if ("when_phase" in step && !asList(step.when_phase).includes(get(tryDocument(this.last), "phase"))) {
          if (verifies.length) {
            outcomes.push(this.outcome(verifies, "skipped", `${label}: not judged in phase ${get(tryDocument(this.last), "phase")}`));
            verifies.forEach((r) => judged.add(r));
          }
          continue;
        }
        await this.expect(step.expect || {});
      } catch (error) {
        if (error instanceof StepSkipped) return [...outcomes, ...this.rest(judged, "skipped", `${label}: ${error.message}`)];
        if (!(error instanceof StepFailed)) throw error;
        if (verifies.length && step.otherwise === "not-applicable") {
          outcomes.push(this.outcome(verifies, "not-applicable", `${label}: ${error.message}`));
          verifies.forEach((r) => judged.add(r));
          return [...outcomes, ...this.rest(judged, "skipped", `stopped after ${label}`)];
        }
        if (verifies.length) {
          outcomes.push(this.outcome(verifies, "fail", `${label}: ${error.message}`));
          verifies.forEach((r) => judged.add(r));
          return [...outcomes, ...this.rest(judged, "skipped", `not reached: ${label} failed`)];
        }
        return [...outcomes, ...this.rest(judged, "skipped", `precondition failed at ${label}: ${error.message}`)];
      }
      if (verifies.length) {
        outcomes.push(this.outcome(verifies, "pass", label));
        verifies.forEach((r) => judged.add(r));
      }
    }
    return [...outcomes, ...this.rest(judged, "skipped", "no step of the case verified it")];
  }

  // ---- actions ------------------------------------------------------------------------

  async perform(step) {
    if (!ACTIONS.includes(step.do)) throw new Error(`unknown action ${step.do} in case ${this.theCase.id}`);
    const name = "do_" + step.do.replace(/-/g, "_");
    await this[name](step);
  }

  body(step) {
    const doc = "document" in step
      ? render(structuredClone(this.documents[step.document]))
      : render(structuredClone(step.body ?? null));
    for (const [pointer, value] of Object.entries(step.set || {})) applyPointer(doc, pointer, render(structuredClone(value)));
    for (const pointer of step.remove || []) applyPointer(doc, pointer, undefined, true);
    return doc;
  }

  async send(method, target, step, body) {
    const format = step.format || "json";
    const contentType = "content_type" in step ? step.content_type : MEDIA[format];
    const accept = "accept" in step ? step.accept : "application/json";
    let content;
    if ("raw" in step) content = String(step.raw);
    else if (format === "json" || format === "yaml") content = JSON.stringify(body); // JSON is YAML 1.2
    else throw new StepSkipped(`this runner does not write ${format} bodies`);
    return this.client.request(method, target, { body: content, contentType, accept });
  }

  acceptOf(step) { return "accept" in step ? step.accept : "application/json"; }

  async do_request(step) {
    const body = "raw" in step ? null : this.body(step);
    const first = await this.send("POST", "requests", step, body);
    this.last = await this.client.follow(first, this.acceptOf(step));
    if (this.last.status === 200) {
      const doc = tryDocument(this.last);
      if (isObject(doc)) {
        const name = step.save || "offerset";
        this.sets.set(name, { request: body, doc });
        offersOf(doc).forEach((offer, i) => this.sessions.set(`${name}#${i}`, offer));
      }
    }
  }

  offer(step) {
    const name = step.of || "offerset";
    const index = Number(step.offer || 0);
    if (!this.sets.has(name)) throw new StepSkipped(`no offer set '${name}' was received`);
    const key = `${name}#${index}`;
    if (!this.sessions.has(key)) {
      throw new StepSkipped(`offer set '${name}' has ${offersOf(this.sets.get(name).doc).length} offer(s), the case needs offer #${index}`);
    }
    return this.sessions.get(key);
  }

  remember(step, answer) {
    const doc = tryDocument(answer);
    if (answer.status === 200 && isObject(doc) && !("uuid" in step)) {
      this.sessions.set(`${step.of || "offerset"}#${Number(step.offer || 0)}`, doc);
    }
  }

  randomTarget(kind) { return `${kind}/${crypto.randomUUID()}`; }

  async do_get_offerset(step) {
    let target;
    if (step.uuid === "random") target = this.randomTarget("offersets");
    else {
      const doc = this.sets.get(step.of || "offerset")?.doc;
      if (doc === undefined) throw new StepSkipped("no offer set was received");
      const url = get(doc, "meta", "url");
      target = typeof url === "string" ? url : `offersets/${get(doc, "meta", "uuid")}`;
    }
    this.last = await this.client.request("GET", target, { accept: this.acceptOf(step) });
  }

  async do_get_session(step) {
    let target;
    if (step.uuid === "random") { this.target = null; target = this.randomTarget("sessions"); }
    else { this.target = this.offer(step); target = sessionTarget(this.target); }
    this.last = await this.client.request("GET", target, { accept: this.acceptOf(step) });
    this.remember(step, this.last);
  }

  async do_update(step) {
    const body = "phase" in step
      ? { kind: "uri:enum-value-update", path: String(step.path ?? "phase"), value: String(step.phase) }
      : this.body(step);
    let target;
    if (step.uuid === "random") { this.target = null; target = this.randomTarget("sessions"); }
    else { this.target = this.offer(step); target = sessionTarget(this.target); }
    this.last = await this.send("POST", target, step, body);
    this.remember(step, this.last);
  }

  deadlineOf(session, within) {
    const now = Date.now();
    if (within === "expires") {
      if (typeof session.expires !== "string") throw new StepSkipped("the offer states no expires, so its expiry cannot be awaited");
      return (instantMs(session.expires) - now) / 1000 + EXPIRY_SLACK;
    }
    const start = get(session, "schedule", "available", "start");
    const duration = get(session, "schedule", "available", "duration");
    if (typeof start !== "string" || typeof duration !== "string") return this.phaseTimeout;
    let end;
    try { end = latestStartMs(start) + durationMs(duration); } catch (error) { throw new StepSkipped(`the offered slot does not parse: ${error.message}`); }
    return Math.max(0, (end - now) / 1000) + SLOT_SLACK;
  }

  async do_wait(step) {
    const session = this.offer(step);
    const goal = asList(step.until);
    const within = step.within ?? 60;
    let wait;
    if (within === "expires" || within === "schedule") {
      wait = this.deadlineOf(session, within);
      if (wait > this.remaining()) {
        throw new StepSkipped(`waiting for ${goal} could take ${wait.toFixed(0)} s (${within}), beyond the remaining time budget (${this.remaining().toFixed(0)} s)`);
      }
    } else wait = Math.min(Number(within), this.phaseTimeout);
    const budgetCut = wait > this.remaining();
    wait = Math.min(wait, this.remaining());
    const end = Date.now() / 1000 + Math.max(wait, 0);
    const seen = [String(session.phase)];
    for (;;) {
      const answer = await this.client.request("GET", sessionTarget(session), { accept: "application/json" });
      this.last = answer;
      this.target = session;
      this.remember(step, answer);
      const phase = String(get(tryDocument(answer), "phase"));
      if (answer.status !== 200) throw new StepFailed(`reading the session answered ${answer.status}`);
      if (phase !== seen[seen.length - 1]) seen.push(phase);
      const problems = transitionProblems(seen);
      if (problems.length) throw new StepFailed(problems.join("; "));
      if (goal.includes(phase)) return;
      if (Date.now() / 1000 >= end) {
        if (budgetCut) throw new StepSkipped(`the time budget ran out after ${wait.toFixed(0)} s of waiting for ${goal}; phases seen: ${seen}`);
        throw new StepFailed(`phase ${goal} not reached within ${wait.toFixed(0)} s; phases seen: ${seen}`);
      }
      await sleep(this.poll);
    }
  }

  async do_pause(step) {
    let wait;
    if (step.within === "expires" || step.within === "schedule") {
      wait = this.deadlineOf(this.offer(step), step.within);
      if (wait > this.remaining()) throw new StepSkipped(`waiting until ${step.within} takes ${wait.toFixed(0)} s, beyond the remaining time budget (${this.remaining().toFixed(0)} s)`);
    } else wait = Math.min(Number(step.seconds ?? 1), Math.max(this.remaining(), 0));
    await sleep(wait);
  }

  async do_require(step) {
    const name = step.of || "offerset";
    if (!this.sets.has(name)) throw new StepSkipped(`no offer set '${name}' was received`);
    const count = offersOf(this.sets.get(name).doc).length;
    if (count < Number(step.offers ?? 1)) throw new StepSkipped(`the broker made ${count} offer(s); the case needs ${step.offers}`);
  }

  async do_check() {}

  // ---- expectations -------------------------------------------------------------------

  async expect(expect) {
    const unknown = Object.keys(expect).filter((k) => !EXPECTATIONS.includes(k));
    if (unknown.length) throw new Error(`unknown expectation(s) ${unknown} in case ${this.theCase.id}`);
    if (!Object.keys(expect).length) return;
    if (this.last === null) throw new StepFailed("no answer to judge");
    for (const key of EXPECTATIONS) if (key in expect) await this["expect_" + key](this.last, expect[key]);
  }

  schemaErrors(doc, which) {
    return this.registry.validate(doc, SCHEMAS[which] || which).slice(0, 5).map((e) => `${which} schema: at ${e}`);
  }

  expect_status(answer, wanted) {
    if (!asList(wanted).includes(answer.status)) throw new StepFailed(`expected status ${or(wanted)}, got ${answer.status}${errorSummary(answer)}`);
  }

  expect_not_status(answer, refused) {
    if (asList(refused).includes(answer.status)) throw new StepFailed(`expected any status but ${or(refused)}, got ${answer.status}${errorSummary(answer)}`);
  }

  expect_media_type(answer, wanted) {
    if (answer.mediaType !== wanted) throw new StepFailed(`expected Content-Type ${wanted}, got ${answer.mediaType || "none"}`);
  }

  expect_result(answer, wanted) {
    const got = get(documentOf(answer), "result");
    if (got !== wanted) throw new StepFailed(`expected result ${wanted}, got ${JSON.stringify(got)}`);
  }

  expect_offers_min(answer, count) {
    const found = offersOf(documentOf(answer)).length;
    if (found < count) throw new StepFailed(`expected at least ${count} offer(s), got ${found}`);
  }

  expect_offers_max(answer, count) {
    const found = offersOf(documentOf(answer)).length;
    if (found > count) throw new StepFailed(`expected at most ${count} offer(s), got ${found}`);
  }

  expect_messages_min(answer, count) {
    const found = get(documentOf(answer), "meta", "messages") || [];
    if (found.length < count) throw new StepFailed(`expected at least ${count} message(s) in meta.messages, got ${found.length}`);
  }

  expect_message_contains(answer, text) {
    const doc = documentOf(answer);
    const messages = get(doc, "meta", "messages") || get(doc, "messages") || [];
    const wanted = render(text);
    if (!messages.some((m) => JSON.stringify(m).includes(wanted))) throw new StepFailed(`no message names '${wanted}'`);
  }

  expect_phase(answer, wanted) {
    const got = get(documentOf(answer), "phase");
    if (!asList(wanted).includes(got)) throw new StepFailed(`expected phase ${or(wanted)}, got ${JSON.stringify(got)}`);
  }

  expect_offers_phase(answer, wanted) {
    offersOf(documentOf(answer)).forEach((offer, i) => {
      if (offer.phase !== wanted) throw new StepFailed(`offer #${i} has phase ${JSON.stringify(offer.phase)}, expected ${wanted}`);
    });
  }

  sessionsIn(answer) {
    const doc = documentOf(answer);
    return isObject(doc) && ("offers" in doc || "result" in doc) ? offersOf(doc) : [doc];
  }

  expect_options(answer, wanted) {
    for (const doc of this.sessionsIn(answer)) {
      const values = phaseOptions(doc);
      if (wanted === "none") {
        if (values && values.length) throw new StepFailed(`expected no phase option in phase ${get(doc, "phase")}, got ${values}`);
      } else if (values === null) {
        throw new StepFailed(`expected a phase option with ${wanted}, the session (phase ${get(doc, "phase")}) offers none`);
      } else if ([...values].sort().join() !== [...asList(wanted)].sort().join()) {
        throw new StepFailed(`expected phase option values ${[...asList(wanted)].sort()}, got ${[...values].sort()}`);
      }
    }
  }

  expect_options_path(answer, wanted) {
    for (const doc of this.sessionsIn(answer)) {
      const paths = (get(doc, "meta", "options") || []).filter(isObject).map((o) => o.path);
      if (!paths.some((p) => asList(wanted).includes(p))) throw new StepFailed(`expected an option with path ${or(wanted)}, got paths ${paths}`);
    }
  }

  expect_error_path(answer, wanted) {
    const doc = documentOf(answer);
    const problems = this.schemaErrors(doc, "error");
    if (problems.length) throw new StepFailed("the error body is not an ErrorResponse: " + problems.slice(0, 2).join("; "));
    const paths = (doc.messages || []).map((m) => get(m, "values", "path"));
    if (wanted === "any") {
      if (!paths.some((p) => typeof p === "string")) throw new StepFailed("no message names a path");
    } else if (!paths.some((p) => asList(wanted).includes(p))) {
      throw new StepFailed(`expected a message with path ${or(wanted)}, got paths ${JSON.stringify(paths)}`);
    }
  }

  expect_uuids_differ_from(answer, name) {
    const before = this.sets.get(name)?.doc;
    if (before === undefined) throw new StepSkipped(`no offer set '${name}' to compare with`);
    const seen = new Map();
    const problems = [];
    [before, documentOf(answer)].forEach((set, s) => {
      const items = [[`offer set #${s}`, set], ...(get(set, "offers") || []).map((o, i) => [`offer #${i} of set #${s}`, o])];
      for (const [label, doc] of items) {
        const uuid = get(doc, "meta", "uuid");
        if (typeof uuid !== "string" || !uuid) problems.push(`${label} has no meta.uuid`);
        else if (seen.has(uuid)) problems.push(`${label} reuses uuid ${uuid} of ${seen.get(uuid)}`);
        else seen.set(uuid, label);
      }
    });
    if (problems.length) throw new StepFailed(problems.join("; "));
  }

  async expect_siblings_phase(answer, wanted) {
    const chosen = Number(wanted.except ?? 0);
    const offers = offersOf(this.sets.get(wanted.of || "offerset")?.doc);
    const siblings = offers.map((o, i) => [i, o]).filter(([i]) => i !== chosen);
    if (!siblings.length) throw new StepSkipped("the broker made one offer, so there is no sibling to look at");
    for (const [index, offer] of siblings) {
      const read = await this.client.request("GET", sessionTarget(offer), { accept: "application/json" });
      const got = get(tryDocument(read), "phase");
      if (!asList(wanted.phase).includes(got)) throw new StepFailed(`sibling offer #${index} is ${JSON.stringify(got)}, expected ${or(wanted.phase)}`);
    }
  }

  async expect_then_phase(answer, wanted) {
    if (this.target === null) throw new Error("then_phase needs a step acting on an offer");
    const again = await this.client.request("GET", sessionTarget(this.target), { accept: "application/json" });
    const got = get(tryDocument(again), "phase");
    if (!asList(wanted).includes(got)) throw new StepFailed(`reading the session again shows phase ${JSON.stringify(got)}, expected ${or(wanted)}`);
  }

  expect_same_uuid(answer, wanted) {
    if (!wanted || this.target === null) return;
    const expected = get(this.target, "meta", "uuid");
    const got = get(documentOf(answer), "meta", "uuid");
    if (got !== expected) throw new StepFailed(`expected the session ${expected}, got ${JSON.stringify(got)}`);
  }

  expect_location(answer, wanted) {
    if (!wanted) return;
    const url = get(documentOf(answer), "meta", "url");
    const found = answer.headers.get("location");
    if (!found) throw new StepFailed("the answer has no Location header");
    if (typeof url === "string" && new URL(found, answer.url).href !== new URL(url).href) {
      throw new StepFailed(`Location ${found} is not the document's meta.url ${url}`);
    }
  }

  expect_schema(answer, which) {
    const problems = this.schemaErrors(documentOf(answer), which);
    if (problems.length) throw new StepFailed(problems.slice(0, 3).join("; "));
  }
}

function describe(step) {
  let detail = step.document || step.phase || step.until || "";
  if ("offer" in step) detail = `offer ${step.offer} ${detail}`.trim();
  return `${step.do || "?"} ${detail}`.trim();
}
