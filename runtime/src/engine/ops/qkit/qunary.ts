import type { OpDef, PrepareContext, RtValue } from "../../op.js";
import { requireInput, sizeOf } from "../util.js";
import { qkitInputs } from "../../../qkit-ops/schema.js";
import { BYTE_TYPES, perTensor, quantizeScalar } from "./qparams.js";
import { dequantizeScalar, tableOf } from "./lut.js";
import { lookupOpType } from "../onnx-ops.js";
import { fusedUnaryOp } from "../fused.js";

/** Functions exporters decompose into several nodes, which lower() recognizes as one table (fusion-eltwise.ts). */
const CHAINS = new Set(["Silu", "Gelu", "GeluTanh"]);

const QUNARY = qkitInputs("QLut");

/**
 * The engine's own float operator `opType` (with this node's attributes) as a function on float32 values: tables
 * built through it match the Q/DQ reference, which runs the same code.
 */
function floatOp(opType: string, ctx: PrepareContext): (v: Float32Array) => Float32Array {
  if (opType === "Identity") return (v) => v;
  if (opType === "Relu") return (v) => v.map((x) => Math.max(x, 0));
  if (opType === "Div") {
    // Division by a constant (attention's 1/√d), the divisor as attribute alpha; float32 division as the float Div.
    const divisor = Math.fround(ctx.node.floatAttribute("alpha", 1));
    return (v) => v.map((x) => x / divisor);
  }
  if (opType === "Mul" || opType === "Add") {
    // By a float32 scalar constant (attribute alpha): float32 arithmetic, as the float Mul/Add.
    const c = Math.fround(ctx.node.floatAttribute("alpha", opType === "Mul" ? 1 : 0));
    return opType === "Mul" ? (v) => v.map((x) => x * c) : (v) => v.map((x) => x + c);
  }
  if (opType === "Clip") {
    // Bounds travel as attributes (the float op takes them as inputs); float32 min/max as the clamp kernel does.
    const lo = Math.fround(ctx.node.floatAttribute("clamp_min", -Infinity));
    const hi = Math.fround(ctx.node.floatAttribute("clamp_max", Infinity));
    return (v) => v.map((x) => Math.min(Math.max(x, lo), hi));
  }
  const def = CHAINS.has(opType) || (opType === "HardSwish" && ctx.node.attributes.has("alpha"))
    ? fusedUnaryOp({ op: opType as "Silu", constantDims: [],
      params: { alpha: ctx.node.floatAttribute("alpha", 1 / 6), beta: ctx.node.floatAttribute("beta", 0.5) } })
    : lookupOpType(opType);
  if (!def) return ctx.unsupported(`with op '${opType}', which the engine does not run`);
  return (v) => {
    const k = ctx.k;
    const x = k.allocF32(v.length);
    const y = k.allocF32(v.length);
    try {
      x.set(v);
      const prepared = def.prepare([{ dtype: "float32", dims: [v.length] }], { ...ctx, clamp: undefined });
      prepared.run!([{ dtype: "float32", dims: [v.length], data: x }], [{ dtype: "float32", dims: [v.length], data: y }]);
      return Float32Array.from(y);
    } finally {
      k.free(x);
      k.free(y);
    }
  };
}

/**
 * com.qkit.QLut (attribute `op`: Identity, Sigmoid, Tanh, HardSwish, ...): any elementwise op of one quantized byte
 * tensor is a 256-entry table, computed once from the float op.
 */
export const qlut: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[QUNARY.x], 0, ctx);
    if (!BYTE_TYPES.has(x.dtype)) ctx.unsupported(`on ${x.dtype} (uint8 and int8 only)`);
    const xq = perTensor(inputs[QUNARY.xScale], inputs[QUNARY.xZeroPoint], "input", ctx);
    const yq = perTensor(inputs[QUNARY.yScale], inputs[QUNARY.yZeroPoint], "output", ctx);
    const op = ctx.node.stringAttribute("op", "Identity");
    const k = ctx.k;
    // A requantization folded in front: x's values rounded to the intermediate parameters first, as the reference does.
    const mid = inputs[QUNARY.midScale] ? perTensor(inputs[QUNARY.midScale], inputs[QUNARY.midZeroPoint], "intermediate", ctx) : undefined;
    // A product folded behind (x · f(x)): the op's result rounded to the gate's parameters, then multiplied by x as
    // QMul multiplies two dequantized codes, one float32 product.
    const gate = inputs[QUNARY.gateScale] ? perTensor(inputs[QUNARY.gateScale], inputs[QUNARY.gateZeroPoint], "gate", ctx) : undefined;
    const f = floatOp(op, ctx);
    const requantized = (v: Float32Array) => (mid ? v.map((u) => dequantizeScalar(quantizeScalar(u, mid), mid)) : v);
    const g = (v: Float32Array) => {
      const x = requantized(v);
      const y = f(x);
      return gate ? x.map((u, i) => u * dequantizeScalar(quantizeScalar(y[i]!, gate), gate)) : y;
    };
    const table = ctx.once("lut", () => tableOf(ctx, xq, yq, g));
    const n = sizeOf(x.dims);
    return {
      outputs: [{ dtype: yq.dtype as never, dims: x.dims }],
      runtimeInputs: [0],
      run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
        k.qeltwise.lut(ins[0]!.data as Uint8Array, outs[0]!.data as Uint8Array, n, table, x.dtype === "int8");
      },
    };
  },
};
