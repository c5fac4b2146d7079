import type { OpDef, PrepareContext, RtValue, ValueMeta } from "../op.js";
import type { ConvShape, Window2d } from "../kernels/geometry.js";
import { requireFloat32, requireInput, windowPads } from "./util.js";
import { depthStacking, runStacked } from "./depth-stacking.js";

export interface ConvGeometry {
  N: number; C: number; M: number; group: number; g: Window2d;
}

/** Conv attributes and input shapes resolved to a 2-D window (1-D convolutions run as 1×L images). */
export function geometry(x: ValueMeta, w: ValueMeta, ctx: PrepareContext): ConvGeometry {
  const rank = x.dims.length;
  if (rank !== 3 && rank !== 4) ctx.unsupported(`on a rank-${rank} input (1-D and 2-D convolutions only)`);
  if (w.dims.length !== rank) ctx.fail(`weights have rank ${w.dims.length}, input rank ${rank}`);
  const spatial = rank - 2;
  const node = ctx.node;
  const kernel = node.intsAttribute("kernel_shape") ?? w.dims.slice(2);
  const strides = node.intsAttribute("strides") ?? new Array<number>(spatial).fill(1);
  const dilations = node.intsAttribute("dilations") ?? new Array<number>(spatial).fill(1);
  const group = node.intAttribute("group", 1);
  const [N, C] = x.dims as [number, number];
  const M = w.dims[0]!;
  if (w.dims[1]! * group !== C) ctx.fail(`input has ${C} channels, weights expect ${w.dims[1]! * group} (${w.dims[1]} × group ${group})`);
  if (M % group !== 0) ctx.fail(`${M} output channels do not split into ${group} groups`);
  const input = x.dims.slice(2);
  const { pads, out } = windowPads(ctx, input, kernel, strides, dilations);
  const two = (v: number[], one: number) => (spatial === 1 ? [one, v[0]!] : v);
  const [H, W] = two(input, 1);
  const [kh, kw] = two(kernel, 1);
  const [sh, sw] = two(strides, 1);
  const [dh, dw] = two(dilations, 1);
  const [OH, OW] = two(out, 1);
  const ph = spatial === 1 ? 0 : pads[0]!;
  const pw = spatial === 1 ? pads[0]! : pads[1]!;
  return { N, C, M, group, g: { H: H!, W: W!, kh: kh!, kw: kw!, sh: sh!, sw: sw!, ph, pw, dh: dh!, dw: dw!, OH: OH!, OW: OW! } };
}

/** Packs a convolution's weights (and bias) and runs it: the depthwise, Winograd or im2col-GEMM kernels. */
interface ConvKernels {
  pack(wd: Float32Array, bd: Float32Array | undefined): void;
  run(xd: Float32Array, yd: Float32Array): void;
}

/**
 * The kernels for a 2-D convolution of this shape, its weights packed once per session when they are constants
 * (`packedWeights`: the weights and bias, whose layout is the 2-D one, [M, C/group, kh, kw]).
 */
