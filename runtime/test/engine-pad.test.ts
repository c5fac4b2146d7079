import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { attributes, makeTensor } from "../src/tooling.js";
import { Tensor } from "../src/engine/index.js";
import { createSession } from "../src/session/create-session.js";
import type { DataType } from "../src/onnx/data-type.js";
import { modelBytes, node, seededValues, valueInfo } from "./helpers/build.js";

// Pad moves rows: the input row each output row copies, one block copy per row, the edge columns from small tables.
// Every mode (constant, edge, reflect, wrap), negative pads, the axes input, the legacy attribute form and each
// element size are checked against onnxruntime-node, value for value, at 1 and 2 threads; each case runs on the
// graph input itself and on a Cast's output (a value the plan placed in kernel memory).

const ort = createRequire(__filename)("onnxruntime-node") as typeof import("onnxruntime-node");

const ONNX_TYPE: Record<string, number> = { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7 };

interface PadCase {
  name: string;
  dims: number[];
  pads: number[];
  mode: string;
  opset?: number;
  axes?: number[];
  value?: number;
}

const CASES: PadCase[] = [
  { name: "constant with a value, 2-D", dims: [3, 5], pads: [1, 2, 0, 3], mode: "constant", value: 1.5 },
  { name: "reflect on NCHW's spatial axes", dims: [1, 2, 5, 6], pads: [0, 0, 2, 3, 0, 0, 1, 2], mode: "reflect" },
  { name: "edge on every axis", dims: [2, 3, 4], pads: [1, 0, 2, 0, 2, 1], mode: "edge" },
  { name: "wrap (opset 19)", dims: [2, 3, 4], pads: [0, 1, 3, 0, 2, 1], mode: "wrap", opset: 19 },
  { name: "negative pads crop", dims: [4, 6], pads: [-1, 2, 0, -3], mode: "constant" },
  { name: "the axes input (opset 18)", dims: [2, 3, 4, 5], pads: [1, 2, 0, 1], axes: [1, 3], mode: "reflect", opset: 18 },
  { name: "the pads attribute (opset 9)", dims: [1, 3, 4, 4], pads: [0, 0, 1, 1, 0, 0, 1, 1], mode: "reflect", opset: 9 },
  { name: "1-D reflect", dims: [7], pads: [3, 2], mode: "reflect" },
  { name: "only outer axes padded (whole rows)", dims: [3, 4, 8], pads: [1, 2, 0, 0, 1, 0], mode: "constant", value: -2 },
  { name: "a large reflect pad (split over threads)", dims: [1, 32, 64, 64], pads: [0, 0, 3, 3, 0, 0, 3, 3], mode: "reflect" },
];

function outDims(c: PadCase): number[] {
  const axes = c.axes ?? c.dims.map((_, i) => i);
  const out = [...c.dims];
  axes.forEach((a, i) => { out[a] = out[a]! + c.pads[i]! + c.pads[i + axes.length]!; });
  return out;
}

function padModel(c: PadCase, dtype: DataType, viaCast: boolean): Uint8Array {
  const opset = c.opset ?? 13;
  const inits = [];
  const padInputs = [viaCast ? "c" : "x"];
  const attrs = [attributes.stringAttribute("mode", c.mode)];
  if (opset < 11) {
    attrs.push(attributes.intsAttribute("pads", c.pads));
    if (c.value !== undefined) attrs.push(attributes.floatAttribute("value", c.value));
  } else {
    inits.push(makeTensor("pads", "int64", [c.pads.length], BigInt64Array.from(c.pads, BigInt)));
    padInputs.push("pads");
    if (c.value !== undefined || c.axes) {
      const value = dtype === "int64" ? BigInt64Array.of(BigInt(Math.trunc(c.value ?? 0))) : dtype === "float32" ? Float32Array.of(c.value ?? 0)
        : dtype === "int32" ? Int32Array.of(Math.trunc(c.value ?? 0)) : dtype === "int8" ? Int8Array.of(Math.trunc(c.value ?? 0)) : Uint8Array.of(Math.max(0, Math.trunc(c.value ?? 0)));
      inits.push(makeTensor("value", dtype, [], value));
      padInputs.push("value");
    }
    if (c.axes) {
      inits.push(makeTensor("axes", "int64", [c.axes.length], BigInt64Array.from(c.axes, BigInt)));
      padInputs.push("axes");
    }
  }
  const nodes = viaCast ? [node("Cast", ["x"], ["c"], [attributes.intAttribute("to", ONNX_TYPE[dtype]!)])] : [];
  nodes.push(node("Pad", padInputs, ["y"], attrs));
  return modelBytes({
    name: "pad", node: nodes, initializer: inits,
    input: [valueInfo("x", viaCast ? "float32" : dtype, c.dims)], output: [valueInfo("y", dtype, outDims(c))],
  }, { opset });
}

function inputOf(dtype: DataType, n: number): Float32Array | Uint8Array | Int8Array | Int32Array | BigInt64Array {
  const v = seededValues(n, n + 11, -100, 100);
  switch (dtype) {
    case "float32": return v;
    case "uint8": return Uint8Array.from(v, (x) => Math.abs(Math.trunc(x)));
    case "int8": return Int8Array.from(v, Math.trunc);
    case "int32": return Int32Array.from(v, Math.trunc);
    default: return BigInt64Array.from(v, (x) => BigInt(Math.trunc(x)));
  }
}

for (const c of CASES) {
  for (const dtype of ["float32", "uint8", "int8", "int32", "int64"] as DataType[]) {
    for (const viaCast of [false, true]) {
      if (c.opset === 9 && dtype !== "float32") continue;
      test(`Pad ${c.name}: ${dtype}${viaCast ? " after a Cast" : ""} equals onnxruntime-node`, async () => {
        const bytes = padModel(c, dtype, viaCast);
        const n = c.dims.reduce((a, b) => a * b, 1);
        const x = viaCast ? Float32Array.from(inputOf(dtype, n) as ArrayLike<number | bigint>, Number) : inputOf(dtype, n);
        const feedType = viaCast ? "float32" : dtype;
        const reference = await ort.InferenceSession.create(bytes);
        const want = (await reference.run({ x: new ort.Tensor(feedType as "float32", x as Float32Array, c.dims) })).y!;
        for (const threads of [1, 2]) {
          const session = await createSession(bytes, { threads });
          try {
            const got = (await session.run({ x: new Tensor(feedType as "float32", x as Float32Array, c.dims) })).y!;
            assert.deepEqual(got.dims, want.dims, `shape at ${threads} threads`);
            assert.equal(got.type, dtype);
            assert.deepEqual(Array.from(got.data as ArrayLike<number | bigint>), Array.from(want.data as ArrayLike<number | bigint>), `values at ${threads} threads`);
          } finally {
            await session.release();
          }
        }
      });
    }
  }
}

test("Pad that removes more than an axis holds names the pads and the input's dims", async () => {
  const bytes = padModel({ name: "", dims: [2, 3], pads: [0, -4, 0, 0], mode: "constant" }, "float32", false);
  await assert.rejects(async () => {
    const session = await createSession(bytes);
    try {
      await session.run({ x: new Tensor("float32", new Float32Array(6), [2, 3]) });
    } finally {
      await session.release();
    }
  }, /Pad.*remove more than the input's dims \[2, 3\] hold/s);
});
