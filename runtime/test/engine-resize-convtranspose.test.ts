import { test } from "node:test";
import assert from "node:assert/strict";
import { attributes, makeTensor, onnx } from "../src/tooling.js";
import { Tensor } from "../src/engine/index.js";
import { createSession } from "../src/session/create-session.js";
import { modelBytes, node, valueInfo } from "./helpers/build.js";

function random(n: number, seed: number): Float32Array {
  let s = seed;
  return new Float32Array(n).map(() => {
    s = (s * 1103515245 + 12345) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  });
}

interface ResizeCase {
  dims: number[];
  mode: "nearest" | "linear";
  ctm: string;
  nearestMode?: string;
  scales?: number[];
  sizes?: number[];
  axes?: number[];
  policy?: string;
}

/** The same Resize on float32 (the kernel) and float64 (the separable loop over taps, in plain JavaScript). */
function resizeModel(c: ResizeCase, dtype: "float32" | "float64"): Uint8Array {
  const attrs = [attributes.stringAttribute("mode", c.mode), attributes.stringAttribute("coordinate_transformation_mode", c.ctm)];
  if (c.nearestMode) attrs.push(attributes.stringAttribute("nearest_mode", c.nearestMode));
  if (c.axes) attrs.push(attributes.intsAttribute("axes", c.axes));
  if (c.policy) attrs.push(attributes.stringAttribute("keep_aspect_ratio_policy", c.policy));
  const init = [] as onnx.ITensorProto[];
  if (c.scales) init.push(makeTensor("scales", "float32", [c.scales.length], Float32Array.from(c.scales)) as onnx.ITensorProto);
  if (c.sizes) init.push(makeTensor("sizes", "int64", [c.sizes.length], BigInt64Array.from(c.sizes.map(BigInt))) as onnx.ITensorProto);
  return modelBytes({
    name: "resize",
    node: [node("Resize", ["x", "", c.scales ? "scales" : "", c.sizes ? "sizes" : ""], ["y"], attrs, "resize")],
    input: [valueInfo("x", dtype, c.dims)],
    output: [valueInfo("y", dtype, [])],
    initializer: init,
  }, { opset: 19 });
}

