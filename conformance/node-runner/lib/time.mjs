// ISO 8601 instants and durations, as far as the cases need them: the {{now±P...}} templates,
// an offer's expiry and the end of its offered slot.

const DURATION = /^P(?:(\d+)W|(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?)$/;

/** Milliseconds of a duration (PnW, or PnDTnHnMnS); throws on anything else. */
export function durationMs(text) {
  const m = DURATION.exec(text);
  if (!m || text === "P" || text.endsWith("T")) throw new Error(`not a duration: ${text}`);
  const [, w, d, h, min, s] = m.map((v) => (v === undefined ? 0 : Number(v)));
  return ((((w * 7 + d) * 24 + h) * 60 + min) * 60 + s) * 1000;
}

/** Milliseconds since the epoch of an instant with a zone; throws on anything else. */
export function instantMs(text) {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text)) {
    throw new Error(`not an instant: ${text}`);
  }
  const value = Date.parse(text);
  if (Number.isNaN(value)) throw new Error(`not an instant: ${text}`);
  return value;
}

/** The latest start a requested or offered start allows: instant, start/end or start/duration. */
export function latestStartMs(text) {
  const [first, second] = text.split("/");
  const start = instantMs(first);
  if (second === undefined) return start;
  return second.startsWith("P") ? start + durationMs(second) : instantMs(second);
}

export function formatInstant(ms) {
  return new Date(ms).toISOString().replace(/\.000Z$/, "Z");
}

const TEMPLATE = /\{\{\s*now\s*(?:([+-])\s*(P[0-9A-Z.]+))?\s*\}\}/g;

/** Fill {{now}}, {{now+PT1H}} and {{now-PT5M}} in every string of a JSON value. */
export function render(value, now = Date.now()) {
  if (typeof value === "string") {
    return value.replace(TEMPLATE, (_, sign, duration) => {
      const delta = duration ? durationMs(duration) : 0;
      return formatInstant(sign === "-" ? now - delta : now + delta);
    });
  }
  if (Array.isArray(value)) return value.map((item) => render(item, now));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, render(v, now)]));
  }
  return value;
}
