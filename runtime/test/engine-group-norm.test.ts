import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { onnx } from "../src/tooling.js";
import { modelBytes, node, seededValues, valueInfo } from "./helpers/build.js";
import { runOrt, runQkit } from "./helpers/ort-run.js";

/** Deterministic values in [-2, 2) with an offset per channel, so each group has its own mean. */
function values(n: number, seed: number): Float32Array {
  return seededValues(n, seed, -2, 2).map((v, i) => v + (i % 7) * 0.3);
}

function tensor(name: string, data: Float32Array, dims: number[]): onnx.TensorProto {
  return new onnx.TensorProto({ name, dataType: 1, dims, rawData: new Uint8Array(data.buffer.slice(0)) });
}

/**
 * GroupNormalization against onnxruntime-node: opset 18 scales and shifts per group, opset 21 per channel; with a
 * following Relu (fused into the op's last pass) and without; 1-D, 2-D and 3-D positions.
 */
for (const opset of [18, 21]) {
  for (const [dims, groups, relu] of [[[2, 6, 5, 7], 3, false], [[1, 8, 11], 2, true], [[2, 4, 3, 2, 5], 4, true], [[1, 6, 4, 4], 1, false]] as const) {
    test(`GroupNormalization opset ${opset}, input [${dims.join(", ")}], ${groups} groups${relu ? ", then Relu" : ""}: as onnxruntime`, async () => {
      const C = dims[1];
      const count = opset >= 21 ? C : groups;
      const graph: onnx.IGraphProto = {
        name: "group-norm",
        node: [
          node("GroupNormalization", ["x", "scale", "bias"], [relu ? "normed" : "y"], [
            { name: "num_groups", type: onnx.AttributeProto.AttributeType.INT, i: groups },
            { name: "epsilon", type: onnx.AttributeProto.AttributeType.FLOAT, f: 1e-3 },
          ]),
          ...(relu ? [node("Relu", ["normed"], ["y"])] : []),
        ],
        initializer: [tensor("scale", values(count, 7).map((v) => v * 0.5 + 1), [count]), tensor("bias", values(count, 9), [count])],
        input: [valueInfo("x", "float32", [...dims])],
        output: [valueInfo("y", "float32", [...dims])],
      };
      const dir = mkdtempSync(path.join(tmpdir(), "qkit-group-norm-"));
      try {
        const file = path.join(dir, "model.onnx");
        writeFileSync(file, modelBytes(graph, { opset }));
        const x = values(dims.reduce((a: number, b: number) => a * b, 1), 3);
        const feeds = { x: { data: x, dims: [...dims] } };
        const want = await runOrt(file, feeds);
        for (const threads of [1, 2]) {
          const got = await runQkit(file, feeds, { threads });
          assert.equal(got.length, want.length);
          for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i]! - want[i]!) <= 1e-5 * Math.max(1, Math.abs(want[i]!)), `element ${i}: ${got[i]} vs ${want[i]} (${threads} threads)`);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
}
