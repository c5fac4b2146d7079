import { test } from "node:test";
import assert from "node:assert/strict";
import { attributes, makeTensor, onnx } from "../src/tooling.js";
import { Tensor } from "../src/engine/index.js";
import { Kernels } from "../src/engine/kernels/kernels.js";
import { ACTIVATIONS } from "../src/engine/kernels/recurrent.js";
import { createSession } from "../src/session/create-session.js";
import { modelBytes, node, valueInfo } from "./helpers/build.js";

type Cell = "LSTM" | "GRU" | "RNN";

interface RnnCase {
  cell: Cell; T: number; B: number; I: number; H: number;
  direction?: "forward" | "reverse" | "bidirectional";
  layout?: 0 | 1;
  lens?: number[];
  initial?: boolean;
  peepholes?: boolean;
  bias?: boolean;
  clip?: number;
  linearBeforeReset?: boolean;
  inputForget?: boolean;
  acts?: string[];
  alphas?: number[];
  betas?: number[];
  /** Which of Y, Y_h, Y_c the node names (default all it has). */
  outputs?: boolean[];
  /** Weights as initializers (packed once) instead of graph inputs. */
  constant?: boolean;
}

const GATES: Record<Cell, number> = { LSTM: 4, GRU: 3, RNN: 1 };
const DEFAULT_ACTS: Record<Cell, string[]> = { LSTM: ["Sigmoid", "Tanh", "Tanh"], GRU: ["Sigmoid", "Tanh"], RNN: ["Tanh"] };

function random(n: number, seed: number, scale = 1): Float32Array {
  let s = seed;
  return new Float32Array(n).map(() => {
    s = (s * 1103515245 + 12345) >>> 0;
    return ((s / 2 ** 32) * 2 - 1) * scale;
  });
}

/** The ONNX activations, in float64, from their definitions. */
function activation(name: string, alpha: number, beta: number): (x: number) => number {
  switch (name.toLowerCase()) {
    case "sigmoid": return (x) => 1 / (1 + Math.exp(-x));
    case "tanh": return Math.tanh;
    case "relu": return (x) => Math.max(0, x);
    case "affine": return (x) => alpha * x + beta;
    case "leakyrelu": return (x) => (x >= 0 ? x : alpha * x);
    case "thresholdedrelu": return (x) => (x > alpha ? x : 0);
    case "scaledtanh": return (x) => alpha * Math.tanh(beta * x);
    case "hardsigmoid": return (x) => Math.min(1, Math.max(0, alpha * x + beta));
    case "elu": return (x) => (x >= 0 ? x : alpha * (Math.exp(x) - 1));
    case "softsign": return (x) => x / (1 + Math.abs(x));
    case "softplus": return (x) => Math.log(1 + Math.exp(x));
    default: throw new Error(name);
  }
}

interface Weights { x: Float32Array; w: Float32Array; r: Float32Array; b: Float32Array; p: Float32Array; h0: Float32Array; c0: Float32Array }

