import type { OpDef, PrepareContext, RtValue, ValueMeta } from "../op.js";
import type { AxisTap } from "../kernels/resize.js";
import { identityTap, separableResize, type Taps } from "./resize-separable.js";
import { constNumbers, normAxis, requireInput, sizeOf, stridesOf } from "./util.js";

type Transform = (outCoord: number, scale: number, inSize: number, outSize: number) => number;

const TRANSFORMS: Record<string, Transform> = {
  half_pixel: (x, s) => (x + 0.5) / s - 0.5,
  pytorch_half_pixel: (x, s, _i, o) => (o > 1 ? (x + 0.5) / s - 0.5 : 0),
  align_corners: (x, _s, i, o) => (o <= 1 ? 0 : (x * (i - 1)) / (o - 1)),
  asymmetric: (x, s) => x / s,
  tf_half_pixel_for_nn: (x, s) => (x + 0.5) / s,
  half_pixel_symmetric: (x, s, i, o) => {
    const adj = o / (s * i);
    const center = i / 2;
    const offset = center * (1 - adj);
    return offset + (x + 0.5) / s - 0.5;
  },
};

const NEAREST: Record<string, (x: number) => number> = {
  round_prefer_floor: (x) => (x % 1 === 0.5 ? Math.floor(x) : Math.round(x)),
  round_prefer_ceil: (x) => Math.round(x),
  floor: (x) => Math.floor(x),
  ceil: (x) => Math.ceil(x),
};

