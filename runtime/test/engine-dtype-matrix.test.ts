import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { onnx, createSession, makeTensor, dataTypeCode, Tensor, type TensorType } from "../src/tooling.js";
import { float16BitsToNumber, numberToFloat16Bits } from "../src/onnx/float16.js";

const ort = createRequire(__filename)("onnxruntime-node") as typeof import("onnxruntime-node");
const A = onnx.AttributeProto.AttributeType;

/**
 * Every operator of this table on every element type, on qkit and on onnxruntime-node: wherever ONNX Runtime runs a
 * case, qkit must run it and agree (exactly on integers, to the type's precision on floats). A case both refuse is
 * outside what either claims; a case only qkit runs is noted, not failed.
 */
// bfloat16 is not here: onnxruntime-node takes no bfloat16 tensors from JavaScript (engine-bfloat16.test.ts).
const TYPES: TensorType[] = ["float32", "float64", "float16", "int32", "int64", "int8", "uint8"];
const FLOATS = new Set<TensorType>(["float32", "float64", "float16"]);

interface Case {
  inputs: { name: string; type: TensorType | "bool"; dims: number[]; positive?: boolean; values?: number[] }[];
  initializers?: onnx.TensorProto[];
  attributes?: onnx.IAttributeProto[];
  outputs?: string[];
  /** The node's inputs in order, when not the inputs then the initializers ("" for an absent one). */
  order?: string[];
  /** The opset, when the operator is newer than 18. */
  opset?: number;
}
type Maker = (type: TensorType) => Case | undefined;

const D3 = [2, 3, 4];
const D4 = [1, 2, 4, 4];
const ints = (name: string, v: number[]): onnx.IAttributeProto => ({ name, type: A.INTS, ints: v });
const int = (name: string, i: number): onnx.IAttributeProto => ({ name, type: A.INT, i });
const i64 = (name: string, dims: number[], v: number[]) => makeTensor(name, "int64", dims, BigInt64Array.from(v, BigInt));
const one = (positive = false): Maker => () => ({ inputs: [{ name: "a", type: "float32", dims: D3, positive }] });
const two = (positive = false): Maker => () => ({ inputs: [{ name: "a", type: "float32", dims: D3 }, { name: "b", type: "float32", dims: D3, positive }] });
const floatOnly = (make: Maker): Maker => (t) => (FLOATS.has(t) ? make(t) : undefined);

