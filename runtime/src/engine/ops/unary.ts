import type { OpDef, RtValue } from "../op.js";
import { numbers, reader, requireInput, sizeOf, writer } from "./util.js";
import { erf, roundHalfEven } from "./math.js";

type Fn = (x: number) => number;

/** An elementwise operator computed in double precision and stored in the input's element type. */
function unary(make: (attr: { f(name: string, d: number): number; s(name: string, d: string): string }) => Fn, floatOnly = true): OpDef {
  return {
    prepare(inputs, ctx) {
      const x = requireInput(inputs[0], 0, ctx);
      if (floatOnly && !(x.dtype === "float32" || x.dtype === "float64")) ctx.unsupported(`on ${x.dtype} (float32/float64 only)`);
      const fn = make({ f: (n, d) => ctx.node.floatAttribute(n, d), s: (n, d) => ctx.node.stringAttribute(n, d) });
      const total = sizeOf(x.dims);
      return {
        outputs: [{ dtype: x.dtype, dims: x.dims }],
        run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
          const r = reader(ins[0]!.data);
          const w = writer(outs[0]!.data);
          for (let i = 0; i < total; i++) w(i, fn(r(i)));
        },
      };
    },
  };
}

const FLT_MAX = 3.4028234663852886e38;

/** Relu and Clip: the clamp kernel on float32, a loop on integers. */
const clip: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    const node = ctx.node;
    const relu = node.opType === "Relu";
    const legacy = !relu && ctx.opset < 11;
    const bound = (i: number, attr: string, fallback: number): number | "runtime" => {
      if (relu) return i === 1 ? 0 : Infinity;
      if (legacy) return node.floatAttribute(attr, fallback);
      const m = inputs[i];
      if (!m) return fallback;
      return m.value !== undefined ? numbers(m.value)[0]! : "runtime";
    };
    const lo0 = bound(1, "min", -FLT_MAX);
    const hi0 = bound(2, "max", FLT_MAX);
    const total = sizeOf(x.dims);
    const k = ctx.k;
    return {
      outputs: [{ dtype: x.dtype, dims: x.dims }],
      run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
        const lo = lo0 === "runtime" ? reader(ins[1]!.data)(0) : lo0;
        const hi = hi0 === "runtime" ? reader(ins[2]!.data)(0) : hi0;
        if (x.dtype === "float32") {
          k.eltwise.clamp(ins[0]!.data as Float32Array, outs[0]!.data as Float32Array, total, lo, hi);
          return;
        }
        const r = reader(ins[0]!.data);
        const w = writer(outs[0]!.data);
        for (let i = 0; i < total; i++) w(i, Math.min(Math.max(r(i), lo), hi));
      },
    };
  },
};

/** IsNaN and IsInf: float in, bool out. */
function floatTest(make: (attr: { i(name: string, d: number): number }) => (x: number) => boolean): OpDef {
  return {
    prepare(inputs, ctx) {
      const x = requireInput(inputs[0], 0, ctx);
      const test = make({ i: (n, d) => ctx.node.intAttribute(n, d) });
      const total = sizeOf(x.dims);
      return {
        outputs: [{ dtype: "bool", dims: x.dims }],
        run(ins, outs) {
          const r = reader(ins[0]!.data);
          const dst = outs[0]!.data as Uint8Array;
          for (let i = 0; i < total; i++) dst[i] = test(r(i)) ? 1 : 0;
        },
      };
    },
  };
}

const sigmoid: Fn = (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

export const unaryOps: Record<string, OpDef> = {
  Relu: clip,
  Clip: clip,
  LeakyRelu: unary((a) => { const alpha = a.f("alpha", 0.01); return (x) => (x < 0 ? alpha * x : x); }),
  Elu: unary((a) => { const alpha = a.f("alpha", 1); return (x) => (x < 0 ? alpha * (Math.exp(x) - 1) : x); }),
  Selu: unary((a) => {
    const alpha = a.f("alpha", 1.67326319217681884765625);
    const gamma = a.f("gamma", 1.05070102214813232421875);
    return (x) => gamma * (x <= 0 ? alpha * (Math.exp(x) - 1) : x);
  }),
  Sigmoid: unary(() => sigmoid),
  HardSigmoid: unary((a) => {
    const alpha = a.f("alpha", 0.2);
    const beta = a.f("beta", 0.5);
    return (x) => Math.max(0, Math.min(1, alpha * x + beta));
  }),
  HardSwish: unary(() => (x) => x * Math.max(0, Math.min(1, x / 6 + 0.5))),
  Tanh: unary(() => Math.tanh),
  Exp: unary(() => Math.exp),
  Log: unary(() => Math.log),
  Sqrt: unary(() => Math.sqrt),
  Erf: unary(() => erf),
  Gelu: unary((a) => {
    const tanh = a.s("approximate", "none") === "tanh";
    return tanh
      ? (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)))
      : (x) => 0.5 * x * (1 + erf(x / Math.SQRT2));
  }),
  Softplus: unary(() => (x) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)))),
  Softsign: unary(() => (x) => x / (1 + Math.abs(x))),
  Reciprocal: unary(() => (x) => 1 / x),
  Floor: unary(() => Math.floor),
  Ceil: unary(() => Math.ceil),
  Round: unary(() => roundHalfEven),
  Sin: unary(() => Math.sin),
  Cos: unary(() => Math.cos),
  Tan: unary(() => Math.tan),
  Asin: unary(() => Math.asin),
  Acos: unary(() => Math.acos),
  Atan: unary(() => Math.atan),
  Sinh: unary(() => Math.sinh),
  Cosh: unary(() => Math.cosh),
  Asinh: unary(() => Math.asinh),
  Acosh: unary(() => Math.acosh),
  Atanh: unary(() => Math.atanh),
  Celu: unary((a) => { const alpha = a.f("alpha", 1); return (x) => Math.max(0, x) + Math.min(0, alpha * (Math.exp(x / alpha) - 1)); }),
  Mish: unary(() => (x) => x * Math.tanh(x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)))),
  ThresholdedRelu: unary((a) => { const alpha = a.f("alpha", 1); return (x) => (x > alpha ? x : 0); }),
  Shrink: unary((a) => {
    const lambd = a.f("lambd", 0.5);
    const bias = a.f("bias", 0);
    return (x) => (x < -lambd ? x + bias : x > lambd ? x - bias : 0);
  }, false),
  Abs: unary(() => Math.abs, false),
  Neg: unary(() => (x) => -x, false),
  Sign: unary(() => Math.sign, false),
  Not: unary(() => (x) => (x ? 0 : 1), false),
  IsNaN: floatTest(() => Number.isNaN),
  IsInf: floatTest((a) => {
    const pos = a.i("detect_positive", 1) !== 0;
    const neg = a.i("detect_negative", 1) !== 0;
    return (x) => (pos && x === Infinity) || (neg && x === -Infinity);
  }),
};
