import { test } from "node:test";
import assert from "node:assert/strict";
import { Kernels } from "../src/engine/kernels/kernels.js";
import type { Requantization } from "../src/engine/kernels/qconv.js";
import type { Window2d } from "../src/engine/kernels/geometry.js";
import { ints, roundHalfEven } from "./helpers/integer-oracle.js";

// The integer GEMM (row-major, behind QGemm and QMatMul) and the integer convolution's stride-1 path held against
// a scalar oracle of the documented arithmetic: exact integer sums, then float32 requantization rounded half to even.

/** The kernels' requantization: q = clamp(nearest_even(f32(acc)·mult + off) + zy, qlo, qhi), every step in float32. */
function requant(acc: number, mult: number, off: number, zy: number, qlo: number, qhi: number): number {
  const f = Math.fround(Math.fround(Math.fround(acc) * mult) + off);
  return Math.min(qhi, Math.max(qlo, roundHalfEven(f) + zy));
}

/** Bytes of `n` elements in kernel memory, filled with `values`. */
function bytes(k: Kernels, values: readonly number[], signed: boolean): Uint8Array | Int8Array {
  const f = k.allocF32(Math.ceil(values.length / 4) + 1);
  const v = signed ? new Int8Array(f.buffer, f.byteOffset, values.length) : new Uint8Array(f.buffer, f.byteOffset, values.length);
  v.set(values);
  return v;
}

function requantization(M: number, signedInput: boolean, signedOutput: boolean, seed: number): Requantization {
  const mult = Float32Array.from(ints(M, 1, 400, seed), (v) => v * 1.7e-4);
  const biasAcc = Int32Array.from(ints(M, -3000, 3000, seed + 1));
  // Every third channel's bias does not fold into the accumulator: it arrives as a float offset.
  const off = Float32Array.from(ints(M, -50, 50, seed + 2), (v, i) => (i % 3 === 2 ? v * 0.37 : 0));
  for (let m = 2; m < M; m += 3) biasAcc[m] = 0;
  return {
    mult, biasAcc, off, zx: signedInput ? -7 : 131, zy: signedOutput ? 5 : 120, qlo: signedOutput ? -128 : 0, qhi: signedOutput ? 127 : 255,
    signedInput, signedOutput,
  };
}

const GEMM_SHAPES = [[1, 1, 1], [5, 3, 9], [4, 8, 8], [7, 13, 19], [197, 192, 40], [70, 65, 23], [9, 300, 17], [197, 192, 96]] as const;

for (const threads of [1, 2]) {
  test(`QGemm's integer GEMM equals the oracle: partial row panels and column blocks, odd K, both weight layouts, u8/s8 (${threads} thread${threads > 1 ? "s" : ""})`, async () => {
    const k = new Kernels({ threads });
    try {
      for (const [rows, K, N] of GEMM_SHAPES) for (const transposed of [false, true]) for (const [si, so] of [[false, false], [true, true], [false, true]] as const) {
        const seed = rows * 7 + K * 13 + N;
        const w = Int8Array.from(ints(K * N, -128, 127, seed));
        const rq = requantization(N, si, so, seed);
        const xv = ints(rows * K, si ? -128 : 0, si ? 127 : 255, seed + 5);
        const x = bytes(k, xv, si);
        const y = bytes(k, new Array<number>(rows * N).fill(0), so);
        const packed = k.qgemm.packWeights(w, K, N, transposed, rq, (n) => k.allocF32(n));
        k.qgemm.reserve(K);
        k.qgemm.run(packed, x, y, rows);
        for (let r = 0; r < rows; r++) for (let n = 0; n < N; n++) {
          let acc = rq.biasAcc[n]!;
          for (let kk = 0; kk < K; kk++) acc += (xv[r * K + kk]! - rq.zx) * w[transposed ? n * K + kk : kk * N + n]!;
          const want = requant(acc, rq.mult[n]!, rq.off[n]!, rq.zy, rq.qlo, rq.qhi);
          assert.equal(y[r * N + n], want, `[${rows}, ${K}]·[${K}, ${N}] ${transposed ? "Wᵀ" : "W"} ${si ? "s8" : "u8"}→${so ? "s8" : "u8"}: y[${r}][${n}]`);
        }
      }
    } finally {
      await k.close();
    }
  });
}

