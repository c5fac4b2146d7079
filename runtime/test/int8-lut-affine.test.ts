import { test } from "node:test";
import assert from "node:assert/strict";
import { Kernels } from "../src/engine/kernels/kernels.js";
import { affineTable } from "../src/engine/kernels/affine-table.js";
import { ints, roundHalfEven } from "./helpers/integer-oracle.js";

// A table that is a requantization (QConcat's inputs, a QLut after a layout op) or a Relu/Clip between two Q/DQ
// pairs runs as an affine map with a clamp instead of 16 swizzles: the lookup itself is the oracle, for every code,
// u8/s8 in and out, every length's tail, one and two threads. A table that is no such map keeps the swizzles.

const LENGTHS = [1, 15, 16, 17, 255, 256, 259, 4099];

interface Quant { scale: number; zp: number; signed: boolean }

/** The table DequantizeLinear → f → QuantizeLinear builds, float32 steps (as ops/qkit/lut.ts), indexed as the kernel reads it. */
function tableOf(x: Quant, y: Quant, f: (v: number) => number): number[] {
  const lo = y.signed ? -128 : 0;
  const hi = y.signed ? 127 : 255;
  return Array.from({ length: 256 }, (_, i) => {
    const code = x.signed ? i - 128 : i;
    const v = Math.fround(f(Math.fround((code - x.zp) * Math.fround(x.scale))));
    return Math.min(hi, Math.max(lo, roundHalfEven(Math.fround(v / Math.fround(y.scale))) + y.zp));
  });
}

function quants(seed: number, count: number): [Quant, Quant][] {
  const scales = ints(2 * count, 1, 4000, seed).map((v) => Math.fround(v / 20000));
  const zps = ints(2 * count, 0, 255, seed + 1);
  const signs = ints(2 * count, 0, 1, seed + 2);
  return Array.from({ length: count }, (_, i) => {
    const q = (j: number): Quant => ({ scale: scales[j]!, zp: signs[j] ? zps[j]! - 128 : zps[j]!, signed: signs[j] === 1 });
    return [q(2 * i), q(2 * i + 1)];
  });
}

const FUNCTIONS: Record<string, (v: number) => number> = {
  requantize: (v) => v,
  Relu: (v) => Math.max(v, 0),
  Clip: (v) => Math.min(Math.max(v, 0), 6),
};

test("every requantization, Relu and Clip table of 300 random parameter pairs has an affine form equal to it", () => {
  for (const [name, f] of Object.entries(FUNCTIONS)) {
    for (const [x, y] of quants(name.length, 100)) {
      const codes = tableOf(x, y, f);
      const fit = affineTable(codes, x.signed);
      assert.ok(fit, `${name} ${JSON.stringify({ x, y })}: no affine form`);
      for (let i = 0; i < 256; i++) {
        const code = x.signed ? i - 128 : i;
        const v = Math.min(fit.hi, Math.max(fit.lo, Math.floor((code * fit.a + fit.c) / 2 ** fit.shift)));
        assert.equal(v, codes[i], `${name} ${JSON.stringify({ x, y })}: code ${code}`);
      }
    }
  }
});

test("a table that is no affine map with a clamp has no affine form", () => {
  const gelu = tableOf({ scale: 0.05, zp: 128, signed: false }, { scale: 0.03, zp: 20, signed: false },
    (v) => 0.5 * v * (1 + Math.tanh(0.7978845608 * (v + 0.044715 * v ** 3))));
  assert.equal(affineTable(gelu, false), undefined);
  assert.equal(affineTable(Array.from({ length: 256 }, (_, i) => (i * 37) % 256), false), undefined);
});

for (const threads of [1, 2]) {
  test(`the lookup kernel equals its table with the affine form and without (${threads} thread${threads > 1 ? "s" : ""})`, async () => {
    const k = new Kernels({ threads });
    try {
      const cases = Object.entries(FUNCTIONS).flatMap(([name, f]) => quants(7 + name.length, 8).map(([x, y]) => ({ name, x, y, codes: tableOf(x, y, f) })));
      cases.push({ name: "GELU", x: { scale: 0.05, zp: 3, signed: true }, y: { scale: 0.02, zp: -100, signed: true },
        codes: tableOf({ scale: 0.05, zp: 3, signed: true }, { scale: 0.02, zp: -100, signed: true }, (v) => v / (1 + Math.exp(-1.702 * v))) });
      for (const { name, x, y, codes } of cases) {
        const table = k.qeltwise.table(codes, (n) => k.allocF32(n), x.signed);
        assert.equal(table.affine !== undefined, name !== "GELU", `${name}: affine form`);
        for (const n of LENGTHS) {
          const input = ints(n, x.signed ? -128 : 0, x.signed ? 127 : 255, n + name.length);
          const words = k.allocF32(Math.ceil(n / 4) + 4);
          const xs = x.signed ? new Int8Array(words.buffer, words.byteOffset, n) : new Uint8Array(words.buffer, words.byteOffset, n);
          xs.set(input);
          const out = k.allocF32(Math.ceil(n / 4) + 4);
          const ys = y.signed ? new Int8Array(out.buffer, out.byteOffset, n) : new Uint8Array(out.buffer, out.byteOffset, n);
          k.qeltwise.lut(xs, ys, n, table, x.signed);
          for (let i = 0; i < n; i++) {
            assert.equal(ys[i], codes[x.signed ? input[i]! + 128 : input[i]!], `${name} ${JSON.stringify({ x, y })}, n ${n}: y[${i}]`);
          }
        }
      }
    } finally {
      await k.close();
    }
  });
}
