// npm run conformance [-- FILTER]: the ONNX backend test suite (Debian package libonnx-testdata, or the folder in
// QKIT_ONNX_TESTDATA) through the engine; prints pass/fail/unsupported per operator and the totals. Exit code 1
// when a test whose operators are all supported fails.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const suite = require("../runtime/dist/test/conformance-suite.js");
const args = process.argv.slice(2);
const verbose = args.includes("--verbose");
const filter = args.find((a) => !a.startsWith("--"));

const root = suite.testDataRoot();
if (!root) {
  console.error("conformance: no ONNX backend test data; install it with 'apt-get install libonnx-testdata' or set QKIT_ONNX_TESTDATA");
  process.exit(2);
}
const results = await suite.runSuite(root, filter ? new RegExp(filter) : undefined);
console.log(suite.summarize(results));
for (const r of results) {
  if (r.outcome === "fail" || (verbose && r.outcome === "unsupported")) console.log(`${r.outcome.padEnd(11)} ${r.name}: ${r.detail}`);
}
process.exit(results.some((r) => r.outcome === "fail") ? 1 : 0);
