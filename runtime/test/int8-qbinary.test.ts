import { test } from "node:test";
import assert from "node:assert/strict";
import { Kernels } from "../src/engine/kernels/kernels.js";
import type { QbinaryParams } from "../src/engine/kernels/qeltwise.js";
import { binaryReciprocalServes } from "../src/engine/kernels/binary-reciprocal.js";
import { ints, roundHalfEven } from "./helpers/integer-oracle.js";

// QAdd/QMul's kernel held against a scalar oracle of the Q/DQ reference's float32 steps: dequantize each operand,
// add or multiply, divide by the output scale, round half to even, add the zero point, clamp. Lengths cover the
// sixteen-code steps, the four-code steps and the scalar tail; b steps, repeats one code, or is float32; the output
// scale divides, or multiplies as its reciprocal where binaryReciprocalServes found that every pair of codes allows.

const LENGTHS = [1, 3, 4, 15, 16, 21, 37, 100, 259];

function oracle(op: "Add" | "Mul", a: number, fb: number, q: QbinaryParams): number {
  const fa = Math.fround((a - q.a.zp) * Math.fround(q.a.scale));
  const v = Math.fround(op === "Add" ? fa + fb : fa * fb);
  return Math.min(q.qhi, Math.max(q.qlo, roundHalfEven(Math.fround(v / Math.fround(q.y.scale))) + q.y.zp));
}

/** `n` bytes (or floats) in kernel memory holding `values`. */
function place(k: Kernels, values: readonly number[], kind: "u8" | "s8" | "f32"): Uint8Array | Int8Array | Float32Array {
  const words = k.allocF32(Math.ceil(values.length / 4) * (kind === "f32" ? 4 : 1) + 4);
  const view = kind === "f32" ? new Float32Array(words.buffer, words.byteOffset, values.length)
    : kind === "s8" ? new Int8Array(words.buffer, words.byteOffset, values.length) : new Uint8Array(words.buffer, words.byteOffset, values.length);
  view.set(values);
  return view;
}

for (const threads of [1, 2]) {
  test(`QAdd/QMul's kernel equals the float32 oracle: b stepping, repeated or float32, u8/s8, every length's tail (${threads} thread${threads > 1 ? "s" : ""})`, async () => {
    const k = new Kernels({ threads });
    try {
      for (const op of ["Add", "Mul"] as const) for (const [sa, sb, sy] of [[false, false, false], [true, true, true], [false, true, true], [true, false, false]] as const) {
        for (const bMode of ["steps", "repeats", "float steps", "float repeats"] as const) for (const n of LENGTHS) for (const multiply of [false, true]) {
          const floatB = bMode.startsWith("float");
          const bRepeats = bMode.endsWith("repeats");
          const seed = n * 31 + (op === "Add" ? 0 : 7) + bMode.length;
          const q: QbinaryParams = {
            a: { scale: 0.037, zp: sa ? -5 : 121 }, b: { scale: op === "Mul" ? 0.011 : 0.052, zp: sb ? 9 : 130 },
            y: { scale: op === "Mul" ? 0.0031 : 0.061, zp: sy ? 3 : 127 },
            qlo: sy ? -128 : 0, qhi: sy ? 127 : 255, signedA: sa, signedB: sb, signedY: sy, floatB,
          };
          // These scales allow the reciprocal for code operands (never for a float32 b): both kernels' paths run.
          q.reciprocal = multiply && binaryReciprocalServes(op, q);
          assert.equal(q.reciprocal, multiply && !floatB, "the output scale's reciprocal serves");
          const av = ints(n, sa ? -128 : 0, sa ? 127 : 255, seed);
          const bn = bRepeats ? 1 : n;
          const bv = floatB ? ints(bn, -3000, 3000, seed + 1).map((v) => Math.fround(v / 997)) : ints(bn, sb ? -128 : 0, sb ? 127 : 255, seed + 1);
          const a = place(k, av, sa ? "s8" : "u8") as Uint8Array;
          const b = place(k, bv, floatB ? "f32" : sb ? "s8" : "u8") as unknown as Uint8Array;
          const y = place(k, new Array<number>(n).fill(0), sy ? "s8" : "u8") as Uint8Array;
          k.qeltwise.binary(op, a, b, y, n, bRepeats, q);
          for (let i = 0; i < n; i++) {
            const braw = bv[bRepeats ? 0 : i]!;
            const fb = floatB ? braw : Math.fround((braw - q.b.zp) * Math.fround(q.b.scale));
            assert.equal(y[i], oracle(op, av[i]!, fb, q), `${op} ${sa ? "s8" : "u8"}·${floatB ? "f32" : sb ? "s8" : "u8"}→${sy ? "s8" : "u8"}, b ${bMode}, n ${n}${q.reciprocal ? ", reciprocal" : ""}: y[${i}]`);
          }
        }
      }
    } finally {
      await k.close();
    }
  });
}

// Every pair of codes through the kernel: where binaryReciprocalServes says no, multiplying by the reciprocal would
// move some outputs (so the check decides something); where it says yes, the multiplying kernel gives every pair the
// division's code.
test("QAdd/QMul multiply by the output scale's reciprocal only where every pair of codes comes out as the division's", async () => {
  const k = new Kernels({ threads: 1 });
  try {
    const cases = [["Add", 0.037, 0.052, 0.061, true], ["Add", 0.0375, 0.0375, 0.075, false], ["Mul", 0.037, 0.011, 0.0031, true],
      ["Mul", 0.0375, 0.0375, 0.075, false]] as const;
    for (const [op, sa, sb, sy, serves] of cases) {
      const q: QbinaryParams = {
        a: { scale: sa, zp: 121 }, b: { scale: sb, zp: 130 }, y: { scale: sy, zp: 127 },
        qlo: 0, qhi: 255, signedA: false, signedB: false, signedY: false,
      };
      assert.equal(binaryReciprocalServes(op, q), serves, `${op} / ${sy}`);
      const av = Array.from({ length: 65536 }, (_, i) => i >> 8);
      const bv = Array.from({ length: 65536 }, (_, i) => i & 255);
      const a = place(k, av, "u8") as Uint8Array;
      const b = place(k, bv, "u8") as Uint8Array;
      const y = place(k, new Array<number>(65536).fill(0), "u8") as Uint8Array;
      k.qeltwise.binary(op, a, b, y, 65536, false, { ...q, reciprocal: true });
      let moved = 0;
      for (let i = 0; i < 65536; i++) {
        if (y[i] !== oracle(op, av[i]!, Math.fround((bv[i]! - q.b.zp) * Math.fround(q.b.scale)), q)) moved++;
      }
      assert.equal(moved === 0, serves, `${op} / ${sy}: ${moved} of 65536 pairs moved by the reciprocal`);
    }
  } finally {
    await k.close();
  }
});