test("QMatMul's integer GEMM (activation × activation, B packed per batch item, broadcast batch) divides by the scale as QuantizeLinear does", () => {
  const k = new Kernels();
  for (const [rows, K, N] of [[5, 3, 9], [197, 64, 21], [12, 197, 16]] as const) for (const [sa, sb] of [[false, false], [true, false], [false, true]] as const) {
    const seed = rows + K * 3 + N * 5 + (sa ? 1 : 0) + (sb ? 2 : 0);
    // A has 3 batch items, B 1 (broadcast).
    const items = 3;
    const av = ints(items * rows * K, sa ? -128 : 0, sa ? 127 : 255, seed);
    const bv = ints(K * N, sb ? -128 : 0, sb ? 127 : 255, seed + 1);
    const q = { za: sa ? 3 : 128, zb: sb ? -2 : 127, scale: 37.3, zy: 0, qlo: -128, qhi: 127, signedA: sa, signedB: sb, signedOutput: true };
    const a = bytes(k, av, sa);
    const b = bytes(k, bv, sb);
    const y = bytes(k, new Array<number>(items * rows * N).fill(0), true);
    const epilogue = k.qgemm.prepareMatmul(K, N, q, (n) => k.allocF32(n));
    k.qgemm.reserveMatmul(K, N);
    k.qgemm.matmul(epilogue, a, b, y, { rows, K, N, aOffsets: [0, rows * K, 2 * rows * K], bOffsets: [0, 0, 0] }, q.zb, sb);
    const s = Math.fround(q.scale);
    for (let i = 0; i < items; i++) for (let r = 0; r < rows; r++) for (let n = 0; n < N; n++) {
      let acc = 0;
      for (let kk = 0; kk < K; kk++) acc += (av[(i * rows + r) * K + kk]! - q.za) * (bv[kk * N + n]! - q.zb);
      const want = Math.min(q.qhi, Math.max(q.qlo, roundHalfEven(Math.fround(Math.fround(acc) / s)) + q.zy));
      assert.equal(y[(i * rows + r) * N + n], want, `[${rows}, ${K}]·[${K}, ${N}] item ${i}: y[${r}][${n}]`);
    }
  }
});

// Stride-1 windows take the padded grid's wide columns, whose rows share their padding (a row's right padding is
// the next row's left); the cases cover outputs narrower than a block (7×7: rows of 8), a 1-D convolution, dilation,
// K past one 256-step chunk (partial tiles), groups, and right padding unlike the left (padRight).
const CONV_CASES: { C: number; M: number; H: number; W: number; k: number; pad: number; dil: number; groups: number; s?: number; padRight?: number }[] = [
  { C: 32, M: 32, H: 7, W: 7, k: 3, pad: 1, dil: 1, groups: 2 },
  { C: 16, M: 12, H: 7, W: 7, k: 3, pad: 1, dil: 1, groups: 1 },
  { C: 5, M: 6, H: 8, W: 10, k: 5, pad: 1, dil: 1, groups: 1, padRight: 3 },
  { C: 4, M: 8, H: 6, W: 9, k: 3, pad: 0, dil: 1, groups: 1, padRight: 2 },
  { C: 3, M: 9, H: 5, W: 4, k: 3, pad: 2, dil: 1, groups: 1, padRight: 1 },
  // Few column blocks take longer K chunks: 720 steps in two of 584 and 136.
  { C: 80, M: 8, H: 7, W: 7, k: 3, pad: 1, dil: 1, groups: 1 },
  { C: 6, M: 10, H: 1, W: 23, k: 3, pad: 1, dil: 1, groups: 1 },
  // Rows of 16 bytes and more copy into the padded image as vectors, the last one overlapping: 32 and 33 bytes.
  { C: 3, M: 6, H: 3, W: 32, k: 3, pad: 1, dil: 1, groups: 1 },
  { C: 3, M: 6, H: 3, W: 33, k: 3, pad: 1, dil: 1, groups: 1 },
  // Big enough to be split over two threads by column blocks.
  { C: 64, M: 64, H: 28, W: 28, k: 3, pad: 1, dil: 1, groups: 1 },
  { C: 5, M: 7, H: 9, W: 11, k: 3, pad: 2, dil: 2, groups: 1 },
  { C: 40, M: 12, H: 10, W: 6, k: 3, pad: 1, dil: 1, groups: 1 },
  { C: 3, M: 5, H: 12, W: 12, k: 5, pad: 0, dil: 1, groups: 1 },
];

