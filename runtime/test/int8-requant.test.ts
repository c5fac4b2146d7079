import { test } from "node:test";
import assert from "node:assert/strict";
import { Kernels } from "../src/engine/kernels/kernels.js";
import { reciprocalServes, type Requantization } from "../src/engine/kernels/qconv.js";
import { foldStage } from "../src/engine/kernels/fold-stage.js";
import type { Window2d } from "../src/engine/kernels/geometry.js";
import { ints, roundHalfEven } from "./helpers/integer-oracle.js";

// The convolutions' requantizing store on values that land exactly halfway between two codes (multipliers that are
// powers of two, offsets in halves), on narrowed output ranges (a fused Relu's qlo = zy) and on accumulators far
// beyond the codes (saturation), for every path that stores through it: im2col (1×1 with partial column blocks of
// 1 to 6 columns, a single column four panels at a time, K past one chunk, 3×3 wide columns, stride-2 phases),
// Winograd and depthwise.

/** q = clamp(nearest_even(f32(acc)·mult + off) + zy, qlo, qhi), every step in float32; `tie` when the float is k + ½. */
function requant(acc: number, rq: Requantization, m: number): { q: number; tie: boolean } {
  const f = Math.fround(Math.fround(Math.fround(acc) * rq.mult[m]!) + rq.off[m]!);
  const r = roundHalfEven(f) + rq.zy;
  return { q: Math.min(rq.qhi, Math.max(rq.qlo, r)), tie: f - Math.floor(f) === 0.5 && r > rq.qlo && r < rq.qhi };
}

/**
 * Multipliers 2^−s with s chosen so that K products of small weights (|w| ≤ 3) and activations near the zero point
 * (|x − zx| ≤ 4) land around ±50 codes: about one output in 2^s is a tie.
 */
function tieRequantization(M: number, K: number, signed: boolean, seed: number): Requantization {
  const base = Math.max(1, Math.ceil(Math.log2((2.6 * 2 * Math.sqrt(K)) / 50)));
  const shifts = ints(M, base - 1, base + 1, seed).map((s) => Math.max(1, s));
  const halves = ints(M, -3, 3, seed + 1);
  const biasAcc = Int32Array.from(ints(M, -20, 20, seed + 2));
  // Channel 5 saturates high and channel 6 low (accumulators about 2^26 codes away).
  if (M > 6) {
    biasAcc[5] = 1 << 27;
    biasAcc[6] = -(1 << 27);
  }
  const zy = signed ? -20 : 100;
  return {
    mult: Float32Array.from(shifts, (s) => 2 ** -s), biasAcc, off: Float32Array.from(halves, (h) => h / 2),
    zx: signed ? 3 : 128, zy, qlo: zy, qhi: signed ? 90 : 230, signedInput: signed, signedOutput: signed,
  };
}

interface Case { path: "qconv" | "winograd" | "depthwise"; C: number; M: number; H: number; W: number; k: number; s: number; pad: number }

const CASES: Case[] = [
  { path: "qconv", C: 300, M: 10, H: 7, W: 7, k: 1, s: 1, pad: 0 },
  // A single-column block (7×7: 6 blocks and 1 column; 5×5: 3 and 1) runs four panels at a time: 18 channels are
  // four panels so and a fifth of 2 rows alone, over two K chunks (700 steps); 15 channels are four panels, the
  // last of 3 rows.
  { path: "qconv", C: 700, M: 18, H: 7, W: 7, k: 1, s: 1, pad: 0 },
  { path: "qconv", C: 24, M: 15, H: 5, W: 5, k: 1, s: 1, pad: 0 },
  // An odd K: the last row's partial block copies its columns alone, and its pair's second row is zeros.
  { path: "qconv", C: 7, M: 5, H: 3, W: 3, k: 1, s: 1, pad: 0 },
  { path: "qconv", C: 24, M: 9, H: 14, W: 14, k: 1, s: 1, pad: 0 },
  { path: "qconv", C: 20, M: 7, H: 5, W: 7, k: 1, s: 1, pad: 0 },
  { path: "qconv", C: 40, M: 6, H: 6, W: 9, k: 1, s: 1, pad: 0 },
  { path: "qconv", C: 12, M: 5, H: 5, W: 10, k: 1, s: 1, pad: 0 },
  { path: "qconv", C: 8, M: 12, H: 7, W: 7, k: 3, s: 1, pad: 1 },
  { path: "qconv", C: 6, M: 8, H: 15, W: 13, k: 3, s: 2, pad: 1 },
  { path: "winograd", C: 16, M: 16, H: 9, W: 9, k: 3, s: 1, pad: 1 },
  // Two blocks of tiles in a round and more transformed weights than L2 (ResNet-18's 7×7 layers): ξ outside the blocks.
  { path: "winograd", C: 512, M: 34, H: 7, W: 7, k: 3, s: 1, pad: 1 },
  { path: "depthwise", C: 8, M: 8, H: 10, W: 11, k: 3, s: 1, pad: 1 },
];

