import { test } from "node:test";
import assert from "node:assert/strict";
import { attributes, loadModel, makeTensor, onnx } from "../src/tooling.js";
import { findMatMulTransposes } from "../src/engine/fuse-matmul-transpose.js";
import { Tensor } from "../src/engine/index.js";
import { createSession } from "../src/session/create-session.js";
import { modelBytes, node, valueInfo } from "./helpers/build.js";

// Softmax, LayerNormalization, Reduce* and MatMul against plain float64 definitions, on odd sizes, every axis
// variant, broadcast batches and 1 and 2 threads.

function random(n: number, seed: number, scale = 1): Float32Array {
  let s = seed;
  return new Float32Array(n).map(() => {
    s = (s * 1103515245 + 12345) >>> 0;
    return ((s / 2 ** 32) * 2 - 1) * scale;
  });
}

const size = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);
const stridesOf = (dims: readonly number[]) => dims.map((_, i) => size(dims.slice(i + 1)));

function assertClose(actual: Float32Array, expected: ArrayLike<number>, what: string, tol = 1e-5): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    const e = expected[i]!;
    const ok = Number.isNaN(e) ? Number.isNaN(actual[i]!) : Math.abs(actual[i]! - e) <= tol * Math.max(1, Math.abs(e));
    assert.ok(ok, `${what}: element ${i} is ${actual[i]}, expected ${e}`);
  }
}

interface Built {
  nodes: onnx.NodeProto[];
  inputs: [string, number[]][];
  initializers?: onnx.ITensorProto[];
  outputs: string[];
  opset?: number;
}

async function run(b: Built, feeds: Record<string, Float32Array>, threads = 1): Promise<{ out: Record<string, Tensor>; runs: Record<string, number> }> {
  const bytes = modelBytes({
    name: "t",
    node: b.nodes,
    input: b.inputs.map(([n, d]) => valueInfo(n, "float32", d)),
    output: b.outputs.map((n) => valueInfo(n, "float32", [])),
    initializer: b.initializers ?? [],
  }, { opset: b.opset ?? 17 });
  const session = await createSession(bytes, { threads });
  try {
    const out = await session.run(Object.fromEntries(b.inputs.map(([n, d]) => [n, new Tensor("float32", feeds[n]!, d)])));
    return { out: out as Record<string, Tensor>, runs: session.kernelRuns() };
  } finally {
    await session.release();
  }
}

// ---- Softmax / LogSoftmax ----

/** Softmax along `axis` (opset ≥ 13), or over the flattened axes from `axis` on (before). */
function softmaxRef(x: Float32Array, dims: number[], axis: number, log: boolean, modern: boolean): Float64Array {
  const outer = size(dims.slice(0, axis));
  const n = modern ? dims[axis]! : size(dims.slice(axis));
  const inner = modern ? size(dims.slice(axis + 1)) : 1;
  const y = new Float64Array(x.length);
  for (let o = 0; o < outer; o++) for (let q = 0; q < inner; q++) {
    const at = (i: number) => (o * n + i) * inner + q;
    let m = -Infinity;
    for (let i = 0; i < n; i++) m = Math.max(m, x[at(i)]!);
    let s = 0;
    for (let i = 0; i < n; i++) s += Math.exp(x[at(i)]! - m);
    for (let i = 0; i < n; i++) y[at(i)] = log ? x[at(i)]! - m - Math.log(s) : Math.exp(x[at(i)]! - m) / s;
  }
  return y;
}

for (const [dims, axis, opset, scale] of [
  [[3, 197, 197], -1, 17, 1], [[2, 5, 7], 1, 13, 30], [[4, 3, 6], 0, 13, 1], [[2, 3, 5, 9], 2, 13, 80],
  [[2, 3, 5], 1, 11, 1], [[1, 13], -1, 13, 1e-3], [[6, 1, 3], 1, 13, 5], [[5, 9, 2], -1, 11, 50],
] as [number[], number, number, number][]) {
  for (const op of ["Softmax", "LogSoftmax"]) {
    test(`${op} over [${dims}] axis ${axis} (opset ${opset}, magnitude ${scale}) matches its definition`, async () => {
      const x = random(size(dims), dims.length * 7 + axis + 11, scale);
      const norm = axis < 0 ? axis + dims.length : axis;
      const ref = softmaxRef(x, dims, norm, op === "LogSoftmax", opset >= 13);
      for (const threads of [1, 2]) {
        const { out } = await run({ nodes: [node(op, ["x"], ["y"], [attributes.intAttribute("axis", axis)])], inputs: [["x", dims]], outputs: ["y"], opset }, { x }, threads);
        assertClose(out.y!.data as Float32Array, ref, `${op} ${threads} threads`);
      }
    });
  }
}

