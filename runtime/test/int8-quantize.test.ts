import { test } from "node:test";
import assert from "node:assert/strict";
import { Kernels } from "../src/engine/kernels/kernels.js";
import { roundHalfEven } from "./helpers/integer-oracle.js";

// QuantizeLinear's kernel (sixteen codes per step, then four, then one) against the scalar definition: float32
// quotient, round half to even, saturated to the type, NaN to the zero point. Lengths cover every loop's tail; the
// values put many quotients on ties, past both ends of the range, and on NaN and the infinities.

function oracle(v: number, scale: number, zp: number, lo: number, hi: number): number {
  const r = roundHalfEven(Math.fround(Math.fround(v) / Math.fround(scale)));
  return Number.isNaN(r) ? zp : Math.min(hi, Math.max(lo, r + zp));
}

test("QuantizeLinear's kernel equals the scalar definition (ties, saturation, NaN; every tail length)", () => {
  const k = new Kernels({ threads: 1 });
  const scale = 0.25;
  for (const [signed, zp, lo, hi] of [[false, 128, 0, 255], [true, -3, -128, 127]] as const) {
    for (const n of [0, 1, 3, 4, 5, 15, 16, 17, 20, 31, 33, 47, 100]) {
      const x = k.allocF32(Math.max(1, n));
      for (let i = 0; i < n; i++) {
        // Multiples of 1/8 are ties of the quotient by 1/4 at every other step; some fall far outside the range.
        x[i] = i % 11 === 7 ? NaN : i % 13 === 5 ? (i % 2 ? Infinity : -Infinity) : ((i * 37) % 401 - 200) / 8 + (i % 3 === 0 ? 60 : 0);
      }
      const codes = k.allocF32(Math.max(1, Math.ceil(n / 4)));
      const y = signed ? new Int8Array(codes.buffer, codes.byteOffset, n) : new Uint8Array(codes.buffer, codes.byteOffset, n);
      k.qeltwise.quantize(x, y, n, { scale, zp }, lo, hi, signed);
      for (let i = 0; i < n; i++) assert.equal(y[i], oracle(x[i]!, scale, zp, lo, hi), `${signed ? "int8" : "uint8"} n=${n}: y[${i}] of x = ${x[i]}`);
    }
  }
});
