import type { OpDef, PrepareContext, RtValue, ValueMeta } from "../op.js";
import { normAxis, requireFloat32, requireInput, sizeOf } from "./util.js";
import { float64BatchNorm, float64LayerNorm } from "./other-dtypes.js";

/** Inference-mode BatchNormalization as a per-channel affine map (fused with a following Relu/Clip). */
const batchNorm: OpDef = {
  fusesClamp: true,
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    if (x.dtype !== "float64") requireFloat32(x, "input", ctx);
    if (ctx.node.outputNames.filter(Boolean).length > 1) ctx.unsupported("in training mode (extra outputs)");
    if (ctx.node.intAttribute("training_mode", 0) !== 0) ctx.unsupported("in training mode");
    if (ctx.node.intAttribute("spatial", 1) === 0) ctx.unsupported("with spatial=0 (a mean and variance per element, which opset 9 dropped); export the model at opset 9 or later");
    const params = [1, 2, 3, 4].map((i) => requireInput(inputs[i], i, ctx));
    if (x.dtype === "float64") return float64BatchNorm(x, params, ctx.node.floatAttribute("epsilon", 1e-5), ctx);
    const C = x.dims[1] ?? 1;
    for (const p of params) if (sizeOf(p.dims) !== C) ctx.fail(`parameters must have ${C} values, got [${p.dims.join(", ")}]`);
    const eps = ctx.node.floatAttribute("epsilon", 1e-5);
    const k = ctx.k;
    const s = ctx.persistentF32(C);
    const t = ctx.persistentF32(C);
    const fill = (scale: Float32Array, bias: Float32Array, mean: Float32Array, variance: Float32Array) => {
      for (let c = 0; c < C; c++) {
        const f = scale[c]! / Math.sqrt(variance[c]! + eps);
        s[c] = f;
        t[c] = bias[c]! - mean[c]! * f;
      }
    };
    const constant = params.every((p) => p.value !== undefined);
    if (constant) fill(...(params.map((p) => p.value as Float32Array) as [Float32Array, Float32Array, Float32Array, Float32Array]));
    const planes = (x.dims[0] ?? 1) * C;
    const size = sizeOf(x.dims.slice(2));
    const lo = ctx.clamp?.lo ?? -Infinity;
    const hi = ctx.clamp?.hi ?? Infinity;
    return {
      outputs: [{ dtype: "float32", dims: x.dims }],
      runtimeInputs: constant ? [0] : [0, 1, 2, 3, 4],
      run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
        if (!constant) fill(...(ins.slice(1, 5).map((v) => v!.data as Float32Array) as [Float32Array, Float32Array, Float32Array, Float32Array]));
        k.eltwise.channelAffine(ins[0]!.data as Float32Array, outs[0]!.data as Float32Array, planes, C, size, s, t, { lo, hi });
      },
    };
  },
};

/** A one-value constant repeated n times (a scalar γ or β of a decomposed LayerNorm), in session memory. */
function spread(meta: ValueMeta | undefined, n: number, key: string, ctx: PrepareContext): Float32Array | undefined {
  if (!meta || meta.value === undefined || sizeOf(meta.dims) !== 1 || n === 1) return undefined;
  return ctx.once(key, () => {
    const out = ctx.persistentF32(n);
    out.fill((meta.value as Float32Array)[0]!);
    return out;
  });
}

/**
 * LayerNormalization over the axes from `axis` on: one normalised row per index of the axes before it. `fixed` gives
 * axis and epsilon for a decomposed LayerNorm found by the plan (engine/fuse-layernorm.ts), whose γ and β may be
 * absent or single values.
 */