// Strides 2 and up pack from the padded image's phases: a stem-like 7×7 on 3 channels, grouped 3×3 with outputs
// narrower than a block, odd and even input sizes, a 1×1 downsample, an even window, long K; stride 3, an
// AlexNet-like 11×11 stride-4 stem and a window smaller than its stride; stride 2 with dilation takes the gathering
// path.
const STRIDED_CASES: typeof CONV_CASES = [
  { C: 3, M: 8, H: 23, W: 21, k: 7, pad: 3, dil: 1, groups: 1, s: 2 },
  { C: 32, M: 32, H: 14, W: 14, k: 3, pad: 1, dil: 1, groups: 2, s: 2 },
  { C: 8, M: 12, H: 13, W: 9, k: 3, pad: 1, dil: 1, groups: 1, s: 2 },
  { C: 36, M: 20, H: 10, W: 11, k: 1, pad: 0, dil: 1, groups: 1, s: 2 },
  { C: 6, M: 4, H: 8, W: 12, k: 2, pad: 0, dil: 1, groups: 1, s: 2 },
  { C: 40, M: 8, H: 9, W: 9, k: 3, pad: 1, dil: 1, groups: 1, s: 2 },
  { C: 5, M: 7, H: 12, W: 12, k: 3, pad: 2, dil: 2, groups: 1, s: 2 },
  { C: 4, M: 6, H: 11, W: 13, k: 3, pad: 1, dil: 1, groups: 1, s: 3 },
  { C: 3, M: 16, H: 47, W: 45, k: 11, pad: 2, dil: 1, groups: 1, s: 4 },
  { C: 5, M: 9, H: 17, W: 19, k: 2, pad: 1, dil: 1, groups: 1, s: 3 },
];

for (const threads of [1, 2]) {
  test(`integer convolutions equal the oracle (stride 1 wide columns, stride 2 phases; groups, dilation, padding, long K; ${threads} thread${threads > 1 ? "s" : ""})`, async () => {
    const k = new Kernels({ threads });
    try {
      for (const c of [...CONV_CASES, ...STRIDED_CASES]) for (const signed of [false, true]) {
        const kh = c.H === 1 ? 1 : c.k;
        const kw = c.k;
        const ph = c.H === 1 ? 0 : c.pad;
        const s = c.s ?? 1;
        const OH = Math.floor((c.H + 2 * ph - c.dil * (kh - 1) - 1) / s) + 1;
        const OW = Math.floor((c.W + c.pad + (c.padRight ?? c.pad) - c.dil * (kw - 1) - 1) / s) + 1;
        const g: Window2d = { H: c.H, W: c.W, kh, kw, sh: s, sw: s, ph, pw: c.pad, dh: c.dil, dw: c.dil, OH, OW };
        const Cg = c.C / c.groups;
        const Mg = c.M / c.groups;
        const K = Cg * kh * kw;
        const seed = c.C * 11 + c.M + c.H * 3 + kw;
        const w = Int8Array.from(ints(c.M * K, -128, 127, seed));
        const rq = requantization(c.M, signed, signed, seed);
        const xv = ints(c.C * c.H * c.W, signed ? -128 : 0, signed ? 127 : 255, seed + 3);
        const x = bytes(k, xv, signed);
        const y = bytes(k, new Array<number>(c.M * OH * OW).fill(0), signed);
        const packed = k.qconv.pack(w, { groups: c.groups, M: Mg, K }, rq, (n) => k.allocF32(n));
        k.qconv.reserve(Mg, Cg, g);
        k.qconv.run(packed, x, y, { N: 1, groups: c.groups, C: Cg, M: Mg, g });
        for (let m = 0; m < c.M; m++) for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) {
          const gi = Math.floor(m / Mg);
          let acc = rq.biasAcc[m]!;
          for (let ci = 0; ci < Cg; ci++) for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
            const iy = oy * s - ph + ky * c.dil;
            const ix = ox * s - c.pad + kx * c.dil;
            const v = iy < 0 || iy >= c.H || ix < 0 || ix >= c.W ? rq.zx : xv[((gi * Cg + ci) * c.H + iy) * c.W + ix]!;
            acc += (v - rq.zx) * w[m * K + (ci * kh + ky) * kw + kx]!;
          }
          const want = requant(acc, rq.mult[m]!, rq.off[m]!, rq.zy, rq.qlo, rq.qhi);
          assert.equal(y[(m * OH + oy) * OW + ox], want, `${JSON.stringify(c)} ${signed ? "s8" : "u8"}: y[${m}][${oy}][${ox}]`);
        }
      }
    } finally {
      await k.close();
    }
  });
}

