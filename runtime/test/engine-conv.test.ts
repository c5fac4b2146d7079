import { test } from "node:test";
import assert from "node:assert/strict";
import { attributes, makeTensor, onnx } from "../src/tooling.js";
import { Tensor } from "../src/engine/index.js";
import { createSession } from "../src/session/create-session.js";
import { modelBytes, node, valueInfo } from "./helpers/build.js";

interface ConvCase {
  N?: number; C: number; M: number; H: number; W: number; k: number; stride?: number; dilation?: number; group?: number;
  pads?: [number, number, number, number]; relu?: boolean;
}

function random(n: number, seed: number): Float32Array {
  let s = seed;
  return new Float32Array(n).map(() => {
    s = (s * 1103515245 + 12345) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  });
}

/** The textbook convolution, in float64, straight from the definition. */
function reference(c: ConvCase, x: Float32Array, w: Float32Array, b: Float32Array) {
  const s = c.stride ?? 1, d = c.dilation ?? 1, g = c.group ?? 1;
  const [pt, pl, pb, pr] = c.pads ?? [0, 0, 0, 0];
  const OH = Math.floor((c.H + pt + pb - d * (c.k - 1) - 1) / s) + 1;
  const OW = Math.floor((c.W + pl + pr - d * (c.k - 1) - 1) / s) + 1;
  const Cg = c.C / g, Mg = c.M / g;
  const N = c.N ?? 1;
  const y = new Float64Array(N * c.M * OH * OW);
  for (let img = 0; img < N; img++) for (let m = 0; m < c.M; m++) {
    const gi = Math.floor(m / Mg);
    for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) {
      let acc = b[m]!;
      for (let ci = 0; ci < Cg; ci++) for (let ky = 0; ky < c.k; ky++) for (let kx = 0; kx < c.k; kx++) {
        const iy = oy * s - pt + ky * d, ix = ox * s - pl + kx * d;
        if (iy < 0 || iy >= c.H || ix < 0 || ix >= c.W) continue;
        acc += x[(((img * c.C) + gi * Cg + ci) * c.H + iy) * c.W + ix]! * w[((m * Cg + ci) * c.k + ky) * c.k + kx]!;
      }
      y[((img * c.M + m) * OH + oy) * OW + ox] = c.relu ? Math.max(0, acc) : acc;
    }
  }
  return { y, dims: [N, c.M, OH, OW] };
}

function convModel(c: ConvCase, w: Float32Array, b: Float32Array): Uint8Array {
  const attrs = [
    attributes.intsAttribute("kernel_shape", [c.k, c.k]),
    attributes.intsAttribute("strides", [c.stride ?? 1, c.stride ?? 1]),
    attributes.intsAttribute("dilations", [c.dilation ?? 1, c.dilation ?? 1]),
    attributes.intsAttribute("pads", c.pads ?? [0, 0, 0, 0]),
    attributes.intAttribute("group", c.group ?? 1),
  ];
  const nodes = [node("Conv", ["x", "w", "b"], [c.relu ? "c" : "y"], attrs, "conv")];
  if (c.relu) nodes.push(node("Relu", ["c"], ["y"], [], "relu"));
  return modelBytes({
    name: "conv",
    node: nodes,
    input: [valueInfo("x", "float32", ["n", c.C, "h", "w"])],
    output: [valueInfo("y", "float32", [])],
    initializer: [
      makeTensor("w", "float32", [c.M, c.C / (c.group ?? 1), c.k, c.k], w),
      makeTensor("b", "float32", [c.M], b),
    ] as onnx.ITensorProto[],
  }, { opset: 13 });
}

