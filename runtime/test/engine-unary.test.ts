import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { Kernels } from "../src/engine/kernels/kernels.js";
import type { KernelVariant } from "../src/engine/kernels/module.js";
import { kernelModule } from "../src/engine/kernels/module.js";
import { UNARY_OPS, type UnaryOp, type UnaryParams } from "../src/engine/kernels/unary.js";
import { erf, roundHalfEven } from "../src/engine/ops/math.js";

const FLT_MAX = 3.4028234663852886e38;
/** Results below FLT_MIN are denormal: absolute 2^-148, times |x| where x multiplies a denormal (SiLU, GELU, Mish). */
const DENORMAL_ULP = 2 ** -148;
/** The bound every function is held to (documented in kernels/vmath.ts and kernels/unary.ts). */
const RELATIVE = 1e-6;

/**
 * Float32 inputs over the whole range: in every binade (denormals included) of both signs the first, last and 40
 * spread mantissas; a dense run over [-30, 30] where the functions bend; ±0, ±Inf and NaN.
 */
function sweep(): Float32Array {
  const values: number[] = [0, -0, Infinity, -Infinity, NaN];
  const bits = new Uint32Array(1);
  const f = new Float32Array(bits.buffer);
  for (let e = 0; e < 255; e++) {
    for (let j = 0; j <= 41; j++) {
      const mantissa = j === 41 ? 0x7fffff : Math.floor((j * 0x7fffff) / 41) ^ (j * 2654435761 & 0x3ff);
      for (const sign of [0, 0x80000000]) {
        bits[0] = (sign | (e << 23) | (mantissa & 0x7fffff)) >>> 0;
        values.push(f[0]!);
      }
    }
  }
  for (let i = 0; i <= 120000; i++) values.push(Math.fround(-30 + (60 * i) / 120000));
  // The floats nearest multiples of π/2 (and their neighbours) up to 1e6, where sin or cos is closest to 0: an
  // argument reduction that is not exact loses the result's relative accuracy there first.
  for (let i = 0; i <= 600; i++) {
    const k = Math.floor(10 ** (i / 100));
    f[0] = (k * Math.PI) / 2;
    for (const step of [-1, 0, 1]) {
      const b = bits[0]!;
      bits[0] = b + step;
      values.push(f[0]!, -f[0]!);
      bits[0] = b;
    }
  }
  return Float32Array.from(values);
}

const sigmoid = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
const softplus = (x: number) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));
const f32 = Math.fround;
const geluArg = (x: number) => 2 * Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x);
const geluTanh = (x: number) => x / (1 + Math.exp(-geluArg(x)));

interface Case {
  op: UnaryOp;
  params?: UnaryParams;
  ref: (x: number) => number;
  /** An absolute allowance on top of the relative bound, where the formula itself cancels (documented per op). */
  abs?: (x: number) => number;
}

const CASES: Case[] = [
  { op: "Exp", ref: Math.exp },
  { op: "Log", ref: Math.log },
  { op: "Sigmoid", ref: sigmoid },
  { op: "Tanh", ref: Math.tanh },
  { op: "Erf", ref: erf },
  // ½x(1 + erf(x/√2)) cancels for x < 0 in float32 (as in every float32 GELU): erf's 4.4e-7 on a sum near 0.
  { op: "Gelu", ref: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)), abs: (x) => 3e-7 * Math.abs(x) },
  // x·sigmoid(2u): the float32 argument 2u carries a few ulp, which sigmoid's slope turns into |2u| times as much.
  { op: "GeluTanh", ref: geluTanh, abs: (x) => 3e-7 * Math.abs(geluArg(x) * geluTanh(x)) },
  { op: "Softplus", ref: softplus },
  { op: "Softsign", ref: (x) => x / (1 + Math.abs(x)) },
  // x·alpha + beta crosses 0 and 1 by cancellation: an absolute 2^-24 of beta.
  { op: "HardSigmoid", params: { alpha: 0.2, beta: 0.5 }, ref: (x) => Math.max(0, Math.min(1, f32(0.2) * x + 0.5)), abs: () => 6e-8 },
  { op: "HardSwish", params: { alpha: 1 / 6, beta: 0.5 }, ref: (x) => x * Math.max(0, Math.min(1, f32(1 / 6) * x + 0.5)), abs: (x) => 6e-8 * Math.abs(x) },
  { op: "Elu", params: { alpha: 1.5 }, ref: (x) => (x < 0 ? 1.5 * Math.expm1(x) : x) },
  { op: "Selu", params: { alpha: f32(1.67326319217681884765625), beta: f32(1.05070102214813232421875) },
    ref: (x) => f32(1.05070102214813232421875) * (x <= 0 ? f32(1.67326319217681884765625) * Math.expm1(x) : x) },
  { op: "Celu", params: { alpha: 2 }, ref: (x) => Math.max(0, x) + Math.min(0, 2 * Math.expm1(x / 2)) },
  { op: "LeakyRelu", params: { alpha: f32(0.01) }, ref: (x) => (x < 0 ? f32(0.01) * x : x) },
  { op: "Mish", ref: (x) => x * Math.tanh(softplus(x)) },
  { op: "Silu", ref: (x) => x * sigmoid(x) },
  { op: "Sqrt", ref: Math.sqrt },
  { op: "Reciprocal", ref: (x) => 1 / x },
  { op: "Abs", ref: Math.abs },
  { op: "Neg", ref: (x) => -x },
  { op: "Floor", ref: Math.floor },
  { op: "Ceil", ref: Math.ceil },
  { op: "Round", ref: roundHalfEven },
  { op: "ThresholdedRelu", params: { alpha: 1 }, ref: (x) => (x > 1 ? x : 0) },
  { op: "Square", ref: (x) => x * x },
  { op: "Cube", ref: (x) => x * x * x },
  { op: "PowHalf", ref: (x) => Math.pow(x, 0.5) },
  { op: "Affine", params: { alpha: 3, beta: 0 }, ref: (x) => 3 * x },
  { op: "Sin", ref: Math.sin },
  { op: "Cos", ref: Math.cos },
];