test("Softmax's exponential is within 1e-6 relative over the whole range it is used on ([-87, 0])", async () => {
  // Rows [0, t]: the second output is e^t / (1 + e^t), so its error is the exponential's.
  const ts: number[] = [];
  for (let t = -87; t <= 0; t += 0.0173) ts.push(t);
  const x = new Float32Array(ts.length * 2);
  ts.forEach((t, i) => (x[2 * i + 1] = t));
  const { out } = await run({ nodes: [node("Softmax", ["x"], ["y"], [attributes.intAttribute("axis", -1)])], inputs: [["x", [ts.length, 2]]], outputs: ["y"] }, { x });
  const y = out.y!.data as Float32Array;
  let worst = 0;
  ts.forEach((_, i) => {
    const t = x[2 * i + 1]!;
    const e = Math.exp(t) / (1 + Math.exp(t));
    worst = Math.max(worst, Math.abs(y[2 * i + 1]! - e) / e);
  });
  assert.ok(worst <= 1e-6, `worst relative error ${worst}`);
});

// ---- LayerNormalization, InstanceNormalization ----

function layerNormRef(x: Float32Array, rows: number, n: number, g: (i: number, r: number) => number, b: (i: number, r: number) => number, eps: number) {
  const y = new Float64Array(x.length);
  const mean = new Float64Array(rows);
  const inv = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let m = 0;
    for (let i = 0; i < n; i++) m += x[r * n + i]!;
    m /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (x[r * n + i]! - m) ** 2;
    const s = 1 / Math.sqrt(v / n + eps);
    for (let i = 0; i < n; i++) y[r * n + i] = (x[r * n + i]! - m) * s * g(i, r) + b(i, r);
    mean[r] = m;
    inv[r] = s;
  }
  return { y, mean, inv };
}

for (const [dims, axis, withBias, stats] of [
  [[1, 197, 192], -1, true, false], [[2, 7, 13], -1, false, true], [[3, 4, 5], 1, true, true], [[2, 3], 0, true, false],
  [[5, 1, 3], -2, true, false],
] as [number[], number, boolean, boolean][]) {
  test(`LayerNormalization over [${dims}] from axis ${axis}${withBias ? "" : " without B"}${stats ? " with Mean and InvStdDev" : ""}`, async () => {
    const norm = axis < 0 ? axis + dims.length : axis;
    const n = size(dims.slice(norm));
    const rows = size(dims.slice(0, norm));
    const x = random(size(dims), 3 + n, 4);
    for (let i = 0; i < x.length; i++) x[i] = x[i]! + 10; // a mean far from 0: the variance must not cancel
    const gamma = random(n, 5);
    const beta = random(n, 6);
    const ref = layerNormRef(x, rows, n, (i) => gamma[i]!, (i) => (withBias ? beta[i]! : 0), 1e-5);
    const outs = stats ? ["y", "mean", "inv"] : ["y"];
    for (const threads of [1, 2]) {
      const { out, runs } = await run({
        nodes: [node("LayerNormalization", ["x", "g", ...(withBias ? ["b"] : [])], outs, [attributes.intAttribute("axis", axis)])],
        inputs: [["x", dims]],
        initializers: [makeTensor("g", "float32", dims.slice(norm), gamma), makeTensor("b", "float32", dims.slice(norm), beta)] as onnx.ITensorProto[],
        outputs: outs,
      }, { x }, threads);
      assert.deepEqual(runs, { "layer-norm": 1 });
      assertClose(out.y!.data as Float32Array, ref.y, `y, ${threads} threads`, 2e-5);
      if (stats) {
        assert.deepEqual(out.mean!.dims, dims.map((d, i) => (i < norm ? d : 1)));
        assertClose(out.mean!.data as Float32Array, ref.mean, "mean");
        assertClose(out.inv!.data as Float32Array, ref.inv, "inverse standard deviation", 2e-5);
      }
    }
  });
}

