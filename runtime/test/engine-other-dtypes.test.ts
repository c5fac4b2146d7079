import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { onnx, createSession, Tensor } from "../src/tooling.js";
import { modelBytes, node, valueInfo } from "./helpers/build.js";

const ort = createRequire(__filename)("onnxruntime-node") as typeof import("onnxruntime-node");
const A = onnx.AttributeProto.AttributeType;
const ints = (name: string, v: number[]): onnx.IAttributeProto => ({ name, type: A.INTS, ints: v });
const int = (name: string, i: number): onnx.IAttributeProto => ({ name, type: A.INT, i });
const float = (name: string, f: number): onnx.IAttributeProto => ({ name, type: A.FLOAT, f });

type Typed = Float64Array | Int32Array | BigInt64Array | Int8Array | Uint8Array;
type Numeric = "float64" | "int32" | "int64" | "int8" | "uint8";

/** Seeded values of a type; integers small enough that no product of the tests overflows unless it means to. */
function values(type: Numeric, n: number, seed: number, scale = 9): Typed {
  const v = Array.from({ length: n }, (_, i) => Math.sin(seed * 7.3 + i * 1.31) * scale);
  switch (type) {
    case "float64": return Float64Array.from(v);
    case "int32": return Int32Array.from(v, Math.round);
    case "int64": return BigInt64Array.from(v, (x) => BigInt(Math.round(x)));
    case "int8": return Int8Array.from(v, Math.round);
    case "uint8": return Uint8Array.from(v, (x) => Math.round(Math.abs(x) * 10));
  }
}

/** Every output of a one-graph model on qkit (1 and 2 threads) against onnxruntime-node: type, shape and values. */
async function assertAsOrt(bytes: Uint8Array, feeds: Record<string, { type: Numeric; data: Typed; dims: number[] }>, what: string): Promise<void> {
  const reference = await ort.InferenceSession.create(bytes);
  const want = await reference.run(Object.fromEntries(Object.entries(feeds).map(([k, f]) => [k, new ort.Tensor(f.type as "float32", f.data as unknown as Float32Array, f.dims)])));
  for (const threads of [1, 2]) {
    const session = await createSession(bytes, { threads });
    try {
      const got = await session.run(Object.fromEntries(Object.entries(feeds).map(([k, f]) => [k, new Tensor(f.type, f.data, f.dims)])));
      for (const name of reference.outputNames) {
        assert.equal(got[name]!.type, want[name]!.type, `${what}: ${name}'s type`);
        assert.deepEqual([...got[name]!.dims], [...want[name]!.dims], `${what}: ${name}'s shape`);
        const g = got[name]!.data as ArrayLike<number | bigint>;
        const w = want[name]!.data as ArrayLike<number | bigint>;
        for (let i = 0; i < w.length; i++) {
          if (typeof w[i] === "bigint" || Number.isInteger(w[i])) assert.equal(g[i], w[i], `${what}: ${name}[${i}]`);
          else {
            // float64 to its precision; float32 within an ulp or two (ONNX Runtime sums in float32, qkit in float64).
            const tolerance = want[name]!.type === "float32" ? 1e-6 : 1e-9;
            assert.ok(Math.abs(Number(g[i]) - Number(w[i])) <= tolerance * Math.max(1, Math.abs(Number(w[i]))), `${what}: ${name}[${i}] ${g[i]} vs ${w[i]}`);
          }
        }
      }
    } finally {
      await session.release();
    }
  }
}

