import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { LspClient, positionOf, ROOT } from "./helpers/lsp-client.js";
import { EXAMPLES, FMNIST, tempWorkspace } from "./helpers/workspace.js";

/**
 * Hovers read the integer range a report stores instead of working it out from the dtype: an int16 spec shows
 * int16's range. A version-1 report (written before ranges were stored) still feeds the hovers.
 */
const INT16 = `import { Quantizer, QuantizationAnnotation, QuantizationSpec, MinMaxObserver, type GraphModule } from "qkit";

const wide = new QuantizationSpec({ dtype: "int16", qscheme: "per_tensor_affine", observer: MinMaxObserver });

export default class Int16Quantizer extends Quantizer {
  annotate(model: GraphModule): GraphModule {
    const conv = model.graph.node("/conv1/Conv")!;
    conv.meta.quantizationAnnotation = new QuantizationAnnotation({ inputQspecMap: [[conv.args[0]!, wide]] });
    return model;
  }
}
`;
const V1 = path.join(ROOT, "runtime", "test", "fixtures", "report-v1");
const workspace = tempWorkspace(
  [{ quantizer: "int16.ts", model: FMNIST, output: "out/int16.onnx" }, { quantizer: "quantizer.js", model: FMNIST, output: "out/fmnist.int8.onnx" }],
  { "int16.ts": INT16, "quantizer.js": readFileSync(path.join(V1, "quantizer.js"), "utf8") },
);
const INT16_FILE = path.join(workspace.dir, "int16.ts");
const V1_FILE = path.join(workspace.dir, "quantizer.js");
let client: LspClient;

function hoverText(h: Awaited<ReturnType<LspClient["hover"]>>): string {
  return (h?.contents as { value: string } | undefined)?.value ?? "";
}

before(async () => {
  const data = path.join(EXAMPLES, "fashion-mnist", "calibration-images-idx3-ubyte.gz");
  const cli = spawnSync(process.execPath, [path.join(ROOT, "runtime", "bin", "qkit.js"), "quantize", "--model", FMNIST, "--quantizer", "int16.ts", "--data", data, "--limit", "16", "--mean", "0.286", "--std", "0.353", "--out", "out/int16.onnx"], { cwd: workspace.dir, encoding: "utf8" });
  assert.equal(cli.status, 0, cli.stdout + cli.stderr);
  // The version-1 report `qkit quantize` wrote in the fixture folder, placed where this workspace's target writes it.
  mkdirSync(path.join(workspace.dir, "out"), { recursive: true });
  copyFileSync(path.join(V1, "out", "fmnist.int8.onnx.calibration.json"), path.join(workspace.dir, "out", "fmnist.int8.onnx.calibration.json"));
  client = await LspClient.start(workspace.dir);
  await client.open(INT16_FILE);
  await client.open(V1_FILE);
  await client.waitFor(INT16_FILE, (ds) => ds.some((d) => d.source === "qkit"));
  await client.waitFor(V1_FILE, (ds) => ds.some((d) => d.source === "qkit"));
});

after(async () => {
  await client.stop();
  workspace.cleanup();
});

test("the hover of an int16 spec shows int16's range [-32768, 32767] and the float range it represents", async () => {
  const value = hoverText(await client.hover(INT16_FILE, positionOf(INT16, "new QuantizationSpec({", 4)));
  assert.match(value, /\*\*Calibration\*\* \(16 samples\)/);
  const match = /scale ([\d.e+-]+), zero point (-?\d+), int16 q in \[-32768, 32767\]; represents \[([\d.e+-]+), ([\d.e+-]+)\]/.exec(value);
  assert.ok(match, value);
  const [scale, zeroPoint, lo, hi] = match.slice(1).map(Number) as [number, number, number, number];
  const near = (a: number, b: number) => Math.abs(a - b) <= 1e-4 * Math.abs(b);
  assert.ok(near(lo, scale * (-32768 - zeroPoint)) && near(hi, scale * (32767 - zeroPoint)), value);
  // MinMax over normalized Fashion-MNIST: the represented range covers what the observer saw.
  const observed = /observed min \/ max: ([\d.e+-]+) \/ ([\d.e+-]+)/.exec(value)!;
  assert.ok(lo <= Number(observed[1]) && hi >= Number(observed[2]), value);
});

test("a version-1 report still feeds the spec hovers, at the lines its sites name", async () => {
  const text = readFileSync(V1_FILE, "utf8");
  const act = hoverText(await client.hover(V1_FILE, positionOf(text, "new QuantizationSpec({", 4)));
  assert.match(act, /\*\*Calibration\*\* \(16 samples\)/);
  assert.match(act, /MinMaxObserver/);
  assert.match(act, /uint8 q in \[0, 255\]/);
  const weight = hoverText(await client.hover(V1_FILE, positionOf(text, "new QuantizationSpec({ dtype: \"int8\"", 4)));
  assert.match(weight, /PerChannelMinMaxObserver/);
  assert.match(weight, /per channel \(axis 0\): 16 channels/);
  assert.match(weight, /int8 q in \[-127, 127\]/);
});