const CASES: [string, ConvCase][] = [
  ["Winograd, same padding", { C: 20, M: 24, H: 9, W: 11, k: 3, pads: [1, 1, 1, 1] }],
  ["Winograd, odd output, no padding, fused Relu", { C: 16, M: 18, H: 8, W: 13, k: 3, relu: true }],
  ["Winograd, asymmetric padding", { C: 24, M: 16, H: 10, W: 7, k: 3, pads: [2, 1, 0, 1] }],
  ["Winograd, more than one K block of input channels", { C: 300, M: 17, H: 6, W: 7, k: 3, pads: [1, 1, 1, 1] }],
  ["Winograd, many tiles (several rounds)", { C: 16, M: 16, H: 40, W: 38, k: 3, pads: [1, 1, 1, 1] }],
  ["Winograd over a batch of 3 (tiles across images), fused Relu", { N: 3, C: 32, M: 20, H: 7, W: 9, k: 3, pads: [1, 1, 1, 1], relu: true }],
  ["Winograd over a batch of 5, few tiles per image", { N: 5, C: 40, M: 64, H: 4, W: 5, k: 3, pads: [1, 1, 1, 1] }],
  ["Winograd, few tiles and many channels (threads share the transformed tiles, split output channels)",
    { C: 264, M: 250, H: 10, W: 9, k: 3, pads: [1, 1, 1, 1], relu: true }],
  ["im2col, stride 2", { C: 3, M: 20, H: 11, W: 12, k: 3, stride: 2, pads: [1, 1, 1, 1] }],
  ["im2col, groups and dilation", { C: 8, M: 6, H: 12, W: 10, k: 3, dilation: 2, group: 2, pads: [2, 2, 2, 2] }],
  ["im2col, 7×7 stride 2 over 300 channels", { C: 300, M: 19, H: 15, W: 17, k: 7, stride: 2, pads: [3, 3, 3, 3] }],
  ["im2col, few pixels and many channels (threads split the output channels)", { C: 64, M: 128, H: 14, W: 14, k: 3, stride: 2, pads: [1, 1, 1, 1] }],
  ["im2col, one image of 4 groups (threads take whole groups)", { C: 64, M: 64, H: 28, W: 28, k: 3, group: 4, pads: [1, 1, 1, 1], relu: true }],
  ["im2col over a batch of 2", { N: 2, C: 5, M: 17, H: 9, W: 8, k: 3, stride: 2, pads: [0, 1, 1, 0] }],
  ["im2col over a batch of 5 with groups (threads take whole images)", { N: 5, C: 6, M: 4, H: 7, W: 6, k: 3, group: 2, pads: [1, 1, 1, 1], relu: true }],
  ["im2col from a padded copy, 7 wide: grouped 3×3 as RegNet's", { C: 32, M: 32, H: 7, W: 7, k: 3, group: 2, pads: [1, 1, 1, 1], relu: true }],
  ["im2col from a padded copy, 14 wide: blocks on one row and across rows", { C: 8, M: 12, H: 14, W: 14, k: 3, group: 2, pads: [1, 1, 1, 1] }],
  ["im2col from a padded copy, stride 2, 13 wide, asymmetric padding", { C: 6, M: 4, H: 25, W: 26, k: 3, stride: 2, group: 2, pads: [0, 1, 1, 0] }],
  ["im2col from a padded copy, 1×1 stride 2", { C: 16, M: 24, H: 14, W: 13, k: 1, stride: 2 }],
  ["im2col from a padded copy, stride 2, 7 wide: blocks across rows read two strided runs", { C: 8, M: 8, H: 14, W: 13, k: 3, stride: 2, group: 2, pads: [1, 1, 1, 1] }],
  ["im2col from a padded copy, 28 wide: a group's whole convolution per call, as RegNet's 28×28 stage", { C: 32, M: 24, H: 28, W: 28, k: 3, group: 2, pads: [1, 1, 1, 1], relu: true }],
  ["im2col, 20 wide without groups (threads share the image's columns, packed from the input)", { C: 8, M: 20, H: 9, W: 20, k: 3, pads: [1, 1, 1, 1] }],
  ["im2col from a padded copy, 3 wide: blocks over three rows", { C: 4, M: 4, H: 6, W: 3, k: 3, group: 2, pads: [1, 1, 1, 1] }],
  ["im2col from a padded copy, dilation 2, 9 wide", { C: 4, M: 6, H: 12, W: 11, k: 3, dilation: 2, group: 2, pads: [1, 2, 1, 2] }],
  ["direct, 7×7 to 3 channels (an RGB output layer)", { C: 32, M: 3, H: 20, W: 22, k: 7, pads: [3, 3, 3, 3] }],
  ["direct, one channel (a depth map) in 32-column tiles, fused Relu", { C: 16, M: 1, H: 17, W: 40, k: 3, pads: [1, 1, 1, 1], relu: true }],
  ["direct, two channels in 16-column tiles, 5×5", { C: 8, M: 2, H: 9, W: 19, k: 5, pads: [2, 2, 2, 2] }],
  ["direct, stride 2 from phase planes, asymmetric padding", { C: 5, M: 7, H: 25, W: 26, k: 3, stride: 2, pads: [0, 1, 1, 0] }],
  ["direct, stride 3 and dilation 2", { C: 4, M: 6, H: 23, W: 21, k: 3, stride: 3, dilation: 2, pads: [2, 2, 2, 2] }],
  ["direct over a batch of 3, dilation 2, a last panel of one channel", { N: 3, C: 6, M: 13, H: 12, W: 11, k: 3, dilation: 2, pads: [2, 2, 2, 2] }],
  ["direct, 9×9 over 40 channels, 16 output channels", { C: 40, M: 16, H: 12, W: 13, k: 9, pads: [4, 4, 4, 4] }],
  ["direct, an output smaller than one tile", { C: 3, M: 1, H: 3, W: 3, k: 3, pads: [1, 1, 1, 1] }],
  ["direct, 1×1 stride 2 (not a plain pointwise convolution)", { C: 16, M: 8, H: 14, W: 13, k: 1, stride: 2 }],
  ["direct, many pixels (threads share the tiles)", { C: 16, M: 3, H: 64, W: 64, k: 7, pads: [3, 3, 3, 3], relu: true }],
  ["depthwise over a batch of 4", { N: 4, C: 8, M: 8, H: 9, W: 10, k: 3, group: 8, pads: [1, 1, 1, 1] }],
  ["pointwise 1×1", { C: 40, M: 33, H: 5, W: 9, k: 1, relu: true }],
  ["depthwise, stride 2", { C: 8, M: 8, H: 13, W: 14, k: 3, stride: 2, group: 8, pads: [1, 1, 1, 1] }],
  ["depthwise, channel multiplier 2, dilation 2", { C: 6, M: 12, H: 11, W: 9, k: 3, dilation: 2, group: 6, pads: [2, 2, 2, 2] }],
  ["depthwise 5×5, 7 wide (a vector and a partial one per row)", { C: 12, M: 12, H: 7, W: 7, k: 5, group: 12, pads: [2, 2, 2, 2], relu: true }],
  ["depthwise 5×5, 14 wide (8 + 4 + a partial vector)", { C: 5, M: 5, H: 9, W: 14, k: 5, group: 5, pads: [2, 2, 2, 2] }],
  ["depthwise 5×5, stride 2 and 11 wide", { C: 4, M: 4, H: 21, W: 21, k: 5, stride: 2, group: 4, pads: [2, 2, 2, 2] }],
  ["depthwise 5×5, dilation 2, 17 wide", { C: 3, M: 6, H: 12, W: 21, k: 5, dilation: 2, group: 3, pads: [2, 2, 2, 2] }],
  ["depthwise 7×7, 9 wide, unpadded", { C: 4, M: 4, H: 12, W: 15, k: 7, group: 4 }],
];