for (const type of ["float64", "int32", "int64"] as const) {
  test(`MatMul on ${type}: broadcast batches, a 1-D operand, a constant B, and transposes the engine folds in, as ONNX Runtime computes`, async () => {
    const feeds = { a: { type, data: values(type, 2 * 3 * 4 * 5, 1), dims: [2, 3, 4, 5] }, b: { type, data: values(type, 3 * 6 * 5, 2), dims: [3, 6, 5] }, v: { type, data: values(type, 5, 3), dims: [5] } };
    const bytes = modelBytes({
      name: `matmul-${type}`,
      node: [
        node("Transpose", ["b"], ["bt"], [ints("perm", [0, 2, 1])]),
        node("MatMul", ["a", "bt"], ["y"]),
        node("Transpose", ["y"], ["yt"], [ints("perm", [1, 0, 2, 3])]),
        node("MatMul", ["a", "v"], ["av"]),
        node("MatMul", ["a", "w"], ["aw"]),
        // Relu on int64 is not in ONNX Runtime: a Clip at 0 is.
        type === "int64" ? node("Max", ["aw", "zero"], ["awr"]) : node("Relu", ["aw"], ["awr"]),
      ],
      initializer: [onnx.TensorProto.fromObject({ name: "w", dataType: onnx.TensorProto.DataType[type.toUpperCase() === "FLOAT64" ? "DOUBLE" : type.toUpperCase() as "INT32"], dims: [5, 2], rawData: new Uint8Array(values(type, 10, 4).buffer) }),
        onnx.TensorProto.fromObject({ name: "zero", dataType: 7, dims: [], rawData: new Uint8Array(8) })],
      input: [valueInfo("a", type, [2, 3, 4, 5]), valueInfo("b", type, [3, 6, 5]), valueInfo("v", type, [5])],
      output: [valueInfo("yt", type, [3, 2, 4, 6]), valueInfo("av", type, [2, 3, 4]), valueInfo("awr", type, [2, 3, 4, 2])],
    }, { opset: 17 });
    await assertAsOrt(bytes, feeds, `MatMul ${type}`);
  });
}

test("int32 MatMul wraps as ONNX Runtime's int32 arithmetic does", async () => {
  const big = Int32Array.from({ length: 8 }, (_, i) => 2_000_000_000 - i * 3);
  const bytes = modelBytes({
    name: "matmul-wrap", node: [node("MatMul", ["a", "b"], ["y"])],
    input: [valueInfo("a", "int32", [2, 4]), valueInfo("b", "int32", [4, 2])], output: [valueInfo("y", "int32", [2, 2])],
  }, { opset: 17 });
  await assertAsOrt(bytes, { a: { type: "int32", data: big, dims: [2, 4] }, b: { type: "int32", data: Int32Array.from(big).reverse(), dims: [4, 2] } }, "int32 wrap");
});

for (const [transA, transB, cDims] of [[0, 0, [4]], [1, 0, [3, 1]], [0, 1, [3, 4]], [1, 1, []]] as const) {
  test(`Gemm on float64 (transA=${transA}, transB=${transB}, C of shape [${cDims.join(", ")}], alpha and beta) as ONNX Runtime computes`, async () => {
    const aDims = transA ? [5, 3] : [3, 5];
    const bDims = transB ? [4, 5] : [5, 4];
    const bytes = modelBytes({
      name: "gemm-f64",
      node: [node("Gemm", ["a", "b", "c"], ["y"], [int("transA", transA), int("transB", transB), float("alpha", 0.75), float("beta", -1.5)])],
      input: [valueInfo("a", "float64", aDims), valueInfo("b", "float64", bDims), valueInfo("c", "float64", [...cDims])],
      output: [valueInfo("y", "float64", [3, 4])],
    }, { opset: 13 });
    const n = (d: readonly number[]) => d.reduce((x, y) => x * y, 1);
    await assertAsOrt(bytes, {
      a: { type: "float64", data: values("float64", 15, 5), dims: aDims },
      b: { type: "float64", data: values("float64", 20, 6), dims: bDims },
      c: { type: "float64", data: values("float64", n(cDims), 7), dims: [...cDims] },
    }, "Gemm float64");
  });
}

