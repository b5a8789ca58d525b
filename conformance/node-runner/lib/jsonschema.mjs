// A small JSON Schema 2020-12 validator: exactly the keywords the ExecutionBroker schemas use
// (spec/bundled/schema/*.json). Loading refuses a schema with any other keyword, so a new
// keyword in the spec fails loudly here instead of being ignored.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const ANNOTATIONS = new Set([
  "$schema", "$id", "$defs", "$comment", "title", "description", "examples", "default",
  "deprecated", "readOnly", "writeOnly", "xml", "x-xsd-pattern",
]);
const ASSERTIONS = new Set([
  "$ref", "type", "properties", "additionalProperties", "patternProperties", "required",
  "propertyNames", "items", "prefixItems", "minItems", "maxItems", "uniqueItems", "enum",
  "const", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
  "minLength", "maxLength", "pattern", "format", "contains", "minContains", "maxContains", "oneOf", "anyOf", "allOf", "not", "if",
  "then", "else", "minProperties", "maxProperties",
]);
// Keywords whose value is a map of names to schemas, or a list of schemas: walked, not checked.
const SCHEMA_MAPS = new Set(["properties", "patternProperties", "$defs"]);
const SCHEMA_LISTS = new Set(["oneOf", "anyOf", "allOf", "prefixItems"]);

function walkFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...walkFiles(path));
    else if (name.endsWith(".json")) out.push(path);
  }
  return out;
}

function checkKeywords(schema, where) {
  if (typeof schema === "boolean") return;
  for (const [key, value] of Object.entries(schema)) {
    if (!ANNOTATIONS.has(key) && !ASSERTIONS.has(key)) {
      throw new Error(`unsupported JSON Schema keyword ${key} at ${where}`);
    }
    if (SCHEMA_MAPS.has(key)) {
      for (const [name, sub] of Object.entries(value)) checkKeywords(sub, `${where}/${key}/${name}`);
    } else if (SCHEMA_LISTS.has(key)) {
      value.forEach((sub, i) => checkKeywords(sub, `${where}/${key}/${i}`));
    } else if (["items", "contains", "additionalProperties", "propertyNames", "not", "if", "then", "else"].includes(key)) {
      checkKeywords(value, `${where}/${key}`);
    }
  }
}

/** Every schema of a folder, by its $id (references resolve offline, from these only). */
export class Registry {
  constructor(folder) {
    this.byId = new Map();
    for (const path of walkFiles(folder)) {
      const schema = JSON.parse(readFileSync(path, "utf8"));
      checkKeywords(schema, path);
      this.byId.set(schema.$id, schema);
    }
  }

  resolve(ref, base) {
    const url = new URL(ref, base);
    const fragment = decodeURIComponent(url.hash.slice(1));
    url.hash = "";
    const id = url.toString();
    let node = this.byId.get(id);
    if (node === undefined) throw new Error(`unresolvable $ref ${ref} from ${base}`);
    for (const token of fragment.split("/").slice(1)) {
      node = node[token.replace(/~1/g, "/").replace(/~0/g, "~")];
      if (node === undefined) throw new Error(`unresolvable $ref ${ref} from ${base}`);
    }
    return { schema: node, base: id };
  }

  /** Errors of an instance against the schema file named by its path below spec/schema/. */
  validate(instance, file) {
    const base = "https://www.ivoa.net/std/ExecutionBroker/v1.0/schema/" + file;
    const { schema } = this.resolve(base, base);
    const errors = [];
    this.#check(instance, schema, base, "", errors);
    return errors;
  }