export function layerNormOp(fixed?: { axis: number; epsilon: number }): OpDef {
  return {
    fusesClamp: true,
    prepare(inputs, ctx) {
      const x = requireInput(inputs[0], 0, ctx);
      if (x.dtype === "float64" && !fixed) {
        const axis = normAxis(ctx.node.intAttribute("axis", -1), x.dims.length, ctx);
        return float64LayerNorm(x, inputs[1], inputs[2], axis, ctx.node.floatAttribute("epsilon", 1e-5), ctx.node.outputNames.length, ctx);
      }
      requireFloat32(x, "input", ctx);
      const scale = fixed ? inputs[1] : requireInput(inputs[1], 1, ctx);
      const bias = inputs[2];
      const axis = normAxis(fixed?.axis ?? ctx.node.intAttribute("axis", -1), x.dims.length, ctx);
      const eps = fixed?.epsilon ?? ctx.node.floatAttribute("epsilon", 1e-5);
      const outer = sizeOf(x.dims.slice(0, axis));
      const n = sizeOf(x.dims.slice(axis));
      const extra = fixed ? 1 : ctx.node.outputNames.length;
      const statDims = x.dims.map((d, i) => (i < axis ? d : 1));
      for (const [meta, what] of [[scale, "Scale"], [bias, "B"]] as const) {
        if (!meta) continue;
        requireFloat32(meta, what, ctx);
        const fits = sizeOf(meta.dims) === n || (fixed !== undefined && sizeOf(meta.dims) === 1 && meta.value !== undefined);
        if (!fits || (fixed !== undefined && meta.dims.length > x.dims.length - axis)) {
          ctx.unsupported(`with a ${what} of shape [${meta.dims.join(", ")}] (it must cover all normalized axes)`);
        }
      }
      const ones = scale ? undefined : ctx.once("ones", () => ctx.persistentF32(n).fill(1));
      const gammaSpread = spread(scale, n, "gamma", ctx);
      const betaSpread = spread(bias, n, "beta", ctx);
      const k = ctx.k;
      const clamp = { lo: ctx.clamp?.lo ?? -Infinity, hi: ctx.clamp?.hi ?? Infinity };
      return {
        outputs: [
          { dtype: "float32", dims: x.dims },
          ...(extra > 1 ? [{ dtype: "float32" as const, dims: statDims }] : []),
          ...(extra > 2 ? [{ dtype: "float32" as const, dims: statDims }] : []),
        ],
        run(ins, outs) {
          const affine = {
            gamma: ones ?? gammaSpread ?? (ins[1]!.data as Float32Array),
            beta: betaSpread ?? (ins[2]?.data as Float32Array | undefined),
          };
          const stats = { mean: outs[1]?.data as Float32Array | undefined, invStd: outs[2]?.data as Float32Array | undefined };
          k.norm.layerNorm(ins[0]!.data as Float32Array, outs[0]!.data as Float32Array, outer, n, affine, eps, stats, clamp);
        },
      };
    },
  };
}

/** InstanceNormalization: each (batch, channel) plane normalised, then scaled and shifted per channel. */
const instanceNorm: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    requireFloat32(x, "input", ctx);
    if (x.dims.length < 2) ctx.fail(`input must have at least 2 dimensions, got [${x.dims.join(", ")}]`);
    const eps = ctx.node.floatAttribute("epsilon", 1e-5);
    const C = x.dims[1]!;
    for (const i of [1, 2]) {
      const p = requireInput(inputs[i], i, ctx);
      requireFloat32(p, i === 1 ? "scale" : "B", ctx);
      if (sizeOf(p.dims) !== C) ctx.fail(`${i === 1 ? "scale" : "B"} must have ${C} values, got [${p.dims.join(", ")}]`);
    }
    const planes = x.dims[0]! * C;
    const size = sizeOf(x.dims.slice(2));
    const k = ctx.k;
    return {
      outputs: [{ dtype: "float32", dims: x.dims }],
      run(ins, outs) {
        const affine = { gamma: ins[1]!.data as Float32Array, beta: ins[2]!.data as Float32Array, channels: C };
        k.norm.layerNorm(ins[0]!.data as Float32Array, outs[0]!.data as Float32Array, planes, size, affine, eps);
      },
    };
  },
};

/**
 * GroupNormalization: the channels of each sample in `num_groups` groups, each group (its channels and all their
 * positions) normalised as one row. Opset 18 scales and shifts per group ([num_groups] parameters: the row's own,
 * one pass); from opset 21 per channel ([C]: a second, per-channel pass over the normalised rows).
 */
