import { test } from "node:test";
import assert from "node:assert/strict";
import { runSuite, summarize, testDataRoot } from "./conformance-suite.js";

const root = testDataRoot();

test("every ONNX backend test whose operators the engine supports passes", {
  skip: root ? false : "needs the ONNX backend test data (Debian package libonnx-testdata, or QKIT_ONNX_TESTDATA)",
  timeout: 10 * 60 * 1000,
}, async () => {
  const results = await runSuite(root!);
  const failing = results.filter((r) => r.outcome === "fail");
  assert.ok(results.some((r) => r.outcome === "pass"), summarize(results));
  assert.deepEqual(failing.map((r) => `${r.name}: ${r.detail}`), []);
});