/** Run case c through its path with requantization rq; returns the output codes and each output's accumulator. */
function runCase(k: Kernels, c: Case, signed: boolean, rq: Requantization, w: Int8Array, xv: number[]) {
  const OH = Math.floor((c.H + 2 * c.pad - c.k) / c.s) + 1;
  const OW = Math.floor((c.W + 2 * c.pad - c.k) / c.s) + 1;
  const g: Window2d = { H: c.H, W: c.W, kh: c.k, kw: c.k, sh: c.s, sw: c.s, ph: c.pad, pw: c.pad, dh: 1, dw: 1, OH, OW };
  const depthwise = c.path === "depthwise";
  const K = depthwise ? c.k * c.k : c.C * c.k * c.k;
  const f = k.allocF32(Math.ceil(xv.length / 4) + 1);
  const x = signed ? new Int8Array(f.buffer, f.byteOffset, xv.length) : new Uint8Array(f.buffer, f.byteOffset, xv.length);
  x.set(xv);
  // Four planes of slack after the output, filled with a pattern: a panel storing rows past M would overwrite them.
  const fy = k.allocF32(Math.ceil(((c.M + 4) * OH * OW) / 4) + 1);
  const y = signed ? new Int8Array(fy.buffer, fy.byteOffset, c.M * OH * OW) : new Uint8Array(fy.buffer, fy.byteOffset, c.M * OH * OW);
  const slack = new Uint8Array(fy.buffer, fy.byteOffset + c.M * OH * OW, 4 * OH * OW);
  slack.fill(0x5a);
  const alloc = (n: number) => k.allocF32(n);
  if (c.path === "winograd") {
    assert.ok(k.qwinograd.applies(g, 1, c.C, c.M), `${JSON.stringify(c)} takes Winograd`);
    const packed = k.qwinograd.pack(w, { M: c.M, C: c.C }, rq, alloc);
    assert.ok(packed, "the weights keep every sum in int32");
    k.qwinograd.reserve({ N: 1, groups: 1, C: c.C, M: c.M, g });
    k.qwinograd.run(packed, x, y, { N: 1, groups: 1, C: c.C, M: c.M, g });
  } else if (depthwise) {
    const packed = k.qconv.pack(w, { groups: 1, M: c.M, K, depthwise: true }, rq, alloc);
    k.qwindow.reserve(g);
    k.qwindow.depthwise(packed, x, y, { N: 1, groups: c.C, C: 1, M: c.M / c.C, g });
  } else {
    const packed = k.qconv.pack(w, { groups: 1, M: c.M, K }, rq, alloc);
    k.qconv.reserve(c.M, c.C, g);
    k.qconv.run(packed, x, y, { N: 1, groups: 1, C: c.C, M: c.M, g });
  }
  const accumulator = (m: number, oy: number, ox: number): number => {
    let acc = rq.biasAcc[m]!;
    const channels = depthwise ? [m] : Array.from({ length: c.C }, (_, i) => i);
    for (const ci of channels) for (let ky = 0; ky < c.k; ky++) for (let kx = 0; kx < c.k; kx++) {
      const iy = oy * c.s - c.pad + ky;
      const ix = ox * c.s - c.pad + kx;
      const v = iy < 0 || iy >= c.H || ix < 0 || ix >= c.W ? rq.zx : xv[(ci * c.H + iy) * c.W + ix]!;
      acc += (v - rq.zx) * w[depthwise ? m * K + ky * c.k + kx : m * K + (ci * c.k + ky) * c.k + kx]!;
    }
    return acc;
  };
  assert.ok(slack.every((v) => v === 0x5a), `${JSON.stringify(c)}: the kernel wrote past the output's last channel`);
  return { y, OH, OW, K, accumulator };
}

test("the requantizing store rounds ties to even and clamps to [qlo, qhi] on every convolution path", async () => {
  const k = new Kernels({ threads: 1 });
  try {
    for (const c of CASES) for (const signed of [false, true]) {
      const K = c.path === "depthwise" ? c.k * c.k : c.C * c.k * c.k;
      const seed = c.C * 13 + c.M * 7 + c.H + c.k;
      const w = Int8Array.from(ints(c.M * K, -3, 3, seed));
      const rq = tieRequantization(c.M, K, signed, seed);
      const xv = ints(c.C * c.H * c.W, rq.zx - 4, rq.zx + 4, seed + 3);
      const { y, OH, OW, accumulator } = runCase(k, c, signed, rq, w, xv);
      let ties = 0;
      for (let m = 0; m < c.M; m++) for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) {
        const want = requant(accumulator(m, oy, ox), rq, m);
        if (want.tie) ties++;
        assert.equal(y[(m * OH + oy) * OW + ox], want.q, `${JSON.stringify(c)} ${signed ? "s8" : "u8"}: y[${m}][${oy}][${ox}]`);
      }
      assert.ok(ties >= 8, `${JSON.stringify(c)} ${signed ? "s8" : "u8"}: only ${ties} outputs were ties`);
    }
  } finally {
    await k.close();
  }
});

/** QuantizeLinear of one float as the reference computes it (float32 quotient, round half to even, saturated). */
function quantize(v: number, scale: number, zp: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, roundHalfEven(Math.fround(Math.fround(v) / scale)) + zp));
}

