import type { OpDef, PrepareContext, RtValue, ValueMeta } from "../../op.js";
import type { Bytes } from "../../kernels/qconv.js";
import { normAxis, numbers, requireInput, sizeOf } from "../util.js";
import { qkitInputs } from "../../../qkit-ops/schema.js";
import { BYTE_TYPES, perTensor, type QParam } from "./qparams.js";

const QLAYERNORM = qkitInputs("QLayerNorm");

/** γ or β as n float32 values in session memory: a constant of n values (or one, spread). */
function affine(meta: ValueMeta, n: number, what: string, ctx: PrepareContext): Float32Array {
  if (meta.dtype !== "float32" || meta.value === undefined) return ctx.unsupported(`with a ${what} that is not a float32 constant`);
  const v = numbers(meta.value);
  if (v.length !== n && v.length !== 1) return ctx.unsupported(`with a ${what} of ${v.length} values for rows of ${n}`);
  const out = ctx.persistentF32(n);
  if (v.length === 1) out.fill(v[0]!);
  else out.set(v);
  return out;
}

const byteQuant = (q: QParam) => ({ scale: q.scale, zp: q.zp, qlo: q.min, qhi: q.max, signed: q.dtype === "int8" });

/**
 * com.qkit.QLayerNorm: LayerNormalization of a quantized byte tensor into quantized bytes, the float island
 * DequantizeLinear → LayerNormalization → QuantizeLinear in one pass, each row normalised in float32 by the float
 * kernel's own code (so the codes are the reference's).
 */
export const qlayerNorm: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[QLAYERNORM.x], QLAYERNORM.x, ctx);
    if (!BYTE_TYPES.has(x.dtype)) ctx.unsupported(`on ${x.dtype} (uint8 and int8 only)`);
    const xq = perTensor(inputs[QLAYERNORM.xScale], inputs[QLAYERNORM.xZeroPoint], "input", ctx);
    const yq = perTensor(inputs[QLAYERNORM.yScale], inputs[QLAYERNORM.yZeroPoint], "output", ctx);
    if (!BYTE_TYPES.has(yq.dtype)) ctx.unsupported(`producing ${yq.dtype} (uint8 and int8 only)`);
    const axis = normAxis(ctx.node.intAttribute("axis", -1), x.dims.length, ctx);
    const eps = Math.fround(ctx.node.floatAttribute("epsilon", 1e-5));
    const rows = sizeOf(x.dims.slice(0, axis));
    const n = sizeOf(x.dims.slice(axis));
    const gammaMeta = requireInput(inputs[QLAYERNORM.scale], QLAYERNORM.scale, ctx);
    const betaMeta = inputs[QLAYERNORM.bias];
    const gamma = ctx.once(`gamma${n}`, () => affine(gammaMeta, n, "scale (γ)", ctx));
    const beta = betaMeta ? ctx.once(`beta${n}`, () => affine(betaMeta, n, "bias (β)", ctx)) : undefined;
    const k = ctx.k;
    k.qnorm.reserve(n);
    const inQ = byteQuant(xq);
    const outQ = byteQuant(yq);
    return {
      outputs: [{ dtype: yq.dtype as never, dims: x.dims }],
      runtimeInputs: [QLAYERNORM.x],
      run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
        k.qnorm.layerNorm(ins[QLAYERNORM.x]!.data as Bytes, outs[0]!.data as Bytes, rows, n, gamma, beta, eps, inQ, outQ);
      },
    };
  },
};