const RESIZE_CASES: ResizeCase[] = [];
for (const ctm of ["half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "half_pixel_symmetric"]) {
  RESIZE_CASES.push({ dims: [2, 3, 7, 9], mode: "linear", ctm, scales: [1, 1, 2, 2] });
  RESIZE_CASES.push({ dims: [1, 2, 10, 13], mode: "linear", ctm, sizes: [1, 2, 6, 5] });
  RESIZE_CASES.push({ dims: [3, 5, 6], mode: "linear", ctm, scales: [1, 1.7, 0.6] });
}
for (const nearestMode of ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"]) {
  for (const ctm of ["half_pixel", "asymmetric", "align_corners", "tf_half_pixel_for_nn"]) {
    RESIZE_CASES.push({ dims: [1, 3, 5, 6], mode: "nearest", ctm, nearestMode, scales: [1, 1, 3, 2.5] });
    RESIZE_CASES.push({ dims: [2, 2, 9, 8], mode: "nearest", ctm, nearestMode, sizes: [2, 2, 4, 5] });
  }
}
RESIZE_CASES.push({ dims: [1, 4, 6, 8], mode: "linear", ctm: "half_pixel", axes: [2, 3], sizes: [9, 9], policy: "not_larger" });
RESIZE_CASES.push({ dims: [1, 4, 6, 8], mode: "nearest", ctm: "half_pixel", axes: [3, 2], sizes: [12, 20], policy: "not_smaller" });
RESIZE_CASES.push({ dims: [2, 5, 16], mode: "linear", ctm: "align_corners", axes: [-1], scales: [2.5] });

for (const c of RESIZE_CASES) {
  const what = `${c.mode} ${c.ctm}${c.nearestMode ? ` ${c.nearestMode}` : ""} [${c.dims.join(",")}] ${c.scales ? `scales ${c.scales.join(",")}` : `sizes ${c.sizes!.join(",")}`}${c.axes ? ` axes ${c.axes.join(",")}` : ""}${c.policy ? ` ${c.policy}` : ""}`;
  test(`Resize kernel matches the plain JavaScript taps: ${what}`, async () => {
    const n = c.dims.reduce((a, b) => a * b, 1);
    const x = random(n, n);
    const fast = await createSession(resizeModel(c, "float32"), { threads: 2 });
    const slow = await createSession(resizeModel(c, "float64"));
    try {
      const got = (await fast.run({ x: new Tensor("float32", x, c.dims) })).y!;
      const want = (await slow.run({ x: new Tensor("float64", Float64Array.from(x), c.dims) })).y!;
      assert.deepEqual(fast.kernelRuns(), { [`resize-${c.mode}`]: 1 });
      assert.deepEqual(got.dims, want.dims);
      const g = got.data as Float32Array;
      const w = want.data as Float64Array;
      for (let i = 0; i < w.length; i++) assert.ok(Math.abs(g[i]! - w[i]!) <= 1e-6, `element ${i}: ${g[i]} vs ${w[i]}`);
    } finally {
      await fast.release();
      await slow.release();
    }
  });
}

interface ConvTransposeCase {
  N: number; C: number; M: number; group?: number; input: number[]; kernel: number[];
  strides?: number[]; dilations?: number[]; pads?: number[]; outputPadding?: number[]; bias?: boolean;
}

/** The transposed convolution from its definition (every input pixel spreads its kernel over the output), float64. */
function convTransposeReference(c: ConvTransposeCase, x: Float32Array, w: Float32Array, b: Float32Array) {
  const n = c.input.length;
  const g = c.group ?? 1;
  const Cg = c.C / g, Mg = c.M / g;
  const s = c.strides ?? c.input.map(() => 1);
  const d = c.dilations ?? c.input.map(() => 1);
  const p = c.pads ?? new Array<number>(2 * n).fill(0);
  const op = c.outputPadding ?? c.input.map(() => 0);
  const out = c.input.map((v, i) => s[i]! * (v - 1) + op[i]! + (c.kernel[i]! - 1) * d[i]! + 1 - p[i]! - p[i + n]!);
  const size = (v: number[]) => v.reduce((a, e) => a * e, 1);
  const [HW, OHW, K] = [size(c.input), size(out), size(c.kernel)];
  const y = new Float64Array(c.N * c.M * OHW);
  for (let img = 0; img < c.N; img++) for (let m = 0; m < c.M; m++) {
    for (let o = 0; o < OHW; o++) y[(img * c.M + m) * OHW + o] = c.bias ? b[m]! : 0;
    const gi = Math.floor(m / Mg);
    for (let ci = 0; ci < Cg; ci++) for (let i = 0; i < HW; i++) for (let t = 0; t < K; t++) {
      let off = 0, inside = true, ri = i, rt = t;
      const idx: number[] = [], tap: number[] = [];
      for (let a = n - 1; a >= 0; a--) { idx[a] = ri % c.input[a]!; ri = Math.floor(ri / c.input[a]!); tap[a] = rt % c.kernel[a]!; rt = Math.floor(rt / c.kernel[a]!); }
      for (let a = 0; a < n; a++) {
        const o = idx[a]! * s[a]! - p[a]! + tap[a]! * d[a]!;
        inside &&= o >= 0 && o < out[a]!;
        off = off * out[a]! + o;
      }
      if (!inside) continue;
      const xv = x[(img * c.C + gi * Cg + ci) * HW + i]!;
      y[(img * c.M + m) * OHW + off]! += xv * w[((gi * Cg + ci) * Mg + (m - gi * Mg)) * K + t]!;
    }
  }
  return { y, dims: [c.N, c.M, ...out] };
}

const CT_CASES: [string, ConvTransposeCase][] = [
  ["2×2 stride 2 (a U-Net's upsampling)", { N: 2, C: 6, M: 5, input: [5, 7], kernel: [2, 2], strides: [2, 2], bias: true }],
  ["3×3 stride 2, pads, output_padding", { N: 1, C: 4, M: 3, input: [6, 5], kernel: [3, 3], strides: [2, 2], pads: [1, 0, 1, 1], outputPadding: [1, 1], bias: true }],
  ["3×3 stride 1 with dilation and groups", { N: 2, C: 6, M: 4, group: 2, input: [5, 6], kernel: [3, 3], dilations: [2, 1], pads: [1, 2, 0, 1] }],
  ["stride 3 wider than the kernel", { N: 1, C: 3, M: 2, input: [4, 4], kernel: [2, 2], strides: [3, 3], bias: true }],
  ["1-D", { N: 2, C: 3, M: 4, input: [9], kernel: [4], strides: [2], pads: [1, 2], bias: true }],
  ["3-D", { N: 1, C: 2, M: 3, input: [3, 4, 3], kernel: [2, 3, 2], strides: [2, 1, 2], pads: [0, 1, 0, 1, 0, 0], bias: true }],
];

for (const [name, c] of CT_CASES) {
  test(`ConvTranspose matches its definition: ${name}`, async () => {
    const n = c.input.length;
    const g = c.group ?? 1;
    const K = c.kernel.reduce((a, e) => a * e, 1);
    const x = random(c.N * c.C * c.input.reduce((a, e) => a * e, 1), 11);
    const w = random(c.C * (c.M / g) * K, 12);
    const b = random(c.M, 13);
    const ref = convTransposeReference(c, x, w, b);
    const attrs = [attributes.intsAttribute("kernel_shape", c.kernel), attributes.intAttribute("group", g)];
    if (c.strides) attrs.push(attributes.intsAttribute("strides", c.strides));
    if (c.dilations) attrs.push(attributes.intsAttribute("dilations", c.dilations));
    if (c.pads) attrs.push(attributes.intsAttribute("pads", c.pads));
    if (c.outputPadding) attrs.push(attributes.intsAttribute("output_padding", c.outputPadding));
    const init = [makeTensor("w", "float32", [c.C, c.M / g, ...c.kernel], w)] as onnx.ITensorProto[];
    if (c.bias) init.push(makeTensor("b", "float32", [c.M], b) as onnx.ITensorProto);
    const bytes = modelBytes({
      name: "convtranspose",
      node: [node("ConvTranspose", c.bias ? ["x", "w", "b"] : ["x", "w"], ["y"], attrs, "ct")],
      input: [valueInfo("x", "float32", [c.N, c.C, ...c.input])],
      output: [valueInfo("y", "float32", [])],
      initializer: init,
    }, { opset: 13 });
    for (const threads of [1, 2]) {
      const session = await createSession(bytes, { threads });
      try {
        const out = (await session.run({ x: new Tensor("float32", x, [c.N, c.C, ...c.input]) })).y!;
        assert.deepEqual(out.dims, ref.dims);
        if (n <= 2) assert.deepEqual(session.kernelRuns(), { col2im: c.N * g });
        const y = out.data as Float32Array;
        for (let i = 0; i < y.length; i++) assert.ok(Math.abs(y[i]! - ref.y[i]!) <= 1e-5 * (1 + Math.abs(ref.y[i]!)), `element ${i}: ${y[i]} vs ${ref.y[i]} (${threads} threads)`);
      } finally {
        await session.release();
      }
    }
  });
}
