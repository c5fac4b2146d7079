import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { readFileSync, writeFileSync } from "node:fs";
import { TextDocument } from "vscode-languageserver-textdocument";
import type { CodeAction, Diagnostic } from "vscode-languageserver-protocol";
import { LspClient, ROOT, uri } from "./helpers/lsp-client.js";
import { BROKEN, FMNIST, tempWorkspace } from "./helpers/workspace.js";

/**
 * Quick fixes through a real stdio client: for a finding, ask for code actions, apply each edit to the text, send it,
 * and see the finding go when the server checks the new text.
 */
const EXAMPLES = ["quant-min-out-of-range.ts", "quant-range-inverted.ts", "quant-range-excludes-zero.ts", "unknown-option.ts", "derived-arity.ts", "input-not-an-argument.ts", "node-from-another-graph.ts", "edge-not-in-graph.ts", "unknown-module.ts"];
const workspace = tempWorkspace(EXAMPLES.map((f) => ({ quantizer: path.join(BROKEN, f), model: FMNIST })));
let client: LspClient;

before(async () => {
  client = await LspClient.start(workspace.dir);
});

after(async () => {
  await client.stop();
  workspace.cleanup();
});

const checked = (version: number) => (ds: Diagnostic[]) => ds.some((d) => d.source === "qkit") && ds.filter((d) => d.source === "qkit").every((d) => (d.data as { version?: number }).version === version);
const codes = (ds: Diagnostic[]) => ds.filter((d) => d.source === "qkit" && d.severity !== 3).map((d) => String(d.code));

function applied(text: string, action: CodeAction, file: string): string {
  const edits = action.edit?.changes?.[uri(file)];
  assert.ok(edits?.length, `${action.title} edits the file`);
  return TextDocument.applyEdits(TextDocument.create(uri(file), "typescript", 0, text), edits);
}

/** Every quick fix for the code, each applied to the original text; resolves with the titles and the fixed texts. */
async function eachFix(example: string, code: string): Promise<{ title: string; text: string; after: string[] }[]> {
  const file = path.join(BROKEN, example);
  const text = readFileSync(file, "utf8");
  await client.open(file, text);
  const diagnostics = await client.waitFor(file, checked(1));
  const target = diagnostics.find((d) => d.code === code);
  assert.ok(target, `${example} gives ${code}: ${JSON.stringify(codes(diagnostics))}`);
  const actions = await client.codeActions(file, target.range, [target]);
  assert.ok(actions.length > 0, `${example}: a quick fix for ${code}`);
  const results = [];
  for (const action of actions) {
    assert.equal(action.kind, "quickfix");
    assert.deepEqual(action.diagnostics?.map((d) => d.code), [code]);
    const fixed = applied(text, action, file);
    const version = await client.replaceText(file, fixed);
    const after = codes(await client.waitFor(file, checked(version)));
    results.push({ title: action.title, text: fixed, after });
  }
  await client.close(file);
  return results;
}

test("quant-range-outside-dtype: the dtype's bounds", async () => {
  const fixes = await eachFix("quant-min-out-of-range.ts", "quant-range-outside-dtype");
  assert.deepEqual(fixes.map((f) => f.title), ["Use int8's full range: quantMin -128, quantMax 127"]);
  assert.match(fixes[0]!.text, /quantMin: -128,\n {2}quantMax: 127,/);
  assert.deepEqual(fixes[0]!.after, []);
});

test("quant-range-inverted: swapped bounds, or the dtype's", async () => {
  const fixes = await eachFix("quant-range-inverted.ts", "quant-range-inverted");
  assert.deepEqual(fixes.map((f) => f.title), ["Swap quantMin and quantMax", "Use uint8's full range: quantMin 0, quantMax 255"]);
  assert.match(fixes[0]!.text, /quantMin: 10, quantMax: 200/);
  assert.match(fixes[1]!.text, /quantMin: 0, quantMax: 255/);
  // [10, 200] is no longer inverted, but an affine uint8 range must hold zero: only the dtype's bounds fix both.
  assert.deepEqual(fixes.map((f) => f.after), [["quant-range-excludes-zero"], []]);
});

test("quant-range-excludes-zero: the dtype's bounds", async () => {
  const fixes = await eachFix("quant-range-excludes-zero.ts", "quant-range-excludes-zero");
  assert.deepEqual(fixes.map((f) => [f.title, f.after]), [["Use uint8's full range: quantMin 0, quantMax 255", []]]);
});