/** The kernel path a case is named for: the engine must take it, not silently fall back to another. */
function expectedPath(name: string): string {
  if (name.startsWith("Winograd")) return "winograd";
  if (name.startsWith("depthwise")) return "depthwise";
  if (name.startsWith("direct")) return "conv-direct";
  return "conv";
}

/** The kernel paths a case runs: with threads, Winograd over few tiles transforms them once for all shares. */
function expectedRuns(name: string, threads: number): Record<string, number> {
  const path = expectedPath(name);
  if (threads > 1 && name.includes("share the transformed tiles")) return { [path]: 1, "winograd-shared-tiles": 1 };
  return { [path]: 1 };
}

for (const [name, c] of CASES) {
  test(`Conv matches the direct definition: ${name}`, async () => {
    const x = random((c.N ?? 1) * c.C * c.H * c.W, 1);
    const w = random(c.M * (c.C / (c.group ?? 1)) * c.k * c.k, 2);
    const b = random(c.M, 3);
    const ref = reference(c, x, w, b);
    for (const threads of [1, 2]) {
      const session = await createSession(convModel(c, w, b), { threads });
      try {
        const out = (await session.run({ x: new Tensor("float32", x, [c.N ?? 1, c.C, c.H, c.W]) })).y!;
        assert.deepEqual(session.kernelRuns(), expectedRuns(name, threads), `${threads} threads`);
        assert.deepEqual(out.dims, ref.dims);
        const y = out.data as Float32Array;
        for (let i = 0; i < y.length; i++) {
          assert.ok(Math.abs(y[i]! - ref.y[i]!) <= 1e-4 * (1 + Math.abs(ref.y[i]!)), `element ${i}: ${y[i]} vs ${ref.y[i]} (${threads} threads)`);
        }
      } finally {
        await session.release();
      }
    }
  });
}

test("one session follows input sizes across convolution algorithms (Winograd for large images, im2col for tiny)", async () => {
  const base: ConvCase = { C: 16, M: 20, H: 0, W: 0, k: 3, pads: [1, 1, 1, 1] };
  const w = random(20 * 16 * 9, 5);
  const b = random(20, 6);
  const session = await createSession(convModel({ ...base, H: 8, W: 8 }, w, b));
  try {
    const runs = { winograd: 0, conv: 0 };
    for (const [H, W, path] of [[12, 10, "winograd"], [3, 3, "conv"], [9, 9, "winograd"], [2, 3, "conv"]] as const) {
      const c = { ...base, H, W };
      const x = random(16 * H * W, H * 31 + W);
      const ref = reference(c, x, w, b);
      const y = (await session.run({ x: new Tensor("float32", x, [1, 16, H, W]) })).y!.data as Float32Array;
      runs[path]++;
      assert.deepEqual(session.kernelRuns(), Object.fromEntries(Object.entries(runs).filter(([, n]) => n > 0)), `${H}×${W} runs by ${path}`);
      for (let i = 0; i < y.length; i++) assert.ok(Math.abs(y[i]! - ref.y[i]!) <= 1e-4 * (1 + Math.abs(ref.y[i]!)), `${H}×${W}, element ${i}`);
    }
  } finally {
    await session.release();
  }
});