const OPS: Record<string, Maker> = {
  Add: two(), Sub: two(), Mul: two(), Div: two(true), Max: two(), Min: two(), Sum: two(), Equal: two(), Less: two(), Pow: floatOnly(two(true)),
  Relu: one(), Abs: one(), Neg: one(), Sign: one(), Identity: one(), Clip: one(),
  Sigmoid: floatOnly(one()), Tanh: floatOnly(one()), Exp: floatOnly(one()), Sqrt: floatOnly(one(true)), Log: floatOnly(one(true)),
  Erf: floatOnly(one()), Floor: floatOnly(one()), Ceil: floatOnly(one()), Round: floatOnly(one()), Reciprocal: floatOnly(one(true)),
  Softmax: floatOnly(one()), LogSoftmax: floatOnly(one()), HardSwish: floatOnly(one()), HardSigmoid: floatOnly(one()), Elu: floatOnly(one()),
  Softplus: floatOnly(one()), Gelu: floatOnly(() => ({ ...one()(TYPES[0]!)!, opset: 20 })), Mish: floatOnly(one()), LeakyRelu: floatOnly(one()),
  ReduceMean: one(), ReduceSum: one(), ReduceMax: one(), ReduceMin: one(), ReduceProd: one(), ReduceL2: floatOnly(one()), ArgMax: one(), ArgMin: one(),
  Transpose: one(), Trilu: one(), NonZero: one(),
  MatMul: () => ({ inputs: [{ name: "a", type: "float32", dims: D3 }, { name: "b", type: "float32", dims: [4, 5] }] }),
  Gemm: () => ({ inputs: [{ name: "a", type: "float32", dims: [3, 4] }, { name: "b", type: "float32", dims: [4, 5] }] }),
  Conv: () => ({ inputs: [{ name: "a", type: "float32", dims: D4 }, { name: "b", type: "float32", dims: [3, 2, 3, 3] }] }),
  ConvTranspose: () => ({ inputs: [{ name: "a", type: "float32", dims: D4 }, { name: "b", type: "float32", dims: [2, 3, 3, 3] }] }),
  MaxPool: () => ({ inputs: [{ name: "a", type: "float32", dims: D4 }], attributes: [ints("kernel_shape", [2, 2])] }),
  AveragePool: floatOnly(() => ({ inputs: [{ name: "a", type: "float32", dims: D4 }], attributes: [ints("kernel_shape", [2, 2])] })),
  GlobalAveragePool: floatOnly(() => ({ inputs: [{ name: "a", type: "float32", dims: D4 }] })),
  BatchNormalization: floatOnly(() => ({ inputs: [{ name: "a", type: "float32", dims: D4 }, ...["s", "b", "m"].map((name) => ({ name, type: "float32" as const, dims: [2] })), { name: "v", type: "float32", dims: [2], positive: true }] })),
  LayerNormalization: floatOnly(() => ({ inputs: [{ name: "a", type: "float32", dims: D3 }, { name: "s", type: "float32", dims: [4] }] })),
  Concat: () => ({ inputs: [{ name: "a", type: "float32", dims: D3 }, { name: "b", type: "float32", dims: D3 }], attributes: [int("axis", 1)] }),
  Where: () => ({ inputs: [{ name: "c", type: "bool", dims: D3 }, { name: "a", type: "float32", dims: D3 }, { name: "b", type: "float32", dims: D3 }] }),
  Cast: () => ({ inputs: [{ name: "a", type: "float32", dims: D3 }], attributes: [int("to", 1)] }),
  Expand: () => ({ inputs: [{ name: "a", type: "float32", dims: [1, 3, 1] }], initializers: [i64("shape", [3], [2, 3, 4])] }),
  Tile: () => ({ inputs: [{ name: "a", type: "float32", dims: D3 }], initializers: [i64("repeats", [3], [1, 2, 1])] }),
  Pad: () => ({ inputs: [{ name: "a", type: "float32", dims: D3 }], initializers: [i64("pads", [6], [0, 1, 0, 0, 1, 2])] }),
  CumSum: () => ({ inputs: [{ name: "a", type: "float32", dims: D3 }], initializers: [i64("axis", [], [1])] }),
  TopK: () => ({ inputs: [{ name: "a", type: "float32", dims: D3 }], initializers: [i64("k", [1], [2])], outputs: ["y", "indices"] }),
  Gather: () => ({ inputs: [{ name: "a", type: "float32", dims: D3 }], initializers: [i64("indices", [2], [2, 0])], attributes: [int("axis", 1)] }),
  GatherElements: () => ({ inputs: [{ name: "a", type: "float32", dims: D3 }], initializers: [i64("indices", D3, Array.from({ length: 24 }, (_, i) => i % 3))], attributes: [int("axis", 1)] }),
  ScatterND: () => ({ inputs: [{ name: "a", type: "float32", dims: D3 }, { name: "u", type: "float32", dims: [1, 3, 4] }], initializers: [i64("indices", [1, 1], [1])], order: ["a", "indices", "u"] }),
  DepthToSpace: () => ({ inputs: [{ name: "a", type: "float32", dims: [1, 4, 2, 2] }], attributes: [int("blocksize", 2)] }),
  Resize: () => ({ inputs: [{ name: "a", type: "float32", dims: D4 }], initializers: [makeTensor("scales", "float32", [4], Float32Array.of(1, 1, 2, 2))], order: ["a", "", "scales"] }),
  Einsum: () => ({ inputs: [{ name: "a", type: "float32", dims: [3, 4] }, { name: "b", type: "float32", dims: [4, 5] }], attributes: [{ name: "equation", type: A.STRING, s: Buffer.from("ij,jk->ik") }] }),
  LpNormalization: floatOnly(one()),
  InstanceNormalization: floatOnly(() => ({ inputs: [{ name: "a", type: "float32", dims: D4 }, { name: "s", type: "float32", dims: [2] }, { name: "b", type: "float32", dims: [2] }] })),
};