test("InstanceNormalization normalises every (batch, channel) plane and applies the channel's scale and shift", async () => {
  const dims = [2, 3, 5, 7];
  const x = random(size(dims), 21, 3);
  const scale = random(3, 22);
  const bias = random(3, 23);
  const ref = layerNormRef(x, 6, 35, (_, r) => scale[r % 3]!, (_, r) => bias[r % 3]!, 1e-3);
  const { out } = await run({
    nodes: [node("InstanceNormalization", ["x", "s", "b"], ["y"], [attributes.floatAttribute("epsilon", 1e-3)])],
    inputs: [["x", dims]],
    initializers: [makeTensor("s", "float32", [3], scale), makeTensor("b", "float32", [3], bias)] as onnx.ITensorProto[],
    outputs: ["y"],
  }, { x });
  assertClose(out.y!.data as Float32Array, ref.y, "y", 2e-5);
});

// ---- Reduce* ----

const REDUCE: Record<string, { init: number; step: (a: number, x: number) => number; finish: (a: number, n: number) => number }> = {
  ReduceSum: { init: 0, step: (a, x) => a + x, finish: (a) => a },
  ReduceMean: { init: 0, step: (a, x) => a + x, finish: (a, n) => a / n },
  ReduceMax: { init: -Infinity, step: (a, x) => Math.max(a, x), finish: (a) => a },
  ReduceMin: { init: Infinity, step: (a, x) => Math.min(a, x), finish: (a) => a },
  ReduceProd: { init: 1, step: (a, x) => a * x, finish: (a) => a },
  ReduceSumSquare: { init: 0, step: (a, x) => a + x * x, finish: (a) => a },
  ReduceL1: { init: 0, step: (a, x) => a + Math.abs(x), finish: (a) => a },
  ReduceL2: { init: 0, step: (a, x) => a + x * x, finish: (a) => Math.sqrt(a) },
  ReduceLogSum: { init: 0, step: (a, x) => a + x, finish: (a) => Math.log(a) },
  ReduceLogSumExp: { init: 0, step: (a, x) => a + Math.exp(x), finish: (a) => Math.log(a) },
};

function reduceRef(op: string, x: Float32Array, dims: number[], axes: number[]): Float64Array {
  const r = REDUCE[op]!;
  const outDims = dims.map((d, i) => (axes.includes(i) ? 1 : d));
  const acc = new Float64Array(size(outDims)).fill(r.init);
  const st = stridesOf(dims);
  const ost = stridesOf(outDims);
  for (let i = 0; i < x.length; i++) {
    let o = 0;
    for (let d = 0; d < dims.length; d++) if (!axes.includes(d)) o += (Math.floor(i / st[d]!) % dims[d]!) * ost[d]!;
    acc[o] = r.step(acc[o]!, x[i]!);
  }
  const n = size(axes.map((a) => dims[a]!));
  return acc.map((a) => r.finish(a, n));
}

for (const [dims, axes] of [
  [[2, 9, 13], [2]], [[2, 9, 13], [1]], [[3, 4, 5, 6], [2, 3]], [[4, 7, 5], [0]], [[4, 1, 7, 5], [1, 2]], [[3, 5, 7], [0, 2]],
  [[6, 11], [0, 1]],
] as [number[], number[]][]) {
  for (const op of Object.keys(REDUCE)) {
    test(`${op} over axes [${axes}] of [${dims}] matches its definition`, async () => {
      // Positive inputs for the logarithms and the product stays in range; both signs for the rest.
      const positive = op === "ReduceLogSum" || op === "ReduceProd";
      const x = random(size(dims), 31 + dims.length + axes[0]!, positive ? 0.5 : 3);
      if (positive) for (let i = 0; i < x.length; i++) x[i] = x[i]! + 1;
      const ref = reduceRef(op, x, dims, axes);
      for (const keep of [1, 0]) {
        // ReduceSum takes its axes as an input from opset 13, the others from opset 18.
        const asInput = op === "ReduceSum";
        const { out } = await run({
          nodes: [node(op, asInput ? ["x", "axes"] : ["x"], ["y"], [...(asInput ? [] : [attributes.intsAttribute("axes", axes)]), attributes.intAttribute("keepdims", keep)])],
          inputs: [["x", dims]], outputs: ["y"], opset: 13,
          initializers: asInput ? [makeTensor("axes", "int64", [axes.length], BigInt64Array.from(axes, BigInt))] as onnx.ITensorProto[] : [],
        }, { x }, keep ? 1 : 2);
        assert.deepEqual(out.y!.dims, keep ? dims.map((d, i) => (axes.includes(i) ? 1 : d)) : dims.filter((_, i) => !axes.includes(i)));
        assertClose(out.y!.data as Float32Array, ref, `keepdims ${keep}`, 1e-5);
      }
    });
  }
}

