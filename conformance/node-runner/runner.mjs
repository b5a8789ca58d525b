#!/usr/bin/env node
// ivoa-eb-node-runner: runs the ExecutionBroker conformance cases (cases.json, generated from
// conformance/ivoa_eb_conformance/cases/*.yaml) against a broker, with Node.js alone.
//
//   node runner.mjs --url http://127.0.0.1:8080/ [--select ID-GLOB]... [--json report.json]
//                   [--time-budget SECONDS] [--cases cases.json] [--schemas DIR]
//
// Exit status: 0 when no outcome fails, 1 when one does, 2 for a usage error.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

import { BrokerFault, Client, Interpreter, get } from "./lib/interpreter.mjs";
import { Registry } from "./lib/jsonschema.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const PRECEDENCE = ["fail", "pass", "skipped", "not-applicable"];

function usage(message) {
  process.stderr.write(`ivoa-eb-node-runner: ${message}\n`);
  process.exit(2);
}

function globToRegExp(glob) {
  return new RegExp("^" + glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".") + "$");
}

/** One verdict per requirement: fail wins, then pass, then skipped, then not applicable (as the Python suite). */
export function verdicts(outcomes) {
  const byId = new Map();
  for (const outcome of outcomes) {
    for (const id of outcome.requirements) {
      if (!byId.has(id)) byId.set(id, new Set());
      byId.get(id).add(outcome.status);
    }
  }
  return Object.fromEntries([...byId].sort().map(([id, set]) => [id, PRECEDENCE.find((s) => set.has(s))]));
}

async function releaseOffers(client, interpreter) {
  // Offers a case leaves OFFERED are rejected, so that they hold no resources.
  for (const { doc } of interpreter.sets.values()) {
    for (const offer of get(doc, "offers") || []) {
      const url = get(offer, "meta", "url");
      if (typeof url !== "string") continue;
      try {
        const now = await client.request("GET", url, { accept: "application/json" });
        if (JSON.parse(now.text).phase === "OFFERED") {
          await client.request("POST", url, {
            body: JSON.stringify({ kind: "uri:enum-value-update", path: "phase", value: "REJECTED" }),
            contentType: "application/json", accept: "application/json",
          });
        }
      } catch { /* house-keeping only */ }
    }
  }
}

async function main() {
  let args;
  try {
    args = parseArgs({
      options: {
        url: { type: "string" },
        select: { type: "string", multiple: true, default: [] },
        json: { type: "string" },
        "time-budget": { type: "string", default: "100" },
        cases: { type: "string", default: join(HERE, "cases.json") },
        schemas: { type: "string", default: join(HERE, "..", "..", "spec", "bundled", "schema") },
        quiet: { type: "boolean", short: "q", default: false },
      },
    }).values;
  } catch (error) {
    usage(error.message);
  }
  if (!args.url) usage("--url is required");
  const data = JSON.parse(readFileSync(args.cases, "utf8"));
  if (String(data.format).split(".")[0] !== "1") usage(`cases.json is of format ${data.format}; this runner reads format 1.x`);
  const registry = new Registry(args.schemas);
  const client = new Client(args.url);
  const budget = { deadline: Date.now() / 1000 + Number(args["time-budget"]) };
  const patterns = args.select.map(globToRegExp);
  const chosen = (c) => !patterns.length || patterns.some((p) => p.test(`case.${c.id}`) || p.test(c.id) || c.requirements.some((r) => p.test(r)));
  const outcomes = [];
  for (const file of data.files) {
    for (const theCase of file.cases.filter(chosen)) {
      const interpreter = new Interpreter({ client, documents: data.documents, registry, budget }, theCase);
      let found;
      try {
        found = await interpreter.run();
      } catch (error) {
        const status = error instanceof BrokerFault ? "fail" : "skipped";
        const message = error instanceof BrokerFault ? error.message : `runner error: ${error.message}`;
        found = [{ check: `case.${theCase.id}`, requirements: theCase.requirements, status, message }];
      }
      await releaseOffers(client, interpreter);
      outcomes.push(...found);
      if (!args.quiet) for (const o of found) process.stdout.write(`${o.status.padStart(14)} ${o.check} [${o.requirements.join(", ")}] ${o.message}\n`);
    }
  }
  const report = { runner: "ivoa-eb-node-runner", format: data.format, url: args.url, outcomes, verdicts: verdicts(outcomes) };
  if (args.json) writeFileSync(args.json, JSON.stringify(report, null, 2) + "\n");
  const counts = {};
  for (const status of Object.values(report.verdicts)) counts[status] = (counts[status] || 0) + 1;
  process.stdout.write(`requirements: ${Object.entries(counts).map(([s, n]) => `${n} ${s}`).join(", ")}\n`);
  process.exit(outcomes.some((o) => o.status === "fail") ? 1 : 0);
}

main();