/** Keys' cubic convolution weights for the 4 inputs around coordinate c (edge-clamped, or dropped outside). */
function cubicTaps(c: number, n: number, a: number, excludeOutside: boolean): [number, number][] {
  const x0 = Math.floor(c);
  const t = c - x0;
  const kernel = (d: number) => {
    const x = Math.abs(d);
    if (x <= 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
    if (x < 2) return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
    return 0;
  };
  const taps: [number, number][] = [];
  for (let k = -1; k <= 2; k++) {
    const i = x0 + k;
    const w = kernel(t - k);
    if (excludeOutside && (i < 0 || i >= n)) continue;
    taps.push([Math.min(Math.max(i, 0), n - 1), w]);
  }
  if (excludeOutside) {
    const total = taps.reduce((s, [, w]) => s + w, 0);
    for (const tap of taps) tap[1] /= total;
  }
  return taps;
}

/** Per-axis scales and output sizes from the scales/sizes inputs, the axes attribute and keep_aspect_ratio_policy. */
function outputGeometry(x: ValueMeta, inputs: readonly (ValueMeta | undefined)[], ctx: PrepareContext, crop: number[] | undefined) {
  const node = ctx.node;
  const rank = x.dims.length;
  const upsample = node.opType === "Upsample";
  let scales: number[] | undefined;
  let sizes: number[] | undefined;
  if (upsample) {
    scales = ctx.opset < 9 ? node.attribute("scales") as number[] : constNumbers(inputs[1], "scales", ctx);
  } else if (ctx.opset < 11) {
    scales = constNumbers(inputs[1], "scales", ctx);
  } else {
    const s = inputs[2];
    if (s && sizeOf(s.dims) > 0) scales = constNumbers(s, "scales", ctx);
    const z = inputs[3];
    if (z && sizeOf(z.dims) > 0) sizes = constNumbers(z, "sizes", ctx);
  }
  if (!scales && !sizes) ctx.fail("needs scales or sizes");
  const axes = (ctx.opset >= 18 ? node.intsAttribute("axes") : undefined)?.map((a) => normAxis(a, rank, ctx)) ?? x.dims.map((_, i) => i);
  const given = (scales ?? sizes)!;
  if (given.length !== axes.length) ctx.fail(`scales/sizes have ${given.length} values for ${axes.length} axes`);
  const scale = x.dims.map(() => 1);
  const out = [...x.dims];
  if (sizes) {
    const policy = ctx.opset >= 18 ? node.stringAttribute("keep_aspect_ratio_policy", "stretch") : "stretch";
    if (policy !== "stretch" && policy !== "not_larger" && policy !== "not_smaller") {
      ctx.fail(`keep_aspect_ratio_policy '${policy}' is not one of stretch, not_larger, not_smaller`);
    }
    const ratios = axes.map((a, i) => sizes![i]! / x.dims[a]!);
    if (policy === "stretch") {
      axes.forEach((a, i) => { out[a] = sizes![i]!; scale[a] = ratios[i]!; });
    } else {
      // One scale for every axis, the largest that fits (not_larger) or the smallest that covers (not_smaller).
      const s = policy === "not_larger" ? Math.min(...ratios) : Math.max(...ratios);
      axes.forEach((a) => { out[a] = Math.round(s * x.dims[a]!); scale[a] = s; });
    }
  } else {
    axes.forEach((a, i) => {
      scale[a] = scales![i]!;
      // A crop resizes the cropped extent: ONNX sizes its output from it.
      const extent = crop ? crop[i + axes.length]! - crop[i]! : 1;
      out[a] = Math.floor(x.dims[a]! * extent * scales![i]!);
    });
  }
  return { scale, out, axes, sizes: sizes !== undefined };
}

/** Resize (and the older Upsample) in nearest, (multi)linear and cubic modes, separable per axis. */
const resize: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    const node = ctx.node;
    const rank = x.dims.length;
    const mode = node.stringAttribute("mode", "nearest");
    if (mode !== "nearest" && mode !== "linear" && mode !== "cubic") ctx.unsupported(`with mode '${mode}'`);
    const a = node.floatAttribute("cubic_coeff_a", -0.75);
    const excludeOutside = node.intAttribute("exclude_outside", 0) !== 0;
    if (node.intAttribute("antialias", 0) !== 0) ctx.unsupported("with antialias");
    const upsample = node.opType === "Upsample";
    const ctm = upsample ? "asymmetric" : node.stringAttribute("coordinate_transformation_mode", ctx.opset < 11 ? "asymmetric" : "half_pixel");
    const crop = ctm === "tf_crop_and_resize";
    const transform = TRANSFORMS[ctm];
    if (!transform && !crop) ctx.unsupported(`with coordinate_transformation_mode '${ctm}'`);
    const nearest = NEAREST[upsample || ctx.opset < 11 ? "floor" : node.stringAttribute("nearest_mode", "round_prefer_floor")];
    if (!nearest) ctx.unsupported(`with nearest_mode '${node.stringAttribute("nearest_mode", "")}'`);
    const roi = crop ? constNumbers(inputs[1], "roi", ctx) : undefined;
    const extrapolation = node.floatAttribute("extrapolation_value", 0);
    const { scale: sc, out, axes, sizes } = outputGeometry(x, inputs, ctx, roi);
    if (roi && roi.length !== 2 * axes.length) ctx.fail(`roi has ${roi.length} values, expected ${2 * axes.length}`);
    const roiOf = (axis: number): [number, number] => {
      const i = axes.indexOf(axis);
      return i < 0 ? [0, 1] : [roi![i]!, roi![i + axes.length]!];
    };
    // Per axis: for each output index, the input indices and weights that contribute.
    const taps: Taps[][] = out.map((o, axis) => {
      const n = x.dims[axis]!;
      return Array.from({ length: o }, (_, i): Taps => {
        if (n === o && sc[axis] === 1 && ctm !== "align_corners" && !crop) return [[i, 1]];
        let c: number;
        if (crop) {
          const [start, end] = roiOf(axis);
          c = o > 1 ? start * (n - 1) + (i * (end - start) * (n - 1)) / (o - 1) : 0.5 * (start + end) * (n - 1);
          if (c < 0 || c > n - 1) return null;
        } else {
          // With scales given, align_corners measures the output as input·scale, unrounded (as the ONNX reference).
          c = transform!(i, sc[axis]!, n, ctm === "align_corners" && !sizes ? n * sc[axis]! : o);
        }
        if (mode === "nearest") return [[Math.min(Math.max(nearest(c), 0), n - 1), 1]];
        if (mode === "cubic") return cubicTaps(c, n, a, excludeOutside);
        const cc = Math.min(Math.max(c, 0), n - 1);
        const lo = Math.floor(cc);
        const hi = Math.min(lo + 1, n - 1);
        const f = cc - lo;
        return hi === lo ? [[lo, 1]] : [[lo, 1 - f], [hi, f]];
      });
    });
    const outputs = [{ dtype: x.dtype, dims: out }];
    const kernel = x.dtype === "float32" ? kernelPlan(x.dims, out, taps, mode) : undefined;
    if (kernel) {
      const k = ctx.k;
      const plan = k.resize.create(kernel.mode, kernel.H, kernel.W, kernel.rows, kernel.cols, ctx.persistentF32);
      k.resize.reserve(plan);
      return {
        outputs,
        runtimeInputs: [0],
        run(ins, outs) {
          k.resize.run(plan, ins[0]!.data as Float32Array, outs[0]!.data as Float32Array, kernel.planes);
        },
      };
    }
    const inStrides = stridesOf(x.dims);
    const total = sizeOf(out);
    // Every output reads one input element (nearest, or an axis left as it is): a gather through per-axis offset
    // tables, the last axis innermost, for any element type (a quantized model's nearest Resize runs on its codes).
    if (taps.every((axis) => axis.every((t) => t !== null && t.length === 1))) {
      const offsets = taps.map((axis, d) => Int32Array.from(axis, (t) => t![0]![0] * inStrides[d]!));
      const rows = total / (out[rank - 1] ?? 1);
      const lastOffsets = offsets[rank - 1] ?? Int32Array.of(0);
      const width = lastOffsets.length;
      const gather = (ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) => {
        const src = ins[0]!.data as unknown as { [i: number]: unknown };
        const dst = outs[0]!.data as unknown as { [i: number]: unknown };
        const idx = new Int32Array(Math.max(rank - 1, 0));
        let i = 0;
        for (let r = 0; r < rows; r++) {
          let base = 0;
          for (let d = 0; d < rank - 1; d++) base += offsets[d]![idx[d]!]!;
          for (let o = 0; o < width; o++) dst[i++] = src[base + lastOffsets[o]!];
          for (let d = rank - 2; d >= 0; d--) {
            if (++idx[d]! < out[d]!) break;
            idx[d] = 0;
          }
        }
      };
      // Codes of a quantized model (a byte each) on the kernel's planes: a WebAssembly walk of row and column tables.
      const planesOf = x.dtype === "uint8" || x.dtype === "int8" || x.dtype === "bool" ? kernelPlan(x.dims, out, taps, mode) : undefined;
      if (!planesOf) return { outputs, runtimeInputs: [0], run: gather };
      const k = ctx.k;
      const { planes, H, W } = planesOf;
      const OH = planesOf.rows.length;
      const OW = planesOf.cols.length;
      const tables = ctx.once(`resize-bytes ${x.dims.join(",")} ${out.join(",")}`, () => ({
        rows: k.strided.table(Int32Array.from(planesOf.rows, (t) => t.i0), ctx.persistentF32),
        cols: k.strided.table(Int32Array.from(planesOf.cols, (t) => t.i0), ctx.persistentF32),
      }));
      const double = OW === 2 * W && planesOf.cols.every((t, i) => t.i0 === i >> 1);
      return {
        outputs,
        runtimeInputs: [0],
        run(ins, outs) {
          const src = ins[0]!.data as Uint8Array;
          const dst = outs[0]!.data as Uint8Array;
          if (k.inMemory(src) && k.inMemory(dst)) return k.strided.resizeNearestBytes(src, dst, planes, H, W, OH, OW, tables.rows, tables.cols, double);
          gather(ins, outs);
        },
      };
    }
    if (x.dtype === "int64" || x.dtype === "uint64") ctx.unsupported(`on ${x.dtype} with mode '${mode}' (only nearest resizes 64-bit integers)`);
    return { outputs, runtimeInputs: [0], run: separableResize(x.dims, out, taps, extrapolation) };
  },
};

