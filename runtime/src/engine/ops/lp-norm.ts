import type { OpDef, RtValue } from "../op.js";
import { normAxis, requireInput, sizeOf } from "./util.js";

/**
 * LpNormalization: each vector along `axis` divided by its L1 or L2 norm (a face or text embedding made unit length).
 * A vector whose norm is 0 becomes zeros, as ONNX Runtime writes it. Accumulated in float64, stored in the input type.
 */
const lpNormalization: OpDef = {
  fusesClamp: true,
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    if (x.dtype !== "float32" && x.dtype !== "float64") ctx.unsupported(`on ${x.dtype} (float32 and float64 only)`);
    const p = ctx.node.intAttribute("p", 2);
    if (p !== 1 && p !== 2) ctx.fail(`p must be 1 or 2, got ${p}`);
    const axis = normAxis(ctx.node.intAttribute("axis", -1), x.dims.length, ctx);
    const n = x.dims[axis]!;
    const inner = sizeOf(x.dims.slice(axis + 1));
    const outer = sizeOf(x.dims.slice(0, axis));
    const lo = ctx.clamp?.lo ?? -Infinity;
    const hi = ctx.clamp?.hi ?? Infinity;
    return {
      outputs: [{ dtype: x.dtype, dims: x.dims }],
      run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
        const src = ins[0]!.data as Float32Array | Float64Array;
        const dst = outs[0]!.data as Float32Array | Float64Array;
        for (let o = 0; o < outer; o++) {
          for (let i = 0; i < inner; i++) {
            const base = o * n * inner + i;
            let norm = 0;
            for (let j = 0, at = base; j < n; j++, at += inner) norm += p === 1 ? Math.abs(src[at]!) : src[at]! * src[at]!;
            if (p === 2) norm = Math.sqrt(norm);
            for (let j = 0, at = base; j < n; j++, at += inner) dst[at] = norm === 0 ? 0 : Math.min(Math.max(src[at]! / norm, lo), hi);
          }
        }
      },
    };
  },
};

export const lpNormOps: Record<string, OpDef> = { LpNormalization: lpNormalization };