test("ReduceMax and ReduceMin propagate NaN; ReduceLogSumExp is exact for large inputs", async () => {
  const x = new Float32Array([1, NaN, 3, 4, 500, 499, -1, -2]);
  for (const [op, expected] of [["ReduceMax", [NaN, 4, 500, -1]], ["ReduceMin", [NaN, 3, 499, -2]],
    ["ReduceLogSumExp", [NaN, 4 + Math.log(1 + Math.exp(-1)), 500 + Math.log(1 + Math.exp(-1)), -1 + Math.log(1 + Math.exp(-1))]]] as const) {
    const { out } = await run({ nodes: [node(op, ["x"], ["y"], [attributes.intsAttribute("axes", [1])])], inputs: [["x", [4, 2]]], outputs: ["y"], opset: 13 }, { x });
    assertClose(out.y!.data as Float32Array, expected, op);
  }
});

// ---- MatMul ----

function matmulRef(a: Float32Array, aDims: number[], b: Float32Array, bDims: number[]): { y: Float64Array; dims: number[] } {
  const A = aDims.length === 1 ? [1, aDims[0]!] : aDims;
  const B = bDims.length === 1 ? [bDims[0]!, 1] : bDims;
  const M = A[A.length - 2]!, K = A[A.length - 1]!, N = B[B.length - 1]!;
  const ab = A.slice(0, -2), bb = B.slice(0, -2);
  const rank = Math.max(ab.length, bb.length);
  const batch = Array.from({ length: rank }, (_, i) => Math.max(ab[ab.length - rank + i] ?? 1, bb[bb.length - rank + i] ?? 1));
  const bt = stridesOf(batch);
  const offset = (own: number[], i: number) => {
    let off = 0;
    let stride = 1;
    for (let d = own.length - 1; d >= 0; d--) {
      const idx = Math.floor(i / bt[d + rank - own.length]!) % batch[d + rank - own.length]!;
      off += (own[d] === 1 ? 0 : idx) * stride;
      stride *= own[d]!;
    }
    return off;
  };
  const y = new Float64Array(size(batch) * M * N);
  for (let i = 0; i < size(batch); i++) {
    const ao = offset(ab, i) * M * K, bo = offset(bb, i) * K * N;
    for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += a[ao + m * K + k]! * b[bo + k * N + n]!;
      y[(i * M + m) * N + n] = s;
    }
  }
  return { y, dims: [...batch, ...(aDims.length === 1 ? [] : [M]), ...(bDims.length === 1 ? [] : [N])] };
}

for (const [aDims, bDims, constB, batched] of [
  [[197, 1, 192], [192, 37], true, false], [[2, 13, 9], [9, 11], true, false], [[3, 17, 64], [3, 64, 19], false, true],
  [[2, 1, 5, 7], [3, 7, 6], false, true], [[4, 6, 5], [5, 9], false, false], [[5], [2, 5, 3], false, true],
  [[2, 3, 5], [5], false, false], [[2, 3, 9, 300], [2, 3, 300, 10], true, true], [[7, 8], [8, 9], false, false],
  [[1, 2, 3, 4], [1, 1, 4, 5], true, false], [[3, 197, 64], [3, 64, 197], false, true], [[2, 150, 130], [2, 130, 120], true, true],
] as [number[], number[], boolean, boolean][]) {
  test(`MatMul [${aDims}] × [${bDims}]${constB ? " (constant B)" : ""} in one kernel call matches its definition`, async () => {
    const a = random(size(aDims), 41 + aDims.length);
    const b = random(size(bDims), 43 + bDims.length);
    const ref = matmulRef(a, aDims, b, bDims);
    for (const threads of [1, 2]) {
      const { out, runs } = await run({
        nodes: [node("MatMul", ["a", "b"], ["y"])],
        inputs: constB ? [["a", aDims]] : [["a", aDims], ["b", bDims]],
        initializers: constB ? [makeTensor("b", "float32", bDims, b)] as onnx.ITensorProto[] : [],
        outputs: ["y"],
      }, { a, b }, threads);
      assert.deepEqual(runs, batched ? { "gemm-batched": 1 } : {}, "one batched call exactly when the batch does not fold into rows");
      assert.deepEqual(out.y!.dims, ref.dims);
      assertClose(out.y!.data as Float32Array, ref.y, `${threads} threads`, 1e-5);
    }
  });
}

// ---- Plan-time patterns: attention's Transposes read in place, decomposed LayerNorm as one kernel ----

