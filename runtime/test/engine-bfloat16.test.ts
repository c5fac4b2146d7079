import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { createSession, loadModel, loadQuantizer, runCheck, onnx, Tensor } from "../src/tooling.js";
import { bfloat16BitsToNumber, numberToBfloat16Bits } from "../src/onnx/float16.js";
import { modelBytes, node, seededValues, valueInfo } from "./helpers/build.js";

const ort = createRequire(__filename)("onnxruntime-node") as typeof import("onnxruntime-node");
const INT = onnx.AttributeProto.AttributeType.INT;

/** Values that test the rounding: ties to even both ways, just past a tie, NaN, infinities, the largest, subnormals. */
const EDGES = Float32Array.of(
  1 + 2 ** -8, 1 + 3 * 2 ** -8, 1 + 2 ** -8 + 2 ** -20, -(1 + 2 ** -8), 3.1415927, -2.7182817, 65504, 1e-40, -1e-38,
  NaN, Infinity, -Infinity, 3.3895314e38, 0, -0, 0.1, 123456.789,
);

test("Cast and CastLike through bfloat16 round to nearest even as ONNX Runtime does, NaN and infinities kept", async () => {
  const bytes = modelBytes({
    name: "bf16-cast",
    node: [
      node("Cast", ["x"], ["h"], [{ name: "to", type: INT, i: 16 }]),
      node("Cast", ["h"], ["y"], [{ name: "to", type: INT, i: 1 }]),
      node("CastLike", ["x", "like"], ["h2"]),
      node("CastLike", ["h2", "x"], ["y2"]),
      node("Cast", ["x"], ["d"], [{ name: "to", type: INT, i: 11 }]),
      node("Cast", ["d"], ["hd"], [{ name: "to", type: INT, i: 16 }]),
      node("Cast", ["hd"], ["y3"], [{ name: "to", type: INT, i: 1 }]),
    ],
    initializer: [{ name: "like", dataType: 16, dims: [1], rawData: new Uint8Array(2) }],
    input: [valueInfo("x", "float32", [EDGES.length])],
    output: ["y", "y2", "y3"].map((n) => valueInfo(n, "float32", [EDGES.length])),
  }, { opset: 19 });
  const want = await (await ort.InferenceSession.create(bytes)).run({ x: new ort.Tensor("float32", EDGES, [EDGES.length]) });
  const session = await createSession(bytes);
  try {
    const got = await session.run({ x: new Tensor("float32", EDGES, [EDGES.length]) });
    for (const name of ["y", "y2", "y3"]) {
      const g = got[name]!.data as Float32Array;
      const w = want[name]!.data as Float32Array;
      EDGES.forEach((x, i) => assert.ok(Object.is(g[i], w[i]) || (Number.isNaN(g[i]) && Number.isNaN(w[i])), `${name}: bfloat16(${x}) = ${g[i]}, ONNX Runtime ${w[i]}`));
    }
  } finally {
    await session.release();
  }
});

/** A bfloat16 network: bfloat16 in and out, bfloat16 weights, a Cast to float32 inside. */
function bfloat16Network(): Uint8Array {
  const bf = (name: string, v: Float32Array, dims: number[]): onnx.ITensorProto =>
    ({ name, dataType: 16, dims, rawData: new Uint8Array(Uint16Array.from(v, numberToBfloat16Bits).buffer) });
  return modelBytes({
    name: "bf16-net",
    node: [
      node("MatMul", ["x", "w"], ["m"]),
      node("Add", ["m", "b"], ["a"]),
      node("Relu", ["a"], ["y"]),
      node("Cast", ["a"], ["wide"], [{ name: "to", type: INT, i: 1 }]),
    ],
    initializer: [bf("w", seededValues(8 * 5, 2), [8, 5]), bf("b", seededValues(5, 3), [5])],
    input: [valueInfo("x", "bfloat16", [3, 8])],
    output: [valueInfo("y", "bfloat16", [3, 5]), valueInfo("wide", "float32", [3, 5])],
  }, { opset: 17 });
}

test("a bfloat16 model runs in float32: bfloat16 in, bfloat16 out, each output the bfloat16 nearest what the float32 arithmetic gives", async () => {
  const xBits = Uint16Array.from(seededValues(24, 1, -2, 2), numberToBfloat16Bits);
  const model = await loadModel(bfloat16Network());
  const w = (model.graph.nodes.find((n) => n.valueName === "w")!.tensor!.rawData!);
  const b = (model.graph.nodes.find((n) => n.valueName === "b")!.tensor!.rawData!);
  const wv = Array.from(new Uint16Array(w.buffer.slice(w.byteOffset, w.byteOffset + w.byteLength)), bfloat16BitsToNumber);
  const bv = Array.from(new Uint16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)), bfloat16BitsToNumber);
  const xv = Array.from(xBits, bfloat16BitsToNumber);
  const session = await createSession(model);
  try {
    const got = await session.run({ x: new Tensor("bfloat16", xBits, [3, 8]) });
    assert.equal(got.y!.type, "bfloat16");
    assert.equal(got.wide!.type, "float32");
    for (let r = 0; r < 3; r++) {
      for (let c = 0; c < 5; c++) {
        let sum = 0;
        for (let k = 0; k < 8; k++) sum += xv[r * 8 + k]! * wv[k * 5 + c]!;
        const a = sum + bv[c]!;
        const wide = (got.wide!.data as Float32Array)[r * 5 + c]!;
        assert.ok(Math.abs(wide - a) <= 1e-5 * Math.max(1, Math.abs(a)), `wide[${r},${c}]: ${wide} vs ${a}`);
        assert.equal((got.y!.data as Uint16Array)[r * 5 + c], numberToBfloat16Bits(Math.max(wide, 0)), `y[${r},${c}]`);
      }
    }
  } finally {
    await session.release();
  }
});

test("quantizing a bfloat16 model is refused at check time saying so", async () => {
  const model = await loadModel(bfloat16Network(), { name: "bf16.onnx" });
  const error = runCheck(model, loadQuantizer("xnnpack").quantizer).findings.find((f) => f.code === "float16-model");
  assert.ok(error, "float16-model");
  assert.match(error.message, /^the model computes in bfloat16 \('x' is bfloat16\)/);
});