/** One axis' taps in the kernel's form: at most two inputs per output, the weight on the second. */
function axisTaps(taps: Taps[], linear: boolean): AxisTap[] | undefined {
  const result: AxisTap[] = [];
  for (const t of taps) {
    if (t === null || t.length === 0 || t.length > 2 || (!linear && t.length !== 1)) return undefined;
    const [i0, w0] = t[0]!;
    if (t.length === 1) {
      if (w0 !== 1) return undefined;
      result.push({ i0, i1: i0, w: 0 });
    } else {
      const [i1, w1] = t[1]!;
      if (Math.abs(w0 + w1 - 1) > 1e-6) return undefined;
      result.push({ i0, i1, w: w1 });
    }
  }
  return result;
}

/**
 * The kernel's view of a resize, when it has one: every axis before the last two unchanged (they become planes),
 * nearest or linear taps on the last two, nothing extrapolated. Cubic, crops that leave the input and resizes of
 * leading axes run separableResize.
 */
function kernelPlan(inDims: readonly number[], out: readonly number[], taps: Taps[][], mode: string) {
  if (mode !== "nearest" && mode !== "linear") return undefined;
  const rank = inDims.length;
  if (rank === 0) return undefined;
  const lead = Math.max(0, rank - 2);
  for (let d = 0; d < lead; d++) {
    if (out[d] !== inDims[d] || !taps[d]!.every((t, i) => identityTap(t, i))) return undefined;
  }
  const linear = mode === "linear";
  const rows = rank >= 2 ? axisTaps(taps[rank - 2]!, linear) : [{ i0: 0, i1: 0, w: 0 }];
  const cols = axisTaps(taps[rank - 1]!, linear);
  if (!rows || !cols) return undefined;
  const H = rank >= 2 ? inDims[rank - 2]! : 1;
  const W = inDims[rank - 1]!;
  return { mode: mode as "nearest" | "linear", planes: sizeOf(inDims.slice(0, lead)), H, W, rows, cols };
}

export const resizeOps: Record<string, OpDef> = { Resize: resize, Upsample: resize };
