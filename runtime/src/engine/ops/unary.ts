import type { OpDef, RtValue } from "../op.js";
import { numbers, reader, requireInput, sizeOf, writer } from "./util.js";
import { erf, roundHalfEven } from "./math.js";
import type { UnaryOp, UnaryParams } from "../kernels/unary.js";

type Fn = (x: number) => number;
type Attributes = { f(name: string, d: number): number; s(name: string, d: string): string };

/** The unary kernel's function for a float32 operator, with its parameters from the node's attributes. */
type KernelFn = (attr: Attributes) => { op: UnaryOp; params?: UnaryParams };

/**
 * An elementwise operator: on float32 the unary kernel when it has the function (`kernel`), otherwise computed in
 * double precision and stored in the input's element type.
 */
function unary(make: (attr: Attributes) => Fn, floatOnly = true, kernel?: KernelFn): OpDef {
  return {
    prepare(inputs, ctx) {
      const x = requireInput(inputs[0], 0, ctx);
      if (floatOnly && !(x.dtype === "float32" || x.dtype === "float64")) ctx.unsupported(`on ${x.dtype} (float32/float64 only)`);
      // Float attributes are float32 in ONNX, defaults too: 0.2 is 0.2f, as ONNX Runtime reads it (on float64 too).
      const attr: Attributes = { f: (n, d) => ctx.node.floatAttribute(n, Math.fround(d)), s: (n, d) => ctx.node.stringAttribute(n, d) };
      const total = sizeOf(x.dims);
      if (kernel && x.dtype === "float32") {
        const { op, params } = kernel(attr);
        const k = ctx.k;
        return {
          outputs: [{ dtype: x.dtype, dims: x.dims }],
          run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
            k.unary.run(op, ins[0]!.data as Float32Array, outs[0]!.data as Float32Array, total, params);
          },
        };
      }
      const fn = make(attr);
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

/** Not of bools: one loop, no closure per element. */
const not: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    if (x.dtype !== "bool") ctx.fail(`takes bool, not ${x.dtype}`);
    return {
      outputs: [{ dtype: "bool", dims: x.dims }],
      run(ins, outs) {
        const src = ins[0]!.data as Uint8Array;
        const dst = outs[0]!.data as Uint8Array;
        for (let i = 0; i < dst.length; i++) dst[i] = src[i] ? 0 : 1;
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
          const src = ins[0]!.data as unknown as ArrayLike<number>;
          const dst = outs[0]!.data as Uint8Array;
          for (let i = 0; i < total; i++) dst[i] = test(src[i]!) ? 1 : 0;
        },
      };
    },
  };
}