/** Seeded values of a type (bit patterns for the 16-bit floats), small enough that integer products stay exact. */
function values(type: TensorType | "bool", n: number, seed: number, positive = false): Tensor["data"] {
  const v = Array.from({ length: n }, (_, i) => { const x = Math.sin(seed * 13 + i * 1.7) * 4; return positive ? Math.abs(x) + 0.5 : x; });
  switch (type) {
    case "float32": return Float32Array.from(v);
    case "float64": return Float64Array.from(v);
    case "float16": return Uint16Array.from(v, numberToFloat16Bits);
    case "int32": return Int32Array.from(v, (x) => Math.round(x) + (positive ? 1 : 0));
    case "int64": return BigInt64Array.from(v, (x) => BigInt(Math.round(x) + (positive ? 1 : 0)));
    case "int8": return Int8Array.from(v, (x) => Math.round(x) + (positive ? 1 : 0));
    case "uint8": return Uint8Array.from(v, (x) => Math.abs(Math.round(x)) + (positive ? 1 : 0));
    case "bool": return Uint8Array.from(v, (x) => (x > 0 ? 1 : 0));
    default: throw new Error(type);
  }
}

function decoded(type: string, data: ArrayLike<number | bigint>): number[] {
  if (type === "float16") return Array.from(data as Uint16Array, float16BitsToNumber);
  return Array.from(data, Number);
}

/** How far apart two runtimes may be: exact on integers, a few units in the last place of each float type. */
const TOLERANCE: Record<string, number> = { float32: 2e-5, float64: 1e-9, float16: 4e-3 };

for (const [op, make] of Object.entries(OPS)) {
  test(`${op}: on every element type ONNX Runtime runs, qkit runs it and agrees`, async () => {
    const problems: string[] = [];
    let compared = 0;
    for (const type of TYPES) {
      const spec = make(type);
      if (!spec) continue;
      const inputs = spec.inputs.map((i) => ({ ...i, type: i.type === "bool" ? "bool" as const : type }));
      const outputs = spec.outputs ?? ["y"];
      const graph = onnx.GraphProto.create({
        name: op,
        node: [onnx.NodeProto.create({ opType: op, name: "n", input: spec.order ?? [...inputs.map((i) => i.name), ...(spec.initializers ?? []).map((t) => t.name)], output: outputs, attribute: spec.attributes ?? [] })],
        input: inputs.map((i) => onnx.ValueInfoProto.create({ name: i.name, type: { tensorType: { elemType: dataTypeCode(i.type), shape: { dim: i.dims.map((d) => ({ dimValue: d })) } } } })),
        initializer: spec.initializers ?? [],
        output: outputs.map((name) => onnx.ValueInfoProto.create({ name })),
      });
      const bytes = onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 9, opsetImport: [{ domain: "", version: spec.opset ?? 18 }], graph })).finish();
      const feeds = inputs.map((i, k) => ({ ...i, data: values(i.type, i.dims.reduce((a, b) => a * b, 1), k + 1, i.positive) }));
      let want: Record<string, { type: string; data: ArrayLike<number | bigint>; dims: readonly number[] }>;
      try {
        const session = await ort.InferenceSession.create(bytes);
        want = await session.run(Object.fromEntries(feeds.map((f) => [f.name, new ort.Tensor(f.type as "float32", f.data as Float32Array, f.dims)]))) as typeof want;
      } catch {
        continue;
      }
      let got: Record<string, Tensor>;
      try {
        const session = await createSession(bytes);
        got = await session.run(Object.fromEntries(feeds.map((f) => [f.name, new Tensor(f.type as TensorType, f.data, f.dims)])));
        await session.release();
      } catch (error) {
        problems.push(`${type}: ONNX Runtime runs it, qkit says ${(error as Error).message}`);
        continue;
      }
      compared++;
      for (const name of outputs) {
        const g = got[name]!;
        const w = want[name]!;
        if (g.type !== w.type) { problems.push(`${type}: ${name} is ${g.type}, ONNX Runtime's ${w.type}`); continue; }
        if (g.dims.join() !== w.dims.join()) { problems.push(`${type}: ${name} has shape [${g.dims}], ONNX Runtime's [${w.dims}]`); continue; }
        const gv = decoded(g.type, g.data as ArrayLike<number | bigint>);
        const wv = decoded(w.type, w.data);
        const tolerance = TOLERANCE[g.type] ?? 0;
        const bad = wv.findIndex((x, i) => !(Object.is(x, gv[i]) || (Number.isNaN(x) && Number.isNaN(gv[i]!)) || Math.abs(x - gv[i]!) <= tolerance * Math.max(1, Math.abs(x))));
        if (bad >= 0) problems.push(`${type}: ${name}[${bad}] = ${gv[bad]}, ONNX Runtime's ${wv[bad]}`);
      }
    }
    assert.deepEqual(problems, []);
    assert.ok(compared > 0, `${op}: ONNX Runtime ran none of its cases, so nothing was compared`);
  });
}
