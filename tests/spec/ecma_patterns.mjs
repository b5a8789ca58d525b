// ECMA-262 verdicts for the time patterns, for tests/spec/test_time_patterns.py.
// Reads JSON on stdin: {"patterns": {name: source}, "cases": [[name, value], ...]}.
// Prints JSON: {"u": [bool, ...], "plain": [bool, ...]}: RegExp(source, 'u').test(value)
// and RegExp(source).test(value) for each case, in order (validators differ on the flag).
// A pattern that does not compile makes the script fail, with the engine's message.
const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const { patterns, cases } = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const compiled = {};
for (const flags of ["u", ""]) {
  compiled[flags] = {};
  for (const [name, source] of Object.entries(patterns)) {
    compiled[flags][name] = new RegExp(source, flags);
  }
}
const verdicts = (flags) => cases.map(([name, value]) => compiled[flags][name].test(value));
process.stdout.write(JSON.stringify({ u: verdicts("u"), plain: verdicts("") }));
