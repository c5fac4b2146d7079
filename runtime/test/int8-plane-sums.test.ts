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