/** Runs every case on one kernel build; returns the largest relative error per op (over normal results; for ops with an absolute allowance, over x ≥ 0). */
function measure(variant: KernelVariant, t: TestContext): Map<UnaryOp, number> {
  const k = new Kernels({ variant });
  const inputs = sweep();
  const n = inputs.length;
  const x = k.allocF32(n);
  const y = k.allocF32(n);
  x.set(inputs);
  const worst = new Map<UnaryOp, number>();
  for (const c of CASES) {
    k.unary.run(c.op, x, y, n, c.params);
    let maxRel = 0;
    for (let i = 0; i < n; i++) {
      const xi = inputs[i]!;
      const r = c.ref(xi);
      const got = y[i]!;
      const where = `${variant} ${c.op}(${xi}) = ${got}, expected ${r}`;
      if (Number.isNaN(r)) {
        assert.ok(Number.isNaN(got), where);
        continue;
      }
      if (!Number.isFinite(f32(r)) || !Number.isFinite(got)) {
        // Overflow: the same infinity, except within the bound of FLT_MAX.
        const nearMax = Math.abs(r) >= FLT_MAX * (1 - RELATIVE) && Math.abs(got) >= FLT_MAX * (1 - RELATIVE);
        assert.ok(got === f32(r) || (nearMax && Math.sign(got) === Math.sign(r)), where);
        continue;
      }
      const err = Math.abs(got - r);
      assert.ok(err <= RELATIVE * Math.abs(r) + DENORMAL_ULP * (Number.isFinite(xi) ? Math.max(1, Math.abs(xi)) : 1) + (c.abs?.(xi) ?? 0), `${where} (error ${err})`);
      if (Math.abs(r) >= 1.1754943508222875e-38 && (!c.abs || xi >= 0)) maxRel = Math.max(maxRel, err / Math.abs(r));
    }
    worst.set(c.op, maxRel);
  }
  t.diagnostic(`${variant}: ${[...worst].map(([op, e]) => `${op} ${e.toExponential(2)}`).join(", ")}`);
  void k.close();
  return worst;
}

test("every unary kernel function is within 1e-6 relative of double-precision Math over the whole float range", (t) => {
  assert.deepEqual(CASES.map((c) => c.op).sort(), Object.keys(UNARY_OPS).sort(), "every op of the kernel has a case");
  const variants: KernelVariant[] = kernelModule("auto").variant === "relaxed" ? ["simd", "relaxed"] : ["simd"];
  for (const variant of variants) {
    const worst = measure(variant, t);
    // The transcendental ones do have an error: a sweep that measured nothing would show 0.
    assert.ok(worst.get("Exp")! > 0 && worst.get("Erf")! > 0, "the sweep measured the approximations");
  }
});

test("a run of any length ends with the same function (the last 1–3 elements go through the vector code too)", () => {
  const k = new Kernels();
  const src = Float32Array.from({ length: 11 }, (_, i) => -2.5 + i * 0.5);
  const x = k.allocF32(11);
  x.set(src);
  const whole = k.allocF32(11);
  k.unary.run("Tanh", x, whole, 11);
  for (let n = 1; n <= 11; n++) {
    const y = k.allocF32(12);
    y.fill(7);
    k.unary.run("Tanh", x, y, n);
    for (let i = 0; i < n; i++) assert.equal(y[i], whole[i], `n=${n} element ${i}`);
    assert.equal(y[n], 7, `n=${n}: nothing written past the end`);
  }
  void k.close();
});

test("two threads split a large run into the same result", async () => {
  const n = 300_001;
  const one = new Kernels({ threads: 1 });
  const two = new Kernels({ threads: 2 });
  try {
    const src = Float32Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i) * 12));
    const results = [one, two].map((k) => {
      const x = k.allocF32(n);
      const y = k.allocF32(n);
      x.set(src);
      k.unary.run("Gelu", x, y, n);
      return Float32Array.from(y);
    });
    assert.deepEqual(results[1], results[0]);
  } finally {
    await one.close();
    await two.close();
  }
});