function convKernels(ctx: PrepareContext, shape: ConvShape, packedWeights: [Float32Array, Float32Array | undefined] | undefined): ConvKernels {
  const k = ctx.k;
  const { groups: group, C: Cg, M: Mg, g } = shape;
  const M = Mg * group;
  const C = Cg * group;
  const clamp = { lo: ctx.clamp?.lo, hi: ctx.clamp?.hi };
  const alloc = ctx.persistentF32;
  const depthwise = group > 1 && Cg === 1;
  const winograd = !depthwise && k.winograd.applies(g, group, C, M);
  // Constant weights are packed once per session (whatever the input shapes), others on every run.
  const packedOnce = <P>(key: string, create: () => P, pack: (p: P, wd: Float32Array, bd: Float32Array | undefined) => void): P =>
    packedWeights ? ctx.once(key, () => {
      const p = create();
      pack(p, ...packedWeights);
      return p;
    }) : create();
  if (depthwise) {
    const packed = packedOnce("weights:depthwise", () => k.window.createDepthwise(M, g.kh * g.kw, alloc), (p, wd, bd) => k.window.packDepthwise(p, wd, bd));
    k.window.reserve(g);
    return { pack: (wd, bd) => k.window.packDepthwise(packed, wd, bd), run: (xd, yd) => k.window.depthwise(packed, xd, yd, shape, clamp) };
  }
  if (winograd) {
    const packed = packedOnce("weights:winograd", () => k.winograd.create({ M, C }, alloc), (p, wd, bd) => k.winograd.pack(p, wd, bd));
    k.winograd.reserve(shape);
    return { pack: (wd, bd) => k.winograd.pack(packed, wd, bd), run: (xd, yd) => k.winograd.run(packed, xd, yd, shape, clamp) };
  }
  const packed = packedOnce("weights", () => k.conv.create({ groups: group, M: Mg, K: Cg * g.kh * g.kw }, alloc), (p, wd, bd) => k.conv.pack(p, wd, bd));
  if (k.conv.directApplies(shape)) {
    k.conv.reserveDirect(shape);
    return { pack: (wd, bd) => k.conv.pack(packed, wd, bd), run: (xd, yd) => k.conv.runDirect(packed, xd, yd, shape, clamp) };
  }
  k.conv.reserve(Cg, g);
  return { pack: (wd, bd) => k.conv.pack(packed, wd, bd), run: (xd, yd) => k.conv.run(packed, xd, yd, shape, clamp) };
}

const conv: OpDef = {
  fusesClamp: true,
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    const w = requireInput(inputs[1], 1, ctx);
    const b = inputs[2];
    requireFloat32(x, "input", ctx);
    requireFloat32(w, "weights", ctx);
    if (x.dims.length === 5) return conv3d(x, w, b, ctx);
    const geo = geometry(x, w, ctx);
    const { N, C, M, group, g } = geo;
    if (b && (b.dims.length !== 1 || b.dims[0] !== M)) ctx.fail(`bias has shape [${b.dims.join(", ")}], expected [${M}]`);
    const outDims = x.dims.length === 3 ? [N, M, g.OW] : [N, M, g.OH, g.OW];
    const constant = w.value !== undefined && (!b || b.value !== undefined);
    const kernels = convKernels(ctx, { N, groups: group, C: C / group, M: M / group, g }, constant ? [w.value as Float32Array, b?.value as Float32Array | undefined] : undefined);
    return {
      outputs: [{ dtype: "float32", dims: outDims }],
      runtimeInputs: constant ? [0] : [0, 1, 2],
      run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
        if (!constant) kernels.pack(ins[1]!.data as Float32Array, ins[2]?.data as Float32Array | undefined);
        kernels.run(ins[0]!.data as Float32Array, outs[0]!.data as Float32Array);
      },
    };
  },
};

/** A 3-D convolution: one 2-D convolution per output depth over the stacked planes its depth taps read (depth-stacking.ts). */
function conv3d(x: ValueMeta, w: ValueMeta, b: ValueMeta | undefined, ctx: PrepareContext): ReturnType<OpDef["prepare"]> {
  const s = depthStacking(x, w, ctx);
  const { N, M, group, OD, g, stacked } = s;
  if (b && (b.dims.length !== 1 || b.dims[0] !== M)) ctx.fail(`bias has shape [${b.dims.join(", ")}], expected [${M}]`);
  const constant = w.value !== undefined && (!b || b.value !== undefined);
  const kernels = convKernels(ctx, { N: 1, groups: group, C: stacked / group, M: M / group, g }, constant ? [w.value as Float32Array, b?.value as Float32Array | undefined] : undefined);
  // Kernel memory for one output depth's stacked input and its output, kept by the plan.
  const slices = ctx.persistentF32(stacked * g.H * g.W);
  const depthOut = ctx.persistentF32(M * g.OH * g.OW);
  return {
    outputs: [{ dtype: "float32", dims: [N, M, OD, g.OH, g.OW] }],
    runtimeInputs: constant ? [0] : [0, 1, 2],
    run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
      if (!constant) kernels.pack(ins[1]!.data as Float32Array, ins[2]?.data as Float32Array | undefined);
      runStacked(s, ins[0]!.data as Float32Array, outs[0]!.data as Float32Array, slices, depthOut, 0, (xd, yd) => kernels.run(xd, yd));
    },
  };
}

export const convOps: Record<string, OpDef> = { Conv: conv };