/** The recurrence straight from the ONNX operator definitions, in float64. */
function reference(c: RnnCase, v: Weights) {
  const { T, B, I, H, cell } = c;
  const G = GATES[cell];
  const D = c.direction === "bidirectional" ? 2 : 1;
  const layout = c.layout ?? 0;
  const clip = c.clip ?? Infinity;
  const cl = (x: number) => Math.min(Math.max(x, -clip), clip);
  const per = DEFAULT_ACTS[cell].length;
  let names = c.acts ?? Array.from({ length: D }, () => DEFAULT_ACTS[cell]).flat();
  if (names.length === per && D === 2) names = [...names, ...names];
  let ai = 0, bi = 0;
  const fns = names.map((n) => {
    const spec = ACTIVATIONS[n.toLowerCase()]!;
    const alpha = spec.alphas && ai < (c.alphas ?? []).length ? c.alphas![ai++]! : spec.alpha;
    const beta = spec.betas && bi < (c.betas ?? []).length ? c.betas![bi++]! : spec.beta;
    return activation(n, alpha, beta);
  });
  const X = (t: number, b: number, i: number) => v.x[(layout === 0 ? t * B + b : b * T + t) * I + i]!;
  const stateAt = (d: number, b: number) => (layout === 0 ? d * B + b : b * D + d) * H;
  const Y = new Float64Array(T * D * B * H);
  const yAt = (t: number, d: number, b: number) => (layout === 0 ? (t * D + d) * B + b : (b * T + t) * D + d) * H;
  const Yh = new Float64Array(D * B * H);
  const Yc = new Float64Array(D * B * H);
  for (let d = 0; d < D; d++) {
    const [f, g, hAct] = fns.slice(d * per, (d + 1) * per) as [(x: number) => number, (x: number) => number, (x: number) => number];
    const reverse = c.direction === "reverse" || d === 1;
    const wAt = (gate: number, j: number, i: number) => v.w[((d * G + gate) * H + j) * I + i]!;
    const rAt = (gate: number, j: number, k: number) => v.r[((d * G + gate) * H + j) * H + k]!;
    const wb = (gate: number, j: number) => (c.bias ? v.b[d * 2 * G * H + gate * H + j]! : 0);
    const rb = (gate: number, j: number) => (c.bias ? v.b[d * 2 * G * H + (G + gate) * H + j]! : 0);
    const pAt = (gate: number, j: number) => (c.peepholes ? v.p[d * 3 * H + gate * H + j]! : 0);
    for (let b = 0; b < B; b++) {
      const len = c.lens?.[b] ?? T;
      let h = Array.from({ length: H }, (_, j) => (c.initial ? v.h0[stateAt(d, b) + j]! : 0));
      let cs = Array.from({ length: H }, (_, j) => (c.initial && cell === "LSTM" ? v.c0[stateAt(d, b) + j]! : 0));
      for (let s = 0; s < len; s++) {
        const t = reverse ? len - 1 - s : s;
        const xw = (gate: number, j: number) => { let a = wb(gate, j); for (let i = 0; i < I; i++) a += X(t, b, i) * wAt(gate, j, i); return a; };
        const hr = (gate: number, j: number, hv: number[]) => { let a = 0; for (let k = 0; k < H; k++) a += hv[k]! * rAt(gate, j, k); return a; };
        const next = new Array<number>(H);
        const nextC = new Array<number>(H);
        if (cell === "LSTM") {
          for (let j = 0; j < H; j++) {
            const i4 = f(cl(xw(0, j) + hr(0, j, h) + rb(0, j) + pAt(0, j) * cs[j]!));
            const f4 = c.inputForget ? 1 - i4 : f(cl(xw(2, j) + hr(2, j, h) + rb(2, j) + pAt(2, j) * cs[j]!));
            const c4 = g(cl(xw(3, j) + hr(3, j, h) + rb(3, j)));
            nextC[j] = f4 * cs[j]! + i4 * c4;
            const o4 = f(cl(xw(1, j) + hr(1, j, h) + rb(1, j) + pAt(1, j) * nextC[j]!));
            next[j] = o4 * hAct(nextC[j]!);
          }
          cs = nextC;
        } else if (cell === "GRU") {
          const z = h.map((_, j) => f(cl(xw(0, j) + hr(0, j, h) + rb(0, j))));
          const r = h.map((_, j) => f(cl(xw(1, j) + hr(1, j, h) + rb(1, j))));
          const rh = h.map((hv, j) => r[j]! * hv);
          for (let j = 0; j < H; j++) {
            const pre = c.linearBeforeReset ? xw(2, j) + r[j]! * (hr(2, j, h) + rb(2, j)) : xw(2, j) + hr(2, j, rh) + rb(2, j);
            const cand = g(cl(pre));
            next[j] = (1 - z[j]!) * cand + z[j]! * h[j]!;
          }
        } else {
          for (let j = 0; j < H; j++) next[j] = f(cl(xw(0, j) + hr(0, j, h) + rb(0, j)));
        }
        h = next;
        for (let j = 0; j < H; j++) Y[yAt(t, d, b) + j] = h[j]!;
      }
      for (let j = 0; j < H; j++) {
        Yh[stateAt(d, b) + j] = h[j]!;
        Yc[stateAt(d, b) + j] = cs[j]!;
      }
    }
  }
  return { Y, Yh, Yc };
}