for (const type of ["float64", "int8", "uint8"] as const) {
  test(`MaxPool on ${type}: 1-D, 2-D with pads, strides, dilations and ceil_mode, and 3-D, as ONNX Runtime computes`, async () => {
    const bytes = modelBytes({
      name: `maxpool-${type}`,
      node: [
        node("MaxPool", ["x1"], ["y1"], [ints("kernel_shape", [3]), ints("strides", [2]), ints("pads", [1, 1])]),
        node("MaxPool", ["x2"], ["y2"], [ints("kernel_shape", [3, 2]), ints("strides", [2, 2]), ints("pads", [1, 0, 1, 1]), ints("dilations", [1, 2]), int("ceil_mode", 1)]),
        node("MaxPool", ["x3"], ["y3"], [ints("kernel_shape", [2, 2, 2]), ints("strides", [1, 2, 2])]),
      ],
      input: [valueInfo("x1", type, [1, 2, 9]), valueInfo("x2", type, [2, 3, 7, 8]), valueInfo("x3", type, [1, 2, 3, 4, 4])],
      output: [valueInfo("y1", type, [1, 2, 5]), valueInfo("y2", type, [2, 3, 5, 3]), valueInfo("y3", type, [1, 2, 2, 2, 2])],
    }, { opset: 12 });
    await assertAsOrt(bytes, {
      x1: { type, data: values(type, 18, 1), dims: [1, 2, 9] },
      x2: { type, data: values(type, 2 * 3 * 56, 2), dims: [2, 3, 7, 8] },
      x3: { type, data: values(type, 96, 3), dims: [1, 2, 3, 4, 4] },
    }, `MaxPool ${type}`);
  });
}

test("LayerNormalization on float64, with its mean and inverse standard deviation, as ONNX Runtime computes", async () => {
  const bytes = modelBytes({
    name: "layernorm-f64",
    node: [node("LayerNormalization", ["x", "s", "b"], ["y", "mean", "invStd"], [int("axis", -2), float("epsilon", 1e-3)])],
    input: [valueInfo("x", "float64", [2, 3, 4, 5]), valueInfo("s", "float64", [4, 5]), valueInfo("b", "float64", [4, 5])],
    output: [valueInfo("y", "float64", [2, 3, 4, 5]), valueInfo("mean", "float32", [2, 3, 1, 1]), valueInfo("invStd", "float32", [2, 3, 1, 1])],
  }, { opset: 17 });
  await assertAsOrt(bytes, {
    x: { type: "float64", data: values("float64", 120, 1), dims: [2, 3, 4, 5] },
    s: { type: "float64", data: values("float64", 20, 2, 1), dims: [4, 5] },
    b: { type: "float64", data: values("float64", 20, 3, 1), dims: [4, 5] },
  }, "LayerNormalization float64");
});

test("BatchNormalization on float64 as ONNX Runtime computes", async () => {
  const p = (name: string, seed: number, lo = 0) => ({ type: "float64" as const, data: (values("float64", 3, seed, 1) as Float64Array).map((v) => v + lo), dims: [3] });
  const bytes = modelBytes({
    name: "bn-f64", node: [node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], [float("epsilon", 1e-3)])],
    input: ["x", "s", "b", "m", "v"].map((n) => valueInfo(n, "float64", n === "x" ? [2, 3, 4, 4] : [3])), output: [valueInfo("y", "float64", [2, 3, 4, 4])],
  }, { opset: 15 });
  await assertAsOrt(bytes, { x: { type: "float64", data: values("float64", 96, 1), dims: [2, 3, 4, 4] }, s: p("s", 2), b: p("b", 3), m: p("m", 4), v: p("v", 5, 2) }, "BatchNormalization float64");
});

for (const [type, p, axis] of [["float32", 2, -1], ["float32", 1, 1], ["float64", 2, 0]] as const) {
  test(`LpNormalization (p=${p}, axis ${axis}) on ${type}, a zero vector among them, as ONNX Runtime computes`, async () => {
    const data = type === "float64" ? values("float64", 24, 1) as Float64Array : Float32Array.from(values("float64", 24, 1) as Float64Array);
    data.fill(0, 0, 4);
    const bytes = modelBytes({
      name: "lp-norm", node: [node("LpNormalization", ["x"], ["y"], [int("p", p), int("axis", axis)])],
      input: [valueInfo("x", type, [2, 3, 4])], output: [valueInfo("y", type, [2, 3, 4])],
    }, { opset: 13 });
    await assertAsOrt(bytes, { x: { type: type as "float64", data: data as Float64Array, dims: [2, 3, 4] } }, `LpNormalization ${type}`);
  });
}

