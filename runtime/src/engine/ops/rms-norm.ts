import type { OpDef, RtValue } from "../op.js";
import { broadcastStrides, normAxis, requireInput, sizeOf } from "./util.js";

/**
 * RMSNormalization (opset 23): each row over the axes from `axis` on divided by √(mean(x²) + ε), times `scale`
 * broadcast onto the input. The mean is accumulated in float64 (stash_type asks for at least float32).
 */
const rmsNormalization: OpDef = {
  fusesClamp: true,
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    const scale = requireInput(inputs[1], 1, ctx);
    if (x.dtype !== "float32" && x.dtype !== "float64") ctx.unsupported(`on ${x.dtype} (float32 and float64 only)`);
    if (scale.dtype !== x.dtype) ctx.fail(`scale is ${scale.dtype}, X is ${x.dtype}`);
    if (scale.dims.length > x.dims.length) ctx.fail(`scale [${scale.dims.join(", ")}] does not broadcast onto X [${x.dims.join(", ")}]`);
    const axis = normAxis(ctx.node.intAttribute("axis", -1), x.dims.length, ctx);
    const eps = ctx.node.floatAttribute("epsilon", 1e-5);
    const outer = sizeOf(x.dims.slice(0, axis));
    const n = sizeOf(x.dims.slice(axis));
    // Unidirectional broadcasting of scale onto X: the element of scale each element of X multiplies by. The usual
    // scale, one value per element of a row ([D] for a last-axis norm), is read by position in the row.
    const perRow = sizeOf(scale.dims) === n && scale.dims.every((d, i) => d === x.dims[x.dims.length - scale.dims.length + i]);
    const sStrides = broadcastStrides(scale.dims, x.dims);
    const xStrides = x.dims.map((_, i) => sizeOf(x.dims.slice(i + 1)));
    const total = sizeOf(x.dims);
    const scaleIndex = perRow ? undefined : new Int32Array(total);
    for (let i = 0; scaleIndex && i < total; i++) {
      let at = 0;
      for (let d = 0; d < x.dims.length; d++) at += (Math.floor(i / xStrides[d]!) % x.dims[d]!) * sStrides[d]!;
      scaleIndex[i] = at;
    }
    // Normalized is computed in the stash type and cast back to X's before the scale multiplies it.
    const round: (v: number) => number = x.dtype === "float32" ? Math.fround : (v) => v;
    const lo = ctx.clamp?.lo ?? -Infinity;
    const hi = ctx.clamp?.hi ?? Infinity;
    // float32 rows with one scale per row element run in WebAssembly (the square sum in float32 lanes).
    const kernel = x.dtype === "float32" && perRow;
    const k = ctx.k;
    const clampOut = { lo, hi };
    return {
      outputs: [{ dtype: x.dtype, dims: x.dims }],
      run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
        const src = ins[0]!.data as Float32Array;
        const gamma = ins[1]!.data as Float32Array;
        const dst = outs[0]!.data as Float32Array;
        if (kernel && k.inMemory(src) && k.inMemory(gamma) && k.inMemory(dst)) return k.norm.rmsNorm(src, dst, outer, n, gamma, eps, clampOut);
        for (let r = 0; r < outer; r++) {
          const base = r * n;
          let squares = 0;
          for (let i = 0; i < n; i++) squares += src[base + i]! * src[base + i]!;
          const inv = 1 / Math.sqrt(squares / n + eps);
          if (!scaleIndex) for (let i = 0; i < n; i++) dst[base + i] = Math.min(Math.max(round(src[base + i]! * inv) * gamma[i]!, lo), hi);
          else for (let i = base; i < base + n; i++) dst[i] = Math.min(Math.max(round(src[i]! * inv) * gamma[scaleIndex[i]!]!, lo), hi);
        }
      },
    };
  },
};

export const rmsNormOps: Record<string, OpDef> = { RMSNormalization: rmsNormalization };
