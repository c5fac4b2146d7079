import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { readdirSync, readFileSync } from "node:fs";
import { loadModel, loadQuantizer, runCheck, FINDING_CODES, type FindingCode } from "../src/tooling.js";
import { EXAMPLES } from "./helpers/data.js";

/**
 * Each file of examples/broken makes one mistake and marks the line that makes it with `// expect: CODE` (and the
 * other lines a finding should point to with `// related: CODE`). The checker must report exactly those findings,
 * with the rule's severity, at those lines.
 */
const BROKEN = path.join(EXAMPLES, "broken");
const MODEL = path.join(EXAMPLES, "fmnist_cnn_op13.onnx");

function markers(file: string, kind: "expect" | "related"): { code: FindingCode; line: number }[] {
  return readFileSync(file, "utf8").split("\n").flatMap((text, i) => {
    const match = new RegExp(`// ${kind}: ([a-z-]+)`).exec(text);
    return match ? [{ code: match[1] as FindingCode, line: i + 1 }] : [];
  });
}

const files = readdirSync(BROKEN).filter((f) => f.endsWith(".ts") && f !== "common.ts").sort();

test("the broken set covers every rule the checker has", () => {
  const covered = new Set(files.flatMap((f) => markers(path.join(BROKEN, f), "expect").map((m) => m.code)));
  // The example CNN holds only float values and no Resize, at opset 13: non-float-quantized and shape-operand-quantized
  // are shown on models that have them (checker-non-float.test.ts), opset-before-qdq in export-qdq-domains.test.ts, float16-model in engine-float16.test.ts, multi-output-quantized in engine-max-unpool.test.ts; type-error comes from `qkit check`'s type-check (test/cli.test.ts); the sandbox's
  // check-timeout, check-out-of-memory, quantizer-exited and check-crashed from runtime/test/cli-check-sandbox.test.ts.
  const expectedElsewhere = new Set<FindingCode>(["coverage", "invalid-dtype", "invalid-qscheme", "invalid-observer", "not-a-spec", "not-an-annotation", "non-float-quantized", "shape-operand-quantized", "opset-before-qdq", "float16-model", "multi-output-quantized", "type-error", "check-timeout", "check-out-of-memory", "quantizer-exited", "check-crashed"]);
  for (const code of Object.keys(FINDING_CODES) as FindingCode[]) {
    if (!expectedElsewhere.has(code)) assert.ok(covered.has(code), `no example in examples/broken shows ${code}`);
  }
});

for (const file of files) {
  test(`examples/broken/${file}: exactly the marked findings, at the marked lines`, async () => {
    const full = path.join(BROKEN, file);
    const expected = markers(full, "expect");
    assert.ok(expected.length > 0, "the example marks the line it expects a finding at");
    const model = await loadModel(MODEL);
    const loaded = loadQuantizer(full);
    const { findings } = runCheck(model, loaded.quantizer);
    const actual = findings
      .filter((f) => f.severity !== "information")
      .map((f) => ({ code: f.code, line: (f.location ?? loaded.classSite).line, file: (f.location ?? loaded.classSite).file, severity: f.severity }));
    assert.deepEqual(
      actual.map(({ code, line }) => ({ code, line })).sort((a, b) => a.line - b.line),
      expected.sort((a, b) => a.line - b.line),
      JSON.stringify(findings, null, 1),
    );
    for (const f of actual) {
      assert.equal(f.file, full, "the finding points into the quantizer file");
      assert.equal(f.severity, FINDING_CODES[f.code]);
    }
    for (const rel of markers(full, "related")) {
      const owner = findings.find((f) => f.code === rel.code)!;
      assert.ok(owner.related.some((r) => r.location?.line === rel.line && r.location.file === full), `${rel.code} names line ${rel.line} as related: ${JSON.stringify(owner.related)}`);
    }
    assert.ok(findings.some((f) => f.code === "coverage") || expected.some((e) => e.code === "nothing-annotated"));
  });
}

test("docs/diagnostics.md documents every code with its severity", () => {
  const doc = readFileSync(path.join(EXAMPLES, "..", "docs", "diagnostics.md"), "utf8");
  for (const [code, severity] of Object.entries(FINDING_CODES)) {
    const section = new RegExp(`## ${code}\\n\\*\\*${severity}\\.\\*\\*`);
    assert.match(doc, section, `docs/diagnostics.md has a section for ${code} saying it is ${severity}`);
  }
});

test("a quantizer checked after its loader was garbage-collected still reports the TypeScript lines", async () => {
  const { setFlagsFromString } = await import("node:v8");
  const { runInNewContext } = await import("node:vm");
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  const full = path.join(BROKEN, "fixed-qparams-conflict.ts");
  const model = await loadModel(MODEL);
  // The loader and the module it compiled are unreachable once loadQuantizer returns; Node drops its source map
  // with the module.
  const { quantizer } = loadQuantizer(full);
  for (let i = 0; i < 4; i++) gc();
  await new Promise((resolve) => setTimeout(resolve, 10));
  gc();
  const findings = runCheck(model, quantizer).findings.filter((f) => f.severity === "error");
  assert.deepEqual(findings.map((f) => ({ code: f.code, line: f.location?.line })), markers(full, "expect").map(({ code, line }) => ({ code, line })));
});