// Depthwise convolutions: 3×3 at strides 1 and 2 (with dilation and channel multipliers) take the kernel's
// register-resident 3×3 loop; 5×5 and stride 3 the general one. Widths not a multiple of 8 cover the partial stores.
const DEPTHWISE_CASES: { C: number; per: number; H: number; W: number; k: number; s: number; pad: number; dil: number }[] = [
  { C: 5, per: 1, H: 13, W: 11, k: 3, s: 1, pad: 1, dil: 1 },
  { C: 4, per: 1, H: 14, W: 19, k: 3, s: 2, pad: 1, dil: 1 },
  { C: 3, per: 2, H: 9, W: 12, k: 3, s: 1, pad: 2, dil: 2 },
  { C: 4, per: 1, H: 11, W: 17, k: 5, s: 2, pad: 2, dil: 1 },
  { C: 2, per: 1, H: 10, W: 10, k: 3, s: 3, pad: 0, dil: 1 },
];

for (const threads of [1, 2]) {
  test(`integer depthwise convolutions equal the oracle (3×3 strides 1 and 2, dilation, multipliers, 5×5, stride 3; ${threads} thread${threads > 1 ? "s" : ""})`, async () => {
    const k = new Kernels({ threads });
    try {
      for (const c of DEPTHWISE_CASES) for (const signed of [false, true]) {
        const M = c.C * c.per;
        const span = c.dil * (c.k - 1) + 1;
        const OH = Math.floor((c.H + 2 * c.pad - span) / c.s) + 1;
        const OW = Math.floor((c.W + 2 * c.pad - span) / c.s) + 1;
        const g: Window2d = { H: c.H, W: c.W, kh: c.k, kw: c.k, sh: c.s, sw: c.s, ph: c.pad, pw: c.pad, dh: c.dil, dw: c.dil, OH, OW };
        const taps = c.k * c.k;
        const seed = c.C * 17 + c.H * 5 + c.W + c.k;
        const w = Int8Array.from(ints(M * taps, -128, 127, seed));
        const rq = requantization(M, signed, signed, seed);
        const xv = ints(c.C * c.H * c.W, signed ? -128 : 0, signed ? 127 : 255, seed + 3);
        const x = bytes(k, xv, signed);
        const y = bytes(k, new Array<number>(M * OH * OW).fill(0), signed);
        const packed = k.qconv.pack(w, { groups: 1, M, K: taps, depthwise: true }, rq, (n) => k.allocF32(n));
        k.qwindow.reserve(g);
        k.qwindow.depthwise(packed, x, y, { N: 1, groups: c.C, C: 1, M: c.per, g });
        for (let m = 0; m < M; m++) for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) {
          const ci = Math.floor(m / c.per);
          let acc = rq.biasAcc[m]!;
          for (let ky = 0; ky < c.k; ky++) for (let kx = 0; kx < c.k; kx++) {
            const iy = oy * c.s - c.pad + ky * c.dil;
            const ix = ox * c.s - c.pad + kx * c.dil;
            const v = iy < 0 || iy >= c.H || ix < 0 || ix >= c.W ? rq.zx : xv[(ci * c.H + iy) * c.W + ix]!;
            acc += (v - rq.zx) * w[m * taps + ky * c.k + kx]!;
          }
          const want = requant(acc, rq.mult[m]!, rq.off[m]!, rq.zy, rq.qlo, rq.qhi);
          assert.equal(y[(m * OH + oy) * OW + ox], want, `${JSON.stringify(c)} ${signed ? "s8" : "u8"}: y[${m}][${oy}][${ox}]`);
        }
      }
    } finally {
      await k.close();
    }
  });
}

// Grouped 3×3 convolutions from 10×10 outputs take integer Winograd group by group (RegNet's 16-channel groups).
const GROUPED_WINOGRAD_CASES: { N: number; C: number; M: number; H: number; W: number; pad: number; groups: number }[] = [
  { N: 2, C: 32, M: 48, H: 10, W: 13, pad: 1, groups: 2 },
  { N: 1, C: 48, M: 48, H: 12, W: 12, pad: 0, groups: 3 },
];