// A Relu or Clip between two Q/DQ pairs folded into the convolution's store: the first quantization's codes
// dequantized, clamped and quantized to the output as DequantizeLinear → Relu/Clip → QuantizeLinear compute them.
test("a second quantization stage (Relu/Clip between two Q/DQ pairs) equals the reference on every convolution path", async () => {
  const k = new Kernels({ threads: 1 });
  try {
    // An output scale twice the first's puts half of the codes on ties, where its float32 reciprocal rounds some the
    // other way: the stage divides. At 0.07 the reciprocal gives every code the division gives: it multiplies.
    for (const c of CASES) for (const signed of [false, true]) for (const clip of [false, true]) for (const divisor of [0.075, 0.07]) {
      const K = c.path === "depthwise" ? c.k * c.k : c.C * c.k * c.k;
      const seed = c.C * 17 + c.M * 5 + c.H + c.k + (clip ? 1 : 0);
      const w = Int8Array.from(ints(c.M * K, -3, 3, seed));
      const first = tieRequantization(c.M, K, signed, seed);
      const [tlo, thi] = signed ? [-128, 127] : [0, 255];
      const zp = signed ? -9 : 121;
      const stage = { zp, qlo: tlo, qhi: thi, scale: 0.0375, lo: clip ? -0.6 : 0, hi: clip ? 1.5 : Infinity, divisor };
      assert.equal(reciprocalServes(stage), divisor === 0.07, `the stage ${divisor === 0.07 ? "multiplies" : "divides"}`);
      const rq: Requantization = { ...first, zy: signed ? -100 : 3, qlo: tlo, qhi: thi, stage };
      // A stage that multiplies runs in its short form (fold-stage.ts), one that divides in its own steps: both paths.
      const folded = foldStage({ ...stage, reciprocal: divisor === 0.07, zy: rq.zy, outLo: tlo, outHi: thi, fullRange: true, finite: true });
      assert.equal(folded !== undefined, divisor === 0.07, "the stage's short form");
      // Its lean variant (one factor, the clamp left to the narrowing) for the Clip, two factors for the Relu.
      if (folded) assert.equal(folded.lean, clip, "the short form's lean variant");
      const xv = ints(c.C * c.H * c.W, rq.zx - 4, rq.zx + 4, seed + 3);
      const { y, OH, OW, accumulator } = runCase(k, c, signed, rq, w, xv);
      for (let m = 0; m < c.M; m++) for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) {
        const f = Math.fround(Math.fround(Math.fround(accumulator(m, oy, ox)) * rq.mult[m]!) + rq.off[m]!);
        const q1 = Math.min(thi, Math.max(tlo, roundHalfEven(f) + zp));
        const x = Math.min(Math.max(Math.fround((q1 - zp) * Math.fround(stage.scale)), Math.fround(stage.lo)), Math.fround(stage.hi));
        const want = quantize(x, Math.fround(stage.divisor), rq.zy, rq.qlo, rq.qhi);
        assert.equal(y[(m * OH + oy) * OW + ox], want, `${JSON.stringify(c)} ${signed ? "s8" : "u8"}${clip ? " clip" : ""} /${divisor}: y[${m}][${oy}][${ox}]`);
      }
    }
  } finally {
    await k.close();
  }
});

// With every multiplier and offset finite the kernels round without masking NaN (descriptor flag bit 2); a model
// whose scales make one infinite or NaN must keep the masked rounding: NaN to the zero point, ±∞ to the clamp, as
// QuantizeLinear's saturating conversion gives.
test("a NaN or infinite multiplier requantizes as the saturating conversion does on every convolution path", async () => {
  const k = new Kernels({ threads: 1 });
  try {
    for (const c of CASES) for (const signed of [false, true]) {
      const K = c.path === "depthwise" ? c.k * c.k : c.C * c.k * c.k;
      const seed = c.C * 11 + c.M * 3 + c.H + c.k;
      const w = Int8Array.from(ints(c.M * K, -3, 3, seed));
      const base = tieRequantization(c.M, K, signed, seed);
      const mult = Float32Array.from(base.mult);
      mult[0] = NaN;
      mult[c.M - 1] = Infinity;
      const rq: Requantization = { ...base, mult };
      const xv = ints(c.C * c.H * c.W, rq.zx - 4, rq.zx + 4, seed + 3);
      const { y, OH, OW, accumulator } = runCase(k, c, signed, rq, w, xv);
      for (let m = 0; m < c.M; m++) for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) {
        const f = Math.fround(Math.fround(Math.fround(accumulator(m, oy, ox)) * rq.mult[m]!) + rq.off[m]!);
        const r = Number.isNaN(f) ? rq.zy : roundHalfEven(f) + rq.zy;
        const want = Math.min(rq.qhi, Math.max(rq.qlo, r));
        assert.equal(y[(m * OH + oy) * OW + ox], want, `${JSON.stringify(c)} ${signed ? "s8" : "u8"}: y[${m}][${oy}][${ox}]`);
      }
    }
  } finally {
    await k.close();
  }
});
