import { test } from "node:test";
import assert from "node:assert/strict";
import { Kernels } from "../src/engine/kernels/kernels.js";
import { roundHalfEven } from "../src/engine/ops/math.js";
import { ints } from "./helpers/integer-oracle.js";

// QGlobalAveragePool's kernel (plane sums 16 codes a step, the rest one by one; float64 requantization) against the
// operator's documented formula: plane sizes below, at and past a vector, 7×7, 14×14 and 56×56 planes, all-255 and
// all −128 planes (the largest lane sums), u8 and s8 in and out, scales that saturate the output.

const SIZES = [1, 15, 16, 17, 49, 196, 3136];

function oracle(sum: number, count: number, xs: number, zx: number, ys: number, zy: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, roundHalfEven(((sum - count * zx) * xs) / (count * ys)) + zy));
}

test("integer global average pooling equals the documented float64 requantization of exact plane sums", async () => {
  const k = new Kernels({ threads: 1 });
  try {
    for (const [si, so] of [[false, false], [true, true], [false, true], [true, false]] as const) for (const size of SIZES) {
      for (const [xs, zx, ys, zy] of [[0.02, si ? -3 : 120, 0.015, so ? 5 : 131], [0.1, si ? 7 : 3, 0.004, so ? -20 : 200]] as const) {
        const planes = 5;
        const values = ints(planes * size, si ? -128 : 0, si ? 127 : 255, size + (si ? 1 : 0));
        values.fill(si ? -128 : 255, 3 * size, 4 * size);
        const words = k.allocF32(Math.ceil((planes * size) / 4) + 4);
        const x = si ? new Int8Array(words.buffer, words.byteOffset, planes * size) : new Uint8Array(words.buffer, words.byteOffset, planes * size);
        x.set(values);
        const out = k.allocF32(4);
        const y = so ? new Int8Array(out.buffer, out.byteOffset, planes) : new Uint8Array(out.buffer, out.byteOffset, planes);
        const [lo, hi] = so ? [-128, 127] : [0, 255];
        k.qwindow.globalAverage(x as Uint8Array, y as Uint8Array, planes, size, si, { scale: Math.fround(xs), zp: zx }, { scale: Math.fround(ys), zp: zy }, lo, hi);
        for (let p = 0; p < planes; p++) {
          const sum = values.slice(p * size, (p + 1) * size).reduce((a, v) => a + v, 0);
          assert.equal(y[p], oracle(sum, size, Math.fround(xs), zx, Math.fround(ys), zy, lo, hi), `${si ? "s8" : "u8"}→${so ? "s8" : "u8"} plane ${p} of ${size}, scales ${xs}/${ys}`);
        }
      }
    }
  } finally {
    await k.close();
  }
});

// QAveragePool's kernel (a window's exact integer sum, float64 requantization by its tap count) against the same
// formula over the definition's window: counted inside the input, or inside the padded input with count_include_pad
// (never past it, as ceil_mode windows reach), 3×3 stride 2 as Inception's, 2×2 stride 2, a 5×5 window wider than a
// 4-column plane, stride 3 with asymmetric reach; u8 and s8; 1 and 2 threads.
const WINDOWS = [
  { H: 56, W: 56, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1 },
  { H: 9, W: 7, kh: 2, kw: 2, sh: 2, sw: 2, ph: 0, pw: 0 },
  { H: 6, W: 4, kh: 5, kw: 5, sh: 1, sw: 1, ph: 2, pw: 2 },
  { H: 11, W: 13, kh: 3, kw: 2, sh: 3, sw: 3, ph: 1, pw: 0, ceil: true },
];

for (const threads of [1, 2]) {
  test(`integer average pooling equals the float64 requantization of each window's exact sum (count_include_pad 0 and 1; ${threads} thread${threads > 1 ? "s" : ""})`, async () => {
    const k = new Kernels({ threads });
    try {
      for (const w of WINDOWS) for (const includePad of [false, true]) for (const signed of [false, true]) {
        // ceil_mode drops a last window that would start past the input and its leading padding.
        const extent = (n: number, k: number, s: number, pad: number) => {
          const o = (w.ceil ? Math.ceil : Math.floor)((n + 2 * pad - k) / s) + 1;
          return w.ceil && (o - 1) * s >= n + pad ? o - 1 : o;
        };
        const OH = extent(w.H, w.kh, w.sh, w.ph);
        const OW = extent(w.W, w.kw, w.sw, w.pw);
        const g = { H: w.H, W: w.W, kh: w.kh, kw: w.kw, sh: w.sh, sw: w.sw, ph: w.ph, pw: w.pw, dh: 1, dw: 1, OH, OW };
        const planes = 40;
        const [lo, hi] = signed ? [-128, 127] : [0, 255];
        const values = ints(planes * w.H * w.W, lo, hi, w.H * 7 + w.kw);
        const words = k.allocF32(Math.ceil(values.length / 4) + 4);
        const x = signed ? new Int8Array(words.buffer, words.byteOffset, values.length) : new Uint8Array(words.buffer, words.byteOffset, values.length);
        x.set(values);
        const outWords = k.allocF32(Math.ceil((planes * OH * OW) / 4) + 4);
        const y = signed ? new Int8Array(outWords.buffer, outWords.byteOffset, planes * OH * OW) : new Uint8Array(outWords.buffer, outWords.byteOffset, planes * OH * OW);
        const xq = { scale: Math.fround(0.03), zp: signed ? -4 : 122 };
        const yq = { scale: Math.fround(0.021), zp: signed ? 3 : 127 };
        k.qwindow.average(x as Uint8Array, y as Uint8Array, planes, g, includePad, signed, xq, yq, lo, hi);
        for (let p = 0; p < planes; p++) for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) {
          let sum = 0;
          let count = 0;
          let taps = 0;
          for (let ky = 0; ky < w.kh; ky++) for (let kx = 0; kx < w.kw; kx++) {
            const iy = oy * w.sh - w.ph + ky;
            const ix = ox * w.sw - w.pw + kx;
            if (iy < 0 || iy >= w.H || ix < 0 || ix >= w.W) {
              if (includePad && iy < w.H + w.ph && ix < w.W + w.pw) count++;
              continue;
            }
            sum += values[(p * w.H + iy) * w.W + ix]!;
            taps++;
            count++;
          }
          const want = Math.min(hi, Math.max(lo, roundHalfEven(((sum - taps * xq.zp) * xq.scale) / (count * yq.scale)) + yq.zp));
          assert.equal(y[(p * OH + oy) * OW + ox], want, `${JSON.stringify(w)} includePad ${includePad} ${signed ? "s8" : "u8"}: y[${p}][${oy}][${ox}]`);
        }
      }
    } finally {
      await k.close();
    }
  });
}