test("grouped integer Winograd (group by group, images by image) equals the oracle", async () => {
  const k = new Kernels({ threads: 1 });
  try {
    for (const c of GROUPED_WINOGRAD_CASES) for (const signed of [false, true]) {
      const OH = c.H + 2 * c.pad - 2;
      const OW = c.W + 2 * c.pad - 2;
      const g: Window2d = { H: c.H, W: c.W, kh: 3, kw: 3, sh: 1, sw: 1, ph: c.pad, pw: c.pad, dh: 1, dw: 1, OH, OW };
      const Cg = c.C / c.groups;
      const Mg = c.M / c.groups;
      const K = Cg * 9;
      assert.ok(k.qwinograd.applies(g, c.groups, Cg, Mg), `${JSON.stringify(c)} takes Winograd`);
      const seed = c.C * 5 + c.H;
      const w = Int8Array.from(ints(c.M * K, -128, 127, seed));
      const rq = requantization(c.M, signed, signed, seed);
      const xv = ints(c.N * c.C * c.H * c.W, signed ? -128 : 0, signed ? 127 : 255, seed + 1);
      const x = bytes(k, xv, signed);
      const y = bytes(k, new Array<number>(c.N * c.M * OH * OW).fill(0), signed);
      const packs = k.qwinograd.packGroups(w, { groups: c.groups, M: Mg, C: Cg }, rq, (n) => k.allocF32(n));
      assert.ok(packs, "the weights keep every sum in int32");
      const shape = { N: c.N, groups: c.groups, C: Cg, M: Mg, g };
      k.qwinograd.reserveGroups(shape);
      k.qwinograd.runGroups(packs, x, y, shape);
      for (let n = 0; n < c.N; n++) for (let m = 0; m < c.M; m++) for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) {
        const gi = Math.floor(m / Mg);
        let acc = rq.biasAcc[m]!;
        for (let ci = 0; ci < Cg; ci++) for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) {
          const iy = oy - c.pad + ky;
          const ix = ox - c.pad + kx;
          const v = iy < 0 || iy >= c.H || ix < 0 || ix >= c.W ? rq.zx : xv[(((n * c.groups + gi) * Cg + ci) * c.H + iy) * c.W + ix]!;
          acc += (v - rq.zx) * w[m * K + (ci * 3 + ky) * 3 + kx]!;
        }
        const want = requant(acc, rq.mult[m]!, rq.off[m]!, rq.zy, rq.qlo, rq.qhi);
        assert.equal(y[((n * c.M + m) * OH + oy) * OW + ox], want, `${JSON.stringify(c)} ${signed ? "s8" : "u8"}: y[${n}][${m}][${oy}][${ox}]`);
      }
    }
  } finally {
    await k.close();
  }
});

/** Scalar convolution of one image (groups, stride, padding; no dilation), requantized as the kernels document. */
function convOracle(xv: readonly number[], w: Int8Array, rq: Requantization, c: { C: number; M: number; H: number; W: number; groups: number },
  k: number, s: number, pad: number, OH: number, OW: number): number[] {
  const Cg = c.C / c.groups;
  const Mg = c.M / c.groups;
  const K = Cg * k * k;
  const out: number[] = [];
  for (let m = 0; m < c.M; m++) for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) {
    const gi = Math.floor(m / Mg);
    let acc = rq.biasAcc[m]!;
    for (let ci = 0; ci < Cg; ci++) for (let ky = 0; ky < k; ky++) for (let kx = 0; kx < k; kx++) {
      const iy = oy * s - pad + ky;
      const ix = ox * s - pad + kx;
      const v = iy < 0 || iy >= c.H || ix < 0 || ix >= c.W ? rq.zx : xv[((gi * Cg + ci) * c.H + iy) * c.W + ix]!;
      acc += (v - rq.zx) * w[m * K + (ci * k + ky) * k + kx]!;
    }
    out.push(requant(acc, rq.mult[m]!, rq.off[m]!, rq.zy, rq.qlo, rq.qhi));
  }
  return out;
}