test("unknown-option: the key meant, in the options object the spec was given", async () => {
  const fixes = await eachFix("unknown-option.ts", "unknown-option");
  assert.deepEqual(fixes.map((f) => [f.title, f.after]), [["Rename quant_min to quantMin", []]]);
  assert.match(fixes[0]!.text, /const options = \{ dtype: "int8" as const, quantMin: -127, quantMax: 127/);
});

test("derived-arity-mismatch: fewer sources, or more parameters", async () => {
  const fixes = await eachFix("derived-arity.ts", "derived-arity-mismatch");
  assert.deepEqual(fixes.map((f) => [f.title, f.after]), [
    ["Derive from the first 2 sources (drop derivedFrom[2])", []],
    ["Read all 3 observers in deriveQparams", []],
  ]);
  assert.match(fixes[0]!.text, /derivedFrom: \[\[input, conv\], \[weight, conv\]\],/);
  assert.match(fixes[1]!.text, /deriveQparams: \(\[act, w, _source2\]\) =>/);
});

test("unknown-module: the closest module paths the model has, at the misspelt name", async () => {
  const fixes = await eachFix("unknown-module.ts", "unknown-module");
  assert.deepEqual(fixes[0]!.title, 'Change to "conv2"');
  assert.match(fixes[0]!.text, /this\.setModuleName\("conv2", null\);/);
  assert.deepEqual(fixes[0]!.after, []);
});

test("input-not-an-argument: key the entry by the node's real input", async () => {
  const fixes = await eachFix("input-not-an-argument.ts", "input-not-an-argument");
  assert.deepEqual(fixes.map((f) => [f.title, f.after]), [["Key the entry by relu.args[0] (/conv2/Conv)", []]]);
  assert.match(fixes[0]!.text, /inputQspecMap: \[\[relu\.args\[0\]!, activation\]\]/);
});

test("node-from-another-graph: key the entry by the node's real input", async () => {
  const fixes = await eachFix("node-from-another-graph.ts", "node-from-another-graph");
  assert.deepEqual(fixes.map((f) => [f.title, f.after]), [["Key the entry by relu.args[0] (/conv1/Conv)", []]]);
});

test("edge-not-in-graph: each real input of the consumer", async () => {
  const fixes = await eachFix("edge-not-in-graph.ts", "edge-not-in-graph");
  assert.ok(fixes.length >= 2, JSON.stringify(fixes.map((f) => f.title)));
  for (const f of fixes) {
    assert.match(f.title, /^Use the edge gemm\.args\[\d\] → gemm \(.+\)$/);
    assert.ok(!f.after.includes("edge-not-in-graph"), `${f.title}: ${JSON.stringify(f.after)}`);
  }
});

test("source.fixAll.qkit applies the fixes that are the only one for their finding", async () => {
  const file = path.join(BROKEN, "quant-min-out-of-range.ts");
  const text = readFileSync(file, "utf8");
  await client.open(file, text);
  const diagnostics = await client.waitFor(file, checked(1));
  const actions = await client.codeActions(file, { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, [], ["source.fixAll"]);
  assert.deepEqual(actions.map((a) => a.kind), ["source.fixAll.qkit"]);
  assert.ok(codes(diagnostics).includes("quant-range-outside-dtype"));
  const version = await client.replaceText(file, applied(text, actions[0]!, file));
  assert.deepEqual(codes(await client.waitFor(file, checked(version))), []);
  await client.close(file);
});

const MISSPELT = `import { Quantizer, getSourcePartitions, type GraphModule } from "qkit";

export default class Q extends Quantizer {
  annotate(m: GraphModule) {
    void m.graph.node("/conv1/conv");
    getSourcePartitions(m.graph, ["Conv", "Convv"]);
    return m;
  }
}
`;

test("unknown-node and unknown-op-type (restricted mode's static checks): the closest names the model has", async () => {
  const { dir, cleanup } = tempWorkspace([{ quantizer: "q.ts", model: FMNIST }], { "q.ts": MISSPELT });
  const restricted = await LspClient.start(dir, { trusted: false });
  try {
    const file = path.join(dir, "q.ts");
    await restricted.open(file, MISSPELT);
    const diagnostics = await restricted.waitFor(file, (ds) => ds.some((d) => d.code === "unknown-op-type"));
    for (const [code, expected] of [["unknown-node", '"/conv1/Conv"'], ["unknown-op-type", '"Conv"']] as const) {
      const target = diagnostics.find((d) => d.code === code)!;
      const actions = await restricted.codeActions(file, target.range, [target]);
      assert.ok(actions.length > 0 && actions[0]!.isPreferred, `${code}: a preferred fix`);
      assert.equal(actions[0]!.title, `Change to ${expected}`);
      const fixed = applied(MISSPELT, actions[0]!, file);
      const version = await restricted.replaceText(file, fixed);
      const after = await restricted.waitFor(file, (_, p) => p.version === version);
      assert.ok(!after.some((d) => d.code === code), `${code} is gone: ${JSON.stringify(after.map((d) => d.code))}`);
      await restricted.replaceText(file, MISSPELT);
    }
  } finally {
    await restricted.stop();
    cleanup();
  }
});

// The runtime's test model of a transformer's int64 shape arithmetic (two Adds and a Concat on int64 shapes).
const NON_FLOAT = `import { MinMaxObserver, Quantizer, QuantizationAnnotation, QuantizationSpec, type GraphModule } from "qkit";

const act = new QuantizationSpec({ dtype: "int8", quantMin: -128, quantMax: 127, observer: MinMaxObserver });

export default class EveryAdd extends Quantizer {
  annotate(model: GraphModule): GraphModule {
    for (const node of model.graph.calls("Add", "Concat")) {
      node.meta.quantizationAnnotation = new QuantizationAnnotation({ inputQspecMap: [[node.args[0]!, act]], outputQspec: act });
    }
    return model;
  }
}
`;

/** A model of the runtime's compiled test helpers (`runtime/test/helpers/NAME.ts`). */
function runtimeTestModel(helper: string, name: string): Uint8Array {
  const models = require(path.join(ROOT, "runtime", "dist", "test", "helpers", `${helper}.js`)) as Record<string, () => Uint8Array>;
  return models[name]!();
}

/**
 * A guard fix end to end: `model` in a workspace with `quantizer`, the finding `code`, the one quick fix titled
 * `title`, the guard it writes (`guard`), and a clean check after it.
 */
async function guardFix(code: string, model: Uint8Array, quantizer: string, title: string, guard: RegExp): Promise<void> {
  const { dir, cleanup } = tempWorkspace([{ quantizer: "quantizer.ts", model: "model.onnx" }], { "quantizer.ts": quantizer });
  writeFileSync(path.join(dir, "model.onnx"), model);
  const own = await LspClient.start(dir);
  try {
    const file = path.join(dir, "quantizer.ts");
    await own.open(file, quantizer);
    const diagnostics = await own.waitFor(file, checked(1));
    const target = diagnostics.find((d) => d.code === code);
    assert.ok(target, JSON.stringify(codes(diagnostics)));
    const actions = await own.codeActions(file, target.range, [target]);
    assert.deepEqual(actions.map((a) => a.title), [title]);
    const fixed = applied(quantizer, actions[0]!, file);
    assert.match(fixed, guard);
    const version = await own.replaceText(file, fixed);
    assert.deepEqual(codes(await own.waitFor(file, checked(version))), []);
  } finally {
    await own.stop();
    cleanup();
  }
}

test("non-float-quantized: skip values that are not floating point, as the built-in quantizers do", () =>
  guardFix("non-float-quantized", runtimeTestModel("shape-arithmetic", "shapeArithmeticModel"), NON_FLOAT, "Skip values that are not floating point (node.isFloatValue)",
    /for \(const node of model\.graph\.calls\("Add", "Concat"\)\) \{\n {6}if \(!node\.isFloatValue\) continue;\n {6}node\.meta\.quantizationAnnotation = /));

// On the runtime's test model of a Resize whose scales a Mul computes from the input's shape, in float.
const EVERY_MUL = NON_FLOAT.replace("EveryAdd", "EveryMul").replace('calls("Add", "Concat")', 'calls("Conv", "Mul")');

test("shape-operand-quantized: skip values that only decide shapes, as the built-in quantizers do", () =>
  guardFix("shape-operand-quantized", runtimeTestModel("computed-scales", "computedScalesModel"), EVERY_MUL, "Skip values that only decide shapes (node.isShapeOperand)",
    /for \(const node of model\.graph\.calls\("Conv", "Mul"\)\) \{\n {6}if \(node\.isShapeOperand\) continue;\n {6}node\.meta\.quantizationAnnotation = /));