const groupNorm: OpDef = {
  fusesClamp: true,
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    requireFloat32(x, "input", ctx);
    if (x.dims.length < 2) ctx.fail(`input must have at least 2 dimensions, got [${x.dims.join(", ")}]`);
    const groups = ctx.node.intAttribute("num_groups", 0);
    const C = x.dims[1]!;
    if (groups < 1 || C % groups !== 0) ctx.fail(`num_groups must divide the ${C} channels, got ${groups}`);
    const eps = ctx.node.floatAttribute("epsilon", 1e-5);
    const perChannel = ctx.opset >= 21;
    const count = perChannel ? C : groups;
    for (const i of [1, 2]) {
      const p = requireInput(inputs[i], i, ctx);
      requireFloat32(p, i === 1 ? "scale" : "bias", ctx);
      if (sizeOf(p.dims) !== count) ctx.fail(`${i === 1 ? "scale" : "bias"} must have ${count} values (${perChannel ? "one per channel from opset 21" : "one per group before opset 21"}), got [${p.dims.join(", ")}]`);
    }
    const N = x.dims[0]!;
    const size = sizeOf(x.dims.slice(2));
    const rows = N * groups;
    const n = (C / groups) * size;
    const clamp = { lo: ctx.clamp?.lo ?? -Infinity, hi: ctx.clamp?.hi ?? Infinity };
    const k = ctx.k;
    const ones = perChannel ? ctx.once("ones", () => ctx.persistentF32(groups).fill(1)) : undefined;
    return {
      outputs: [{ dtype: "float32", dims: x.dims }],
      run(ins, outs) {
        const src = ins[0]!.data as Float32Array;
        const dst = outs[0]!.data as Float32Array;
        const scale = ins[1]!.data as Float32Array;
        const bias = ins[2]!.data as Float32Array;
        if (!perChannel) {
          k.norm.layerNorm(src, dst, rows, n, { gamma: scale, beta: bias, channels: groups }, eps, {}, clamp);
          return;
        }
        k.norm.layerNorm(src, dst, rows, n, { gamma: ones!, channels: groups }, eps);
        k.eltwise.channelAffine(dst, dst, N * C, C, size, scale, bias, clamp);
      },
    };
  },
};

/** Local response normalization across channels (AlexNet's LRN). */
const lrn: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    requireFloat32(x, "input", ctx);
    const size = ctx.node.intAttribute("size", 0);
    if (size < 1) ctx.fail("size must be positive");
    const alpha = ctx.node.floatAttribute("alpha", 1e-4);
    const beta = ctx.node.floatAttribute("beta", 0.75);
    const bias = ctx.node.floatAttribute("bias", 1);
    const [N, C] = x.dims as [number, number];
    const plane = sizeOf(x.dims.slice(2));
    const before = Math.floor((size - 1) / 2);
    const after = Math.ceil((size - 1) / 2);
    return {
      outputs: [{ dtype: "float32", dims: x.dims }],
      run(ins, outs) {
        const src = ins[0]!.data as Float32Array;
        const dst = outs[0]!.data as Float32Array;
        if (ctx.k.inMemory(src) && ctx.k.inMemory(dst)) return ctx.k.norm.lrn(src, dst, N, C, plane, size, alpha, beta, bias);
        for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let i = 0; i < plane; i++) {
          let sq = 0;
          for (let j = Math.max(0, c - before); j <= Math.min(C - 1, c + after); j++) sq += src[(n * C + j) * plane + i]! ** 2;
          const at = (n * C + c) * plane + i;
          dst[at] = src[at]! / (bias + (alpha / size) * sq) ** beta;
        }
      },
    };
  },
};

/** (x - mean) / sqrt(var) over the given axes (default N, H, W). */
const meanVarianceNormalization: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    requireFloat32(x, "input", ctx);
    const rank = x.dims.length;
    const axes = (ctx.node.intsAttribute("axes") ?? [0, 2, 3]).map((a) => normAxis(a, rank, ctx));
    const strides = x.dims.map((_, i) => sizeOf(x.dims.slice(i + 1)));
    const total = sizeOf(x.dims);
    // Group elements by their coordinates outside the normalized axes.
    const group = new Int32Array(total);
    const keys = new Map<number, number>();
    for (let i = 0; i < total; i++) {
      let key = 0;
      for (let d = 0; d < rank; d++) if (!axes.includes(d)) key = key * x.dims[d]! + (Math.floor(i / strides[d]!) % x.dims[d]!);
      if (!keys.has(key)) keys.set(key, keys.size);
      group[i] = keys.get(key)!;
    }
    return {
      outputs: [{ dtype: "float32", dims: x.dims }],
      run(ins, outs) {
        const src = ins[0]!.data as Float32Array;
        const dst = outs[0]!.data as Float32Array;
        const sum = new Float64Array(keys.size);
        const sq = new Float64Array(keys.size);
        const count = new Float64Array(keys.size);
        for (let i = 0; i < total; i++) { sum[group[i]!]! += src[i]!; sq[group[i]!]! += src[i]! ** 2; count[group[i]!]!++; }
        for (let i = 0; i < total; i++) {
          const g = group[i]!;
          const mean = sum[g]! / count[g]!;
          const variance = sq[g]! / count[g]! - mean * mean;
          dst[i] = (src[i]! - mean) / (Math.sqrt(variance) + 1e-9);
        }
      },
    };
  },
};

export const normOps: Record<string, OpDef> = {
  BatchNormalization: batchNorm, LayerNormalization: layerNormOp(), InstanceNormalization: instanceNorm, LRN: lrn,
  GroupNormalization: groupNorm,
  MeanVarianceNormalization: meanVarianceNormalization,
};