function transposeRef(x: ArrayLike<number>, dims: number[], perm: number[]): Float64Array {
  const od = perm.map((p) => dims[p]!);
  const st = stridesOf(dims);
  const ost = stridesOf(od);
  const y = new Float64Array(x.length);
  for (let i = 0; i < y.length; i++) {
    let off = 0;
    for (let d = 0; d < od.length; d++) off += (Math.floor(i / ost[d]!) % od[d]!) * st[perm[d]!]!;
    y[i] = x[off]!;
  }
  return y;
}

/** Attention over H heads as exporters write it: K and V split from [S, H, D] by Transposes, heads merged back. */
function attention(H: number, S: number, D: number, kOutput: boolean): Built {
  return {
    nodes: [
      node("Transpose", ["k"], ["kt"], [attributes.intsAttribute("perm", [1, 2, 0])]),
      node("MatMul", ["q", "kt"], ["scores"]),
      node("Softmax", ["scores"], ["p"], [attributes.intAttribute("axis", -1)]),
      node("Transpose", ["v"], ["vh"], [attributes.intsAttribute("perm", [1, 0, 2])]),
      node("MatMul", ["p", "vh"], ["ctx"]),
      node("Transpose", ["ctx"], ["y"], [attributes.intsAttribute("perm", [1, 0, 2])]),
    ],
    inputs: [["q", [H, S, D]], ["k", [S, H, D]], ["v", [S, H, D]]],
    outputs: kOutput ? ["y", "kt"] : ["y"],
  };
}

for (const [kOutput, [H, S, D]] of [[false, [3, 21, 16]], [true, [3, 21, 16]], [false, [3, 197, 64]]] as const) {
  test(`attention over ${H}×${S}×${D} reads Kᵀ and V through strides and writes heads merged${kOutput ? " (Kᵀ also a graph output: materialised)" : ""}`, async () => {
    const q = random(H * S * D, 51), kIn = random(S * H * D, 52), vIn = random(S * H * D, 53);
    const kt = transposeRef(kIn, [S, H, D], [1, 2, 0]);
    const scores = matmulRef(q, [H, S, D], Float32Array.from(kt), [H, D, S]);
    const p = softmaxRef(Float32Array.from(scores.y), [H, S, S], 2, false, true);
    const ctx = matmulRef(Float32Array.from(p), [H, S, S], Float32Array.from(transposeRef(vIn, [S, H, D], [1, 0, 2])), [H, S, D]);
    const ref = transposeRef(ctx.y, [H, S, D], [1, 0, 2]);
    for (const threads of [1, 2]) {
      const { out, runs } = await run(attention(H, S, D, kOutput), { q, k: kIn, v: vIn }, threads);
      // Kᵀ as an output is materialised by a strided copy; otherwise the products read it through strides.
      assert.deepEqual(runs, kOutput ? { "gemm-batched": 2, "strided-floats": 1 } : { "gemm-batched": 2 });
      assert.deepEqual(out.y!.dims, [S, H, D]);
      assertClose(out.y!.data as Float32Array, ref, `${threads} threads`, 1e-5);
      if (kOutput) assertClose(out.kt!.data as Float32Array, kt, "Kᵀ");
    }
  });
}

test("the Transposes a MatMul absorbs never run; one with another user, or a graph output, stays", async () => {
  const graphOf = async (b: Built) => (await loadModel(modelBytes({
    name: "t", node: b.nodes, input: b.inputs.map(([n, d]) => valueInfo(n, "float32", d)),
    output: b.outputs.map((n) => valueInfo(n, "float32", [])),
  }, { opset: 17 }))).graph;
  const plain = findMatMulTransposes(await graphOf(attention(2, 5, 4, false)));
  const summary = (r: Map<{ name: string }, unknown>) => [...r].map(([n, v]) => `${n.name}:${v === "skip" ? "skip" : "runs"}`).sort();
  assert.deepEqual(summary(plain), ["MatMul_ctx:skip", "MatMul_scores:runs", "Transpose_kt:skip", "Transpose_vh:skip", "Transpose_y:runs"]);
  const kept = findMatMulTransposes(await graphOf(attention(2, 5, 4, true)));
  assert.deepEqual(summary(kept), ["MatMul_ctx:skip", "Transpose_vh:skip", "Transpose_y:runs"]);
});

