import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { readFileSync } from "node:fs";
import { LspClient } from "./helpers/lsp-client.js";
import { FMNIST, TUTORIAL, tempWorkspace } from "./helpers/workspace.js";

// Restricted mode runs none of the workspace's code, but a spec's literal options need no code to be judged: the
// same codes and words as the checker, underlining the option that is wrong.
const LITERALS = `import { Quantizer, QuantizationSpec, FixedQParamsQuantizationSpec, MinMaxObserver, getSourcePartitions, type GraphModule } from "qkit";

const tooLow = new QuantizationSpec({ dtype: "int8", quantMin: -200, quantMax: 127, observer: MinMaxObserver });
const snake = new QuantizationSpec({ dtype: "int8", quant_min: -128, observer: MinMaxObserver });
const inverted = new FixedQParamsQuantizationSpec({ dtype: "uint8", scale: 1 / 256, zeroPoint: 0, quantMin: 255, quantMax: 0 });
const computed = new QuantizationSpec({ dtype: "int8", quantMin: -(2 ** 9), observer: MinMaxObserver });

export default class Q extends Quantizer {
  annotate(m: GraphModule) {
    void [tooLow, snake, inverted, computed];
    getSourcePartitions(m.graph, ["Conv", "Sigmoid", "Convv"]);
    return m;
  }
}
`;

test("restricted mode: literal spec options are checked without running the quantizer; an absent operator is no mistake, a misspelt one is", async () => {
  const { dir, cleanup } = tempWorkspace([{ quantizer: "q.ts", model: FMNIST }], { "q.ts": LITERALS });
  const client = await LspClient.start(dir, { trusted: false });
  try {
    const file = path.join(dir, "q.ts");
    await client.open(file);
    const diagnostics = (await client.waitFor(file, (ds) => ds.some((d) => d.code === "quant-range-outside-dtype"))).filter((d) => d.source === "qkit");
    const text = LITERALS.split("\n");
    const at = (d: (typeof diagnostics)[number]) => text[d.range.start.line]!.slice(d.range.start.character, d.range.end.character);
    const found = diagnostics.filter((d) => d.code !== "workspace-untrusted").map((d) => [d.code, d.range.start.line + 1, at(d)]);
    assert.deepEqual(found, [
      ["quant-range-outside-dtype", 3, "quantMin: -200"],
      ["unknown-option", 4, "quant_min: -128"],
      ["quant-range-inverted", 5, "quantMin: 255"],
      ["unknown-op-type", 11, '"Convv"'],
    ], JSON.stringify(diagnostics, null, 1));
    assert.match(diagnostics.find((d) => d.code === "quant-range-outside-dtype")!.message as string, /^QuantizationSpec has quantMin -200, outside what int8 holds \[-128, 127\]/);
    assert.match(diagnostics.find((d) => d.code === "unknown-option")!.message as string, /did you mean `quantMin`\?/);
    assert.match(diagnostics.find((d) => d.code === "unknown-op-type")!.message as string, /did you mean Conv\?/);
  } finally {
    await client.stop();
    cleanup();
  }
});

test("restricted mode says nothing about the shipped tutorial quantizer that trusted mode would not", async () => {
  const { dir, cleanup } = tempWorkspace([{ quantizer: "tutorial.ts", model: FMNIST }], { "tutorial.ts": readFileSync(TUTORIAL, "utf8") });
  const client = await LspClient.start(dir, { trusted: false });
  try {
    const file = path.join(dir, "tutorial.ts");
    await client.open(file);
    const diagnostics = await client.waitFor(file, (ds) => ds.some((d) => d.code === "workspace-untrusted"));
    assert.deepEqual(diagnostics.filter((d) => d.code !== "workspace-untrusted").map((d) => `${d.code}: ${d.message}`), []);
  } finally {
    await client.stop();
    cleanup();
  }
});