test("one image's groups are shared out over two threads by whole groups (im2col stride 2, grouped Winograd)", async () => {
  const k = new Kernels({ threads: 2 });
  try {
    // RegNet's 16-channel groups: too small to split within, enough of them to split between threads.
    for (const c of [{ C: 512, M: 512, H: 28, W: 28, groups: 32, s: 2 }, { C: 400, M: 400, H: 28, W: 28, groups: 25, s: 1 }]) {
      const OH = Math.floor((c.H + 2 - 3) / c.s) + 1;
      const OW = Math.floor((c.W + 2 - 3) / c.s) + 1;
      const g: Window2d = { H: c.H, W: c.W, kh: 3, kw: 3, sh: c.s, sw: c.s, ph: 1, pw: 1, dh: 1, dw: 1, OH, OW };
      const Cg = c.C / c.groups;
      const Mg = c.M / c.groups;
      const seed = c.C + c.s;
      const w = Int8Array.from(ints(c.M * Cg * 9, -128, 127, seed));
      const rq = requantization(c.M, false, false, seed);
      const xv = ints(c.C * c.H * c.W, 0, 255, seed + 1);
      const x = bytes(k, xv, false);
      const y = bytes(k, new Array<number>(c.M * OH * OW).fill(0), false);
      const shape = { N: 1, groups: c.groups, C: Cg, M: Mg, g };
      const before = k.threadedCalls;
      if (k.qwinograd.applies(g, c.groups, Cg, Mg)) {
        const packs = k.qwinograd.packGroups(w, { groups: c.groups, M: Mg, C: Cg }, rq, (n) => k.allocF32(n));
        assert.ok(packs, "the weights keep every sum in int32");
        k.qwinograd.reserveGroups(shape);
        k.qwinograd.runGroups(packs, x, y, shape);
      } else {
        const packed = k.qconv.pack(w, { groups: c.groups, M: Mg, K: Cg * 9 }, rq, (n) => k.allocF32(n));
        k.qconv.reserve(Mg, Cg, g);
        k.qconv.run(packed, x, y, shape);
      }
      assert.equal(k.threadedCalls - before, 1, `${JSON.stringify(c)}: one call split over the threads`);
      const want = convOracle(xv, w, rq, c, 3, c.s, 1, OH, OW);
      for (let i = 0; i < want.length; i++) if (y[i] !== want[i]) assert.fail(`${JSON.stringify(c)}: y[${i}] = ${y[i]}, expected ${want[i]}`);
    }
  } finally {
    await k.close();
  }
});

// Max pooling with padding copies each plane into a padded scratch plane 16 codes at a time (a scalar tail); without,
// it reads the input in place, a row's last step moved back to end at the row's end (or stored through a buffer
// where the row is shorter than a step): widths with and without a tail, strides 1 and 2, both signs.
const MAXPOOL_CASES: { C: number; H: number; W: number; k: number; s: number; pad: number }[] = [
  { C: 3, H: 13, W: 37, k: 3, s: 2, pad: 1 },
  { C: 2, H: 9, W: 32, k: 3, s: 1, pad: 1 },
  { C: 2, H: 6, W: 31, k: 3, s: 1, pad: 1 },
  { C: 2, H: 8, W: 7, k: 2, s: 2, pad: 0 },
  { C: 3, H: 28, W: 28, k: 2, s: 2, pad: 0 },
  { C: 3, H: 14, W: 14, k: 2, s: 2, pad: 0 },
  { C: 2, H: 9, W: 40, k: 3, s: 2, pad: 0 },
  { C: 2, H: 7, W: 30, k: 3, s: 1, pad: 0 },
  { C: 2, H: 5, W: 9, k: 2, s: 1, pad: 0 },
];

test("integer max pooling equals the oracle (padded planes copied by vectors and a tail; strides 1 and 2)", async () => {
  const k = new Kernels({ threads: 1 });
  try {
    for (const c of MAXPOOL_CASES) for (const signed of [false, true]) {
      const OH = Math.floor((c.H + 2 * c.pad - c.k) / c.s) + 1;
      const OW = Math.floor((c.W + 2 * c.pad - c.k) / c.s) + 1;
      const g: Window2d = { H: c.H, W: c.W, kh: c.k, kw: c.k, sh: c.s, sw: c.s, ph: c.pad, pw: c.pad, dh: 1, dw: 1, OH, OW };
      const xv = ints(c.C * c.H * c.W, signed ? -128 : 0, signed ? 127 : 255, c.W * 3 + c.s);
      k.qwindow.reserve(g, true);
      const x = bytes(k, xv, signed);
      const y = bytes(k, new Array<number>(c.C * OH * OW).fill(0), signed);
      k.qwindow.maxpool(x, y, c.C, g, signed);
      for (let ch = 0; ch < c.C; ch++) for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) {
        let want = -Infinity;
        for (let ky = 0; ky < c.k; ky++) for (let kx = 0; kx < c.k; kx++) {
          const iy = oy * c.s - c.pad + ky, ix = ox * c.s - c.pad + kx;
          if (iy >= 0 && iy < c.H && ix >= 0 && ix < c.W) want = Math.max(want, xv[(ch * c.H + iy) * c.W + ix]!);
        }
        assert.equal(y[(ch * OH + oy) * OW + ox], want, `${JSON.stringify(c)} ${signed ? "s8" : "u8"}: y[${ch}][${oy}][${ox}]`);
      }
    }
  } finally {
    await k.close();
  }
});