/** x → ReduceMean → Sub → Pow(2) (or Mul) → ReduceMean → Add(eps) → Sqrt → Div [→ Mul(γ) → Add(β)], opset 13. */
function decomposedLayerNorm(dims: number[], affine: boolean, square: "Pow" | "Mul", extraOutput?: string): Built {
  const n = dims[dims.length - 1]!;
  const axes = [attributes.intsAttribute("axes", [-1])];
  return {
    nodes: [
      node("ReduceMean", ["x"], ["mean"], axes),
      node("Sub", ["x", "mean"], ["d"]),
      square === "Pow" ? node("Pow", ["d", "two"], ["sq"]) : node("Mul", ["d", "d"], ["sq"]),
      node("ReduceMean", ["sq"], ["var"], axes),
      node("Add", ["var", "eps"], ["ve"]),
      node("Sqrt", ["ve"], ["std"]),
      node("Div", ["d", "std"], affine ? ["norm"] : ["y"]),
      ...(affine ? [node("Mul", ["norm", "gamma"], ["scaled"]), node("Add", ["scaled", "beta"], ["y"])] : []),
    ],
    inputs: [["x", dims]],
    initializers: [
      makeTensor("two", "float32", [], Float32Array.of(2)), makeTensor("eps", "float32", [], Float32Array.of(1e-5)),
      makeTensor("gamma", "float32", [n], random(n, 61)), makeTensor("beta", "float32", [n], random(n, 62)),
    ] as onnx.ITensorProto[],
    outputs: extraOutput ? ["y", extraOutput] : ["y"],
    opset: 13,
  };
}

for (const [affine, square, extra] of [[true, "Pow", undefined], [false, "Mul", undefined], [true, "Pow", "d"]] as const) {
  test(`a decomposed LayerNorm (${square}${affine ? ", γ and β" : ""}) ${extra ? "with an intermediate graph output runs node by node" : "runs as one kernel"}`, async () => {
    const dims = [2, 7, 37];
    const x = random(size(dims), 63, 3);
    const n = 37;
    const gamma = random(n, 61), beta = random(n, 62);
    const ref = layerNormRef(x, 14, n, (i) => (affine ? gamma[i]! : 1), (i) => (affine ? beta[i]! : 0), 1e-5);
    const { out, runs } = await run(decomposedLayerNorm(dims, affine, square, extra), { x });
    // Run node by node, its ops go to their own kernels (elementwise, reductions), but never the LayerNorm kernel.
    assert.equal(runs["layer-norm"], extra ? undefined : 1, JSON.stringify(runs));
    if (!extra) assert.deepEqual(runs, { "layer-norm": 1 });
    assertClose(out.y!.data as Float32Array, ref.y, "y", 2e-5);
  });
}

// ---- A linear layer's bias Add runs in the GEMM ----

for (const [biasDims, biasFirst, productOutput, aDims] of [
  [[9], false, false, [2, 5, 7]], [[1, 9], true, false, [13, 7]], [[9], false, true, [2, 5, 7]], [[1, 9], false, false, [7]],
] as [number[], boolean, boolean, number[]][]) {
  test(`MatMul [${aDims}] then Add of a [${biasDims}] bias${biasFirst ? " (bias first)" : ""} ${productOutput ? "with the product a graph output runs node by node" : "runs as one GEMM"}`, async () => {
    const [K, N] = [7, 9];
    const x = random(size(aDims), 71);
    const w = random(K * N, 72);
    const bias = random(N, 73);
    const product = matmulRef(x, aDims, w, [K, N]);
    const outDims = biasDims.length > product.dims.length ? [1, ...product.dims] : product.dims;
    const ref = product.y.map((v, i) => v + bias[i % N]!);
    for (const threads of [1, 2]) {
      const { out, runs } = await run({
        nodes: [node("MatMul", ["x", "w"], ["p"]), node("Add", biasFirst ? ["b", "p"] : ["p", "b"], ["y"])],
        inputs: [["x", aDims]],
        initializers: [makeTensor("w", "float32", [K, N], w), makeTensor("b", "float32", biasDims, bias)] as onnx.ITensorProto[],
        outputs: productOutput ? ["y", "p"] : ["y"],
      }, { x }, threads);
      assert.deepEqual(runs, productOutput ? { broadcast: 1 } : {}, "the Add runs on its own exactly when the product is needed too");
      assert.deepEqual(out.y!.dims, outDims);
      assertClose(out.y!.data as Float32Array, ref, `y, ${threads} threads`);
      if (productOutput) assertClose(out.p!.data as Float32Array, product.y, "p");
    }
  });
}