function rnnModel(c: RnnCase, v: Weights): { bytes: Uint8Array; feeds: Record<string, Tensor>; names: string[] } {
  const { T, B, I, H, cell } = c;
  const G = GATES[cell];
  const D = c.direction === "bidirectional" ? 2 : 1;
  const layout = c.layout ?? 0;
  const stateDims = layout === 0 ? [D, B, H] : [B, D, H];
  const xDims = layout === 0 ? [T, B, I] : [B, T, I];
  const tensors: [string, number[], Float32Array | Int32Array][] = [["W", [D, G * H, I], v.w], ["R", [D, G * H, H], v.r]];
  const names = ["X", "W", "R"];
  const add = (name: string, dims: number[], data: Float32Array | Int32Array) => { tensors.push([name, dims, data]); names.push(name); };
  if (c.bias) add("B", [D, 2 * G * H], v.b); else names.push("");
  if (c.lens) add("sequence_lens", [B], Int32Array.from(c.lens)); else names.push("");
  if (c.initial) add("initial_h", stateDims, v.h0); else names.push("");
  if (cell === "LSTM") {
    if (c.initial) add("initial_c", stateDims, v.c0); else names.push("");
    if (c.peepholes) add("P", [D, 3 * H], v.p); else names.push("");
  }
  while (names[names.length - 1] === "") names.pop();
  const attrs = [attributes.intAttribute("hidden_size", H), attributes.stringAttribute("direction", c.direction ?? "forward")];
  if (c.layout) attrs.push(attributes.intAttribute("layout", c.layout));
  if (c.clip !== undefined) attrs.push(attributes.floatAttribute("clip", c.clip));
  if (c.linearBeforeReset) attrs.push(attributes.intAttribute("linear_before_reset", 1));
  if (c.inputForget) attrs.push(attributes.intAttribute("input_forget", 1));
  if (c.acts) attrs.push(new onnx.AttributeProto({ name: "activations", type: onnx.AttributeProto.AttributeType.STRINGS, strings: c.acts.map((a) => Buffer.from(a)) }));
  if (c.alphas) attrs.push(attributes.floatsAttribute("activation_alpha", c.alphas));
  if (c.betas) attrs.push(attributes.floatsAttribute("activation_beta", c.betas));
  const outNames = ["Y", "Y_h", "Y_c"].slice(0, cell === "LSTM" ? 3 : 2).map((n, i) => ((c.outputs ?? [true, true, true])[i] ? n : ""));
  while (outNames[outNames.length - 1] === "") outNames.pop();
  const type = (data: Float32Array | Int32Array) => (data instanceof Int32Array ? "int32" : "float32");
  const feeds: Record<string, Tensor> = { X: new Tensor("float32", v.x, xDims) };
  const weightInputs = c.constant ? [] : tensors;
  for (const [name, dims, data] of weightInputs) feeds[name] = new Tensor(type(data), data, dims);
  const bytes = modelBytes({
    name: "recurrent",
    node: [node(cell, names, outNames, attrs, "rnn")],
    input: [valueInfo("X", "float32", xDims), ...weightInputs.map(([n, dims, data]) => valueInfo(n, type(data), dims))],
    output: outNames.filter((n) => n).map((n) => valueInfo(n, "float32", [])),
    initializer: c.constant ? tensors.map(([n, dims, data]) => makeTensor(n, type(data), dims, data)) as onnx.ITensorProto[] : [],
  }, { opset: 14 });
  return { bytes, feeds, names: outNames };
}

const CASES: [string, RnnCase][] = [
  ["LSTM forward, H not a multiple of 4, sequence lengths, initial state, peepholes",
    { cell: "LSTM", T: 5, B: 3, I: 6, H: 5, lens: [5, 2, 3], initial: true, peepholes: true, bias: true }],
  ["LSTM bidirectional, layout 1, clip, constant weights", { cell: "LSTM", T: 4, B: 2, I: 3, H: 8, direction: "bidirectional", layout: 1, clip: 0.7, bias: true, initial: true, constant: true }],
  ["LSTM reverse, input_forget, only Y_h and Y_c", { cell: "LSTM", T: 6, B: 1, I: 4, H: 3, direction: "reverse", inputForget: true, bias: true, outputs: [false, true, true] }],
  ["LSTM with other activations (alpha and beta consumed in order)",
    { cell: "LSTM", T: 3, B: 2, I: 2, H: 4, acts: ["HardSigmoid", "LeakyRelu", "Softsign"], alphas: [0.3, 0.05], betas: [0.4], bias: true }],
  ["LSTM bidirectional with one direction's activations and lengths", { cell: "LSTM", T: 4, B: 3, I: 5, H: 7, direction: "bidirectional", lens: [1, 4, 2], acts: ["Sigmoid", "ScaledTanh", "Elu"], alphas: [0.9, 0.5], betas: [1.2], peepholes: true }],
  ["GRU forward, reset before the linear map", { cell: "GRU", T: 5, B: 2, I: 4, H: 6, bias: true, initial: true }],
  ["GRU linear_before_reset, bidirectional, sequence lengths", { cell: "GRU", T: 4, B: 3, I: 3, H: 5, direction: "bidirectional", linearBeforeReset: true, bias: true, lens: [2, 4, 3] }],
  ["GRU reverse, layout 1, clip, Affine and ThresholdedRelu, constant weights", { cell: "GRU", T: 3, B: 2, I: 5, H: 9, direction: "reverse", layout: 1, clip: 0.5, acts: ["Affine", "ThresholdedRelu"], alphas: [0.5, 0.1], betas: [0.2], bias: true, constant: true }],
  ["RNN bidirectional, Relu and Softplus", { cell: "RNN", T: 4, B: 2, I: 3, H: 4, direction: "bidirectional", acts: ["Relu", "Softplus"], bias: true, initial: true }],
  ["LSTM over a batch of 9 (the recurrent projection on the GEMM kernel)", { cell: "LSTM", T: 3, B: 9, I: 4, H: 6, bias: true, peepholes: true, initial: true, lens: [3, 1, 2, 3, 3, 2, 1, 3, 2] }],
  ["GRU over a batch of 10, both recurrent GEMMs on the GEMM kernel", { cell: "GRU", T: 3, B: 10, I: 3, H: 5, direction: "bidirectional", bias: true, initial: true }],
  ["RNN with sequence lengths and only Y", { cell: "RNN", T: 5, B: 3, I: 2, H: 3, lens: [5, 1, 3], bias: true, outputs: [true, false] }],
  ["LSTM at batch 1 with 40 units (the single-row projection's 3-block tiles and the blocks left over)",
    { cell: "LSTM", T: 6, B: 1, I: 5, H: 40, bias: true, initial: true }],
  ["LSTM whose input projection is worth sharing over the threads", { cell: "LSTM", T: 64, B: 4, I: 64, H: 128, bias: true }],
  ["GRU, layout 1, gate rows not whole 8-column blocks, projection shared over the threads",
    { cell: "GRU", T: 80, B: 4, I: 300, H: 33, layout: 1, bias: true, initial: true }],
];