const sigmoid: Fn = (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

/** Swish (opset 24), x·sigmoid(αx): SiLU's kernel where α = 1 (the SiLU PyTorch exports), double precision otherwise. */
const swishOf = (a: Attributes): Fn => { const alpha = a.f("alpha", 1); return (x) => x / (1 + Math.exp(-alpha * x)); };
const swishPlain = unary(swishOf);
const swishKernel = unary(swishOf, true, () => ({ op: "Silu" }));
const swish: OpDef = {
  prepare: (inputs, ctx) => (ctx.node.floatAttribute("alpha", 1) === 1 ? swishKernel : swishPlain).prepare(inputs, ctx),
};

export const unaryOps: Record<string, OpDef> = {
  Relu: clip,
  Clip: clip,
  Swish: swish,
  LeakyRelu: unary((a) => { const alpha = a.f("alpha", 0.01); return (x) => (x < 0 ? alpha * x : x); }, true,
    (a) => ({ op: "LeakyRelu", params: { alpha: a.f("alpha", 0.01) } })),
  Elu: unary((a) => { const alpha = a.f("alpha", 1); return (x) => (x < 0 ? alpha * (Math.exp(x) - 1) : x); }, true,
    (a) => ({ op: "Elu", params: { alpha: a.f("alpha", 1) } })),
  Selu: unary((a) => {
    const alpha = a.f("alpha", 1.67326319217681884765625);
    const gamma = a.f("gamma", 1.05070102214813232421875);
    return (x) => gamma * (x <= 0 ? alpha * (Math.exp(x) - 1) : x);
  }, true, (a) => ({ op: "Selu", params: { alpha: a.f("alpha", 1.67326319217681884765625), beta: a.f("gamma", 1.05070102214813232421875) } })),
  Sigmoid: unary(() => sigmoid, true, () => ({ op: "Sigmoid" })),
  HardSigmoid: unary((a) => {
    const alpha = a.f("alpha", 0.2);
    const beta = a.f("beta", 0.5);
    return (x) => Math.max(0, Math.min(1, alpha * x + beta));
  }, true, (a) => ({ op: "HardSigmoid", params: { alpha: a.f("alpha", 0.2), beta: a.f("beta", 0.5) } })),
  // α = 1/6 as a float32 (ONNX's function body is HardSigmoid with alpha=1/6 as an attribute).
  HardSwish: unary(() => (x) => x * Math.max(0, Math.min(1, x * Math.fround(1 / 6) + 0.5)), true, () => ({ op: "HardSwish", params: { alpha: 1 / 6, beta: 0.5 } })),
  Tanh: unary(() => Math.tanh, true, () => ({ op: "Tanh" })),
  Exp: unary(() => Math.exp, true, () => ({ op: "Exp" })),
  Log: unary(() => Math.log, true, () => ({ op: "Log" })),
  Sqrt: unary(() => Math.sqrt, true, () => ({ op: "Sqrt" })),
  Erf: unary(() => erf, true, () => ({ op: "Erf" })),
  Gelu: unary((a) => {
    const tanh = a.s("approximate", "none") === "tanh";
    return tanh
      ? (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)))
      : (x) => 0.5 * x * (1 + erf(x / Math.SQRT2));
  }, true, (a) => ({ op: a.s("approximate", "none") === "tanh" ? "GeluTanh" : "Gelu" })),
  Softplus: unary(() => (x) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x))), true, () => ({ op: "Softplus" })),
  Softsign: unary(() => (x) => x / (1 + Math.abs(x)), true, () => ({ op: "Softsign" })),
  Reciprocal: unary(() => (x) => 1 / x, true, () => ({ op: "Reciprocal" })),
  Floor: unary(() => Math.floor, true, () => ({ op: "Floor" })),
  Ceil: unary(() => Math.ceil, true, () => ({ op: "Ceil" })),
  Round: unary(() => roundHalfEven, true, () => ({ op: "Round" })),
  Sin: unary(() => Math.sin, true, () => ({ op: "Sin" })),
  Cos: unary(() => Math.cos, true, () => ({ op: "Cos" })),
  Tan: unary(() => Math.tan),
  Asin: unary(() => Math.asin),
  Acos: unary(() => Math.acos),
  Atan: unary(() => Math.atan),
  Sinh: unary(() => Math.sinh),
  Cosh: unary(() => Math.cosh),
  Asinh: unary(() => Math.asinh),
  Acosh: unary(() => Math.acosh),
  Atanh: unary(() => Math.atanh),
  Celu: unary((a) => { const alpha = a.f("alpha", 1); return (x) => Math.max(0, x) + Math.min(0, alpha * (Math.exp(x / alpha) - 1)); }, true,
    (a) => ({ op: "Celu", params: { alpha: a.f("alpha", 1) } })),
  Mish: unary(() => (x) => x * Math.tanh(x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x))), true, () => ({ op: "Mish" })),
  ThresholdedRelu: unary((a) => { const alpha = a.f("alpha", 1); return (x) => (x > alpha ? x : 0); }, true,
    (a) => ({ op: "ThresholdedRelu", params: { alpha: a.f("alpha", 1) } })),
  Shrink: unary((a) => {
    const lambd = a.f("lambd", 0.5);
    const bias = a.f("bias", 0);
    return (x) => (x < -lambd ? x + bias : x > lambd ? x - bias : 0);
  }, false),
  Abs: unary(() => Math.abs, false, () => ({ op: "Abs" })),
  Neg: unary(() => (x) => -x, false, () => ({ op: "Neg" })),
  Sign: unary(() => Math.sign, false),
  Not: not,
  IsNaN: floatTest(() => Number.isNaN),
  IsInf: floatTest((a) => {
    const pos = a.i("detect_positive", 1) !== 0;
    const neg = a.i("detect_negative", 1) !== 0;
    return (x) => (pos && x === Infinity) || (neg && x === -Infinity);
  }),
};