  #check(value, schema, base, path, errors) {
    if (schema === true) return;
    if (schema === false) { errors.push(`${path || "/"}: no value is allowed here`); return; }
    if (schema.$id) base = new URL(schema.$id, base).toString();
    const fail = (message) => errors.push(`${path || "/"}: ${message}`);
    const sub = (v, s, p = path) => {
      const found = [];
      this.#check(v, s, base, p, found);
      return found;
    };
    if (schema.$ref !== undefined) {
      const target = this.resolve(schema.$ref, base);
      this.#check(value, target.schema, target.base, path, errors);
    }
    if (schema.type !== undefined) {
      const types = Array.isArray(schema.type) ? schema.type : [schema.type];
      if (!types.some((t) => isType(value, t))) fail(`${show(value)} is not of type ${types.join(" or ")}`);
    }
    if (schema.enum !== undefined && !schema.enum.some((v) => equal(v, value))) {
      fail(`${show(value)} is not one of ${JSON.stringify(schema.enum)}`);
    }
    if (schema.const !== undefined && !equal(schema.const, value)) {
      fail(`${JSON.stringify(schema.const)} was expected`);
    }
    if (typeof value === "number") {
      if (schema.minimum !== undefined && value < schema.minimum) fail(`${value} is less than ${schema.minimum}`);
      if (schema.maximum !== undefined && value > schema.maximum) fail(`${value} is more than ${schema.maximum}`);
      if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum) fail(`${value} is not above ${schema.exclusiveMinimum}`);
      if (schema.exclusiveMaximum !== undefined && value >= schema.exclusiveMaximum) fail(`${value} is not below ${schema.exclusiveMaximum}`);
      if (schema.multipleOf !== undefined && !Number.isInteger(value / schema.multipleOf)) fail(`${value} is not a multiple of ${schema.multipleOf}`);
    }
    if (typeof value === "string") {
      const length = [...value].length;
      if (schema.minLength !== undefined && length < schema.minLength) fail(`${show(value)} is too short`);
      if (schema.maxLength !== undefined && length > schema.maxLength) fail(`${show(value)} is too long`);
      if (schema.pattern !== undefined && !new RegExp(schema.pattern, "u").test(value)) fail(`${show(value)} does not match ${schema.pattern}`);
      if (schema.format !== undefined && !formatOk(schema.format, value)) fail(`${show(value)} is not a ${schema.format}`);
    }
    if (Array.isArray(value)) {
      if (schema.minItems !== undefined && value.length < schema.minItems) fail(`fewer than ${schema.minItems} item(s)`);
      if (schema.maxItems !== undefined && value.length > schema.maxItems) fail(`more than ${schema.maxItems} item(s)`);
      if (schema.uniqueItems && value.some((v, i) => value.findIndex((w) => equal(v, w)) !== i)) fail("items are not unique");
      const prefix = schema.prefixItems || [];
      prefix.forEach((s, i) => { if (i < value.length) this.#check(value[i], s, base, `${path}/${i}`, errors); });
      if (schema.contains !== undefined) {
        const count = value.filter((v, i) => sub(v, schema.contains, `${path}/${i}`).length === 0).length;
        const least = schema.minContains ?? 1;
        if (count < least) fail(`fewer than ${least} item(s) match "contains"`);
        if (schema.maxContains !== undefined && count > schema.maxContains) fail(`more than ${schema.maxContains} item(s) match "contains"`);
      }
      if (schema.items !== undefined) {
        for (let i = prefix.length; i < value.length; i++) this.#check(value[i], schema.items, base, `${path}/${i}`, errors);
      }
    }
    if (isType(value, "object")) {
      const keys = Object.keys(value);
      if (schema.minProperties !== undefined && keys.length < schema.minProperties) fail("too few properties");
      if (schema.maxProperties !== undefined && keys.length > schema.maxProperties) fail("too many properties");
      for (const name of schema.required || []) if (!(name in value)) fail(`${JSON.stringify(name)} is a required property`);
      const properties = schema.properties || {};
      const patterns = Object.entries(schema.patternProperties || {}).map(([p, s]) => [new RegExp(p, "u"), s]);
      for (const key of keys) {
        const where = `${path}/${key.replace(/~/g, "~0").replace(/\//g, "~1")}`;
        let matched = false;
        if (Object.hasOwn(properties, key)) { matched = true; this.#check(value[key], properties[key], base, where, errors); }
        for (const [regex, s] of patterns) if (regex.test(key)) { matched = true; this.#check(value[key], s, base, where, errors); }
        if (!matched && schema.additionalProperties !== undefined) this.#check(value[key], schema.additionalProperties, base, where, errors);
        if (schema.propertyNames !== undefined && sub(key, schema.propertyNames, where).length) fail(`property name ${JSON.stringify(key)} is not allowed`);
      }
    }
    for (const s of schema.allOf || []) this.#check(value, s, base, path, errors);
    if (schema.anyOf && !schema.anyOf.some((s) => sub(value, s).length === 0)) fail("not valid under any of the given schemas");
    if (schema.oneOf) {
      const passing = schema.oneOf.filter((s) => sub(value, s).length === 0).length;
      if (passing !== 1) fail(passing === 0 ? "not valid under any of the given schemas" : "valid under more than one of the given schemas");
    }
    if (schema.not !== undefined && sub(value, schema.not).length === 0) fail("should not be valid under the 'not' schema");
    if (schema.if !== undefined) {
      const holds = sub(value, schema.if).length === 0;
      if (holds && schema.then !== undefined) this.#check(value, schema.then, base, path, errors);
      if (!holds && schema.else !== undefined) this.#check(value, schema.else, base, path, errors);
    }
  }
}

function isType(value, type) {
  switch (type) {
    case "null": return value === null;
    case "boolean": return typeof value === "boolean";
    case "string": return typeof value === "string";
    case "number": return typeof value === "number";
    case "integer": return typeof value === "number" && Number.isInteger(value);
    case "array": return Array.isArray(value);
    case "object": return value !== null && typeof value === "object" && !Array.isArray(value);
    default: throw new Error(`unknown JSON Schema type ${type}`);
  }
}

function equal(a, b) {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a), kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && equal(a[k], b[k]));
}

const RFC3339 = /^(\d{4})-(0[1-9]|1[0-2])-(\d{2})T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// The formats Python's jsonschema checks with its default format checker: date-time (RFC 3339)
// and uuid. "uri" needs an optional package there and is an annotation only; so it is here.
function formatOk(format, value) {
  if (format === "date-time") {
    const m = RFC3339.exec(value);
    if (!m || Number(m[1]) === 0) return false;
    const days = new Date(Date.UTC(Number(m[1]), Number(m[2]), 0)).getUTCDate();
    return Number(m[3]) >= 1 && Number(m[3]) <= days;
  }
  if (format === "uuid") return UUID.test(value);
  return true;
}

function show(value) {
  const text = JSON.stringify(value);
  return text && text.length > 80 ? text.slice(0, 77) + "..." : text;
}