for (const [name, c] of CASES) {
  test(`${c.cell} matches the ONNX definition: ${name}`, async () => {
    const { T, B, I, H } = c;
    const G = GATES[c.cell];
    const D = c.direction === "bidirectional" ? 2 : 1;
    const v: Weights = {
      x: random(T * B * I, 1), w: random(D * G * H * I, 2, 0.6), r: random(D * G * H * H, 3, 0.6), b: random(D * 2 * G * H, 4, 0.4),
      p: random(D * 3 * H, 5, 0.5), h0: random(D * B * H, 6), c0: random(D * B * H, 7),
    };
    const ref = reference(c, v);
    const { bytes, feeds, names } = rnnModel(c, v);
    for (const threads of [1, 2]) {
      const session = await createSession(bytes, { threads });
      try {
        const outs = await session.run(feeds);
        const want = [ref.Y, ref.Yh, ref.Yc];
        names.forEach((n, i) => {
          if (!n) return;
          const got = outs[n]!.data as Float32Array;
          assert.equal(got.length, want[i]!.length, `${n} size`);
          for (let e = 0; e < got.length; e++) {
            assert.ok(Math.abs(got[e]! - want[i]![e]!) <= 1e-5 * (1 + Math.abs(want[i]![e]!)), `${n}[${e}]: ${got[e]} vs ${want[i]![e]} (${threads} threads)`);
          }
        });
      } finally {
        await session.release();
      }
    }
  });
}

test("the recurrent kernels' sigmoid and tanh are within 1e-6 relative of Math over the float range", () => {
  const k = new Kernels();
  const values: number[] = [0, -0, 1e-30, -1e-30, 1e-7, -1e-7, 0.625, -0.625, 0.6249999, 87, -87, 88, -88, 200, -200];
  for (let e = -20; e <= 6.5; e += 0.01) values.push(Math.exp(e), -Math.exp(e));
  const n = Math.ceil(values.length / 4) * 4;
  const x = k.allocF32(n);
  const y = k.allocF32(n);
  x.fill(0);
  x.set(values);
  const f32 = Math.fround;
  const checks: [string, (v: number) => number][] = [["sigmoid", (v) => 1 / (1 + Math.exp(-v))], ["tanh", Math.tanh]];
  for (const [name, exact] of checks) {
    k.recurrent.activation({ code: ACTIVATIONS[name]!.code, alpha: 0, beta: 0 }, x, y, n);
    for (let i = 0; i < values.length; i++) {
      const want = exact(f32(values[i]!));
      const err = Math.abs(y[i]! - want);
      // Past e^±87 single precision holds nothing but 0 (sigmoid's far left tail), so only an absolute bound there.
      assert.ok(err <= 1e-6 * Math.abs(want) || err <= 1e-37, `${name}(${x[i]}) = ${y[i]}, expected ${want}`);
    }
  }
});