test("Einsum on int64 (a contraction and a trace) as ONNX Runtime computes", async () => {
  const bytes = modelBytes({
    name: "einsum-i64",
    node: [node("Einsum", ["a", "b"], ["y"], [{ name: "equation", type: A.STRING, s: Buffer.from("bij,bjk->bik") }]),
      node("Einsum", ["c"], ["t"], [{ name: "equation", type: A.STRING, s: Buffer.from("ii->") }])],
    input: [valueInfo("a", "int64", [2, 3, 4]), valueInfo("b", "int64", [2, 4, 5]), valueInfo("c", "int64", [3, 3])],
    output: [valueInfo("y", "int64", [2, 3, 5]), valueInfo("t", "int64", [])],
  }, { opset: 12 });
  await assertAsOrt(bytes, {
    a: { type: "int64", data: values("int64", 24, 1), dims: [2, 3, 4] }, b: { type: "int64", data: values("int64", 40, 2), dims: [2, 4, 5] },
    c: { type: "int64", data: values("int64", 9, 3), dims: [3, 3] },
  }, "Einsum int64");
});

test("a float16 model whose output comes from operators shape inference has no rule for returns float16, as declared", async () => {
  const bytes = modelBytes({
    name: "f16-einsum",
    node: [node("Einsum", ["a", "a"], ["y"], [{ name: "equation", type: A.STRING, s: Buffer.from("ij,jk->ik") }]), node("Det", ["a"], ["d"])],
    input: [valueInfo("a", "float16", [3, 3])],
    output: ["y", "d"].map((name) => new onnx.ValueInfoProto({ name, type: { tensorType: { elemType: 10 } } })),
  }, { opset: 17 });
  const session = await createSession(bytes);
  try {
    const out = await session.run({ a: new Tensor("float16", Uint16Array.from({ length: 9 }, (_, i) => 0x3c00 + i * 64), [3, 3]) });
    assert.equal(out.y!.type, "float16");
    assert.equal(out.d!.type, "float16", "Det, which shape inference knows only by the declared output");
  } finally {
    await session.release();
  }
});

// ONNX Runtime's Resize takes no int64.
for (const type of ["uint8", "int8", "int32"] as const) {
  test(`Resize in nearest mode on ${type} (a quantized model's upsampling runs on its codes): up, down, three coordinate modes, as ONNX Runtime computes`, async () => {
    const scales = (name: string, v: number[]) => onnx.TensorProto.fromObject({ name, dataType: 1, dims: [v.length], floatData: v });
    const str = (name: string, s: string) => ({ name, type: A.STRING, s: Buffer.from(s) });
    const bytes = modelBytes({
      name: `resize-${type}`,
      node: [
        node("Resize", ["x", "", "up"], ["y1"], [str("mode", "nearest")]),
        node("Resize", ["x", "", "down"], ["y2"], [str("mode", "nearest"), str("coordinate_transformation_mode", "asymmetric"), str("nearest_mode", "floor")]),
        node("Resize", ["x", "", "odd"], ["y3"], [str("mode", "nearest"), str("coordinate_transformation_mode", "align_corners"), str("nearest_mode", "round_prefer_ceil")]),
        node("Resize", ["v", "", "along"], ["y4"], [str("mode", "nearest")]),
      ],
      initializer: [scales("up", [1, 1, 2, 2]), scales("down", [1, 1, 0.5, 0.75]), scales("odd", [1, 1, 1.6, 2.5]), scales("along", [1, 3, 1])],
      input: [valueInfo("x", type, [1, 2, 5, 4]), valueInfo("v", type, [2, 3, 4])],
      output: [valueInfo("y1", type, [1, 2, 10, 8]), valueInfo("y2", type, [1, 2, 2, 3]), valueInfo("y3", type, [1, 2, 8, 10]), valueInfo("y4", type, [2, 9, 4])],
    }, { opset: 13 });
    await assertAsOrt(bytes, { x: { type, data: values(type, 40, 1), dims: [1, 2, 5, 4] }, v: { type, data: values(type, 24, 2), dims: [2, 3, 4] } }, `Resize ${type}`);
  });
}
