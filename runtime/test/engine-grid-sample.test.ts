import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { onnx } from "../src/tooling.js";
import { modelBytes, node, seededValues, valueInfo } from "./helpers/build.js";
import { runOrt, runQkit } from "./helpers/ort-run.js";


const STRING = onnx.AttributeProto.AttributeType.STRING;
const INT = onnx.AttributeProto.AttributeType.INT;

async function compare(opset: number, xDims: number[], gridDims: number[], mode: string, padding: string, align: number): Promise<void> {
  const outDims = [xDims[0]!, xDims[1]!, ...gridDims.slice(1, -1)];
  const graph: onnx.IGraphProto = {
    name: "grid-sample",
    node: [node("GridSample", ["x", "grid"], ["y"], [
      { name: "mode", type: STRING, s: new TextEncoder().encode(mode) },
      { name: "padding_mode", type: STRING, s: new TextEncoder().encode(padding) },
      { name: "align_corners", type: INT, i: align },
    ])],
    input: [valueInfo("x", "float32", xDims), valueInfo("grid", "float32", gridDims)],
    output: [valueInfo("y", "float32", outDims)],
  };
  const dir = mkdtempSync(path.join(tmpdir(), "qkit-grid-sample-"));
  try {
    const file = path.join(dir, "model.onnx");
    writeFileSync(file, modelBytes(graph, { opset }));
    const size = (d: number[]) => d.reduce((a, b) => a * b, 1);
    // Grid values beyond [-1, 1] sample outside the input: every padding mode is exercised.
    const feeds = { x: { data: seededValues(size(xDims), 11, -3, 3), dims: xDims }, grid: { data: seededValues(size(gridDims), 5, -1.4, 1.4), dims: gridDims } };
    const want = await runOrt(file, feeds);
    const got = await runQkit(file, feeds);
    assert.equal(got.length, want.length);
    for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i]! - want[i]!) <= 1e-5 * Math.max(1, Math.abs(want[i]!)), `${mode}, element ${i}: ${got[i]} vs ${want[i]}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** GridSample against onnxruntime-node: every mode, padding and alignment, 2-D at opset 16 and 3-D at opset 20. */
for (const padding of ["zeros", "border", "reflection"]) {
  for (const align of [0, 1]) {
    test(`GridSample 2-D (opset 16), ${padding} padding, align_corners ${align}: as onnxruntime`, async () => {
      for (const mode of ["bilinear", "nearest", "bicubic"]) await compare(16, [2, 3, 5, 7], [2, 4, 6, 2], mode, padding, align);
    });
    test(`GridSample 3-D (opset 20), ${padding} padding, align_corners ${align}: as onnxruntime`, async () => {
      for (const mode of ["linear", "nearest"]) await compare(20, [1, 2, 3, 4, 5], [1, 2, 3, 4, 3], mode, padding, align);
    });
  }
}
