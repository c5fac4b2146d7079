import type { OpDef } from "../op.js";
import { constNumbers, requireInput, sizeOf, stridesOf } from "./util.js";

type Transform = (outCoord: number, scale: number, inSize: number, outSize: number) => number;

const TRANSFORMS: Record<string, Transform> = {
  half_pixel: (x, s) => (x + 0.5) / s - 0.5,
  pytorch_half_pixel: (x, s, _i, o) => (o > 1 ? (x + 0.5) / s - 0.5 : 0),
  align_corners: (x, _s, i, o) => (o <= 1 ? 0 : (x * (i - 1)) / (o - 1)),
  asymmetric: (x, s) => x / s,
  half_pixel_symmetric: (x, s, i, o) => {
    const adj = o / (s * i);
    const center = i / 2;
    const offset = center * (1 - adj);
    return offset + (x + 0.5) / s - 0.5;
  },
};

const NEAREST: Record<string, (x: number, down: boolean) => number> = {
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
    if (node.intsAttribute("axes")) ctx.unsupported("with the axes attribute");
    if (node.stringAttribute("keep_aspect_ratio_policy", "stretch") !== "stretch") ctx.unsupported("with keep_aspect_ratio_policy");
    const upsample = node.opType === "Upsample";
    const ctm = upsample ? "asymmetric" : node.stringAttribute("coordinate_transformation_mode", ctx.opset < 11 ? "asymmetric" : "half_pixel");
    const transform = TRANSFORMS[ctm];
    if (!transform) ctx.unsupported(`with coordinate_transformation_mode '${ctm}'`);
    const nearest = NEAREST[upsample || ctx.opset < 11 ? "floor" : node.stringAttribute("nearest_mode", "round_prefer_floor")];
    if (!nearest) ctx.unsupported(`with nearest_mode '${node.stringAttribute("nearest_mode", "")}'`);
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
    if ((scales ?? sizes)!.length !== rank) ctx.fail(`scales/sizes have ${(scales ?? sizes)!.length} values for rank ${rank}`);
    const out = sizes ?? x.dims.map((d, i) => Math.floor(d * scales![i]!));
    const sc = scales ?? out.map((o, i) => o / x.dims[i]!);
    // Per axis: for each output index, the input indices and weights that contribute.
    const cubicA = a;
    const taps = out.map((o, a) => {
      const n = x.dims[a]!;
      return Array.from({ length: o }, (_, i) => {
        if (n === o && sc[a] === 1 && ctm !== "align_corners") return [[i, 1]] as [number, number][];
        // With scales given, align_corners measures the output as input·scale, unrounded (as the ONNX reference).
        const c = transform(i, sc[a]!, n, ctm === "align_corners" && !sizes ? n * sc[a]! : o);
        if (mode === "nearest") return [[Math.min(Math.max(nearest(c, sc[a]! < 1), 0), n - 1), 1]] as [number, number][];
        if (mode === "cubic") return cubicTaps(c, n, cubicA, excludeOutside);
        const cc = Math.min(Math.max(c, 0), n - 1);
        const lo = Math.floor(cc);
        const hi = Math.min(lo + 1, n - 1);
        const f = cc - lo;
        return (hi === lo ? [[lo, 1]] : [[lo, 1 - f], [hi, f]]) as [number, number][];
      });
    });
    const inStrides = stridesOf(x.dims);
    const outStrides = stridesOf(out);
    const total = sizeOf(out);
    return {
      outputs: [{ dtype: x.dtype, dims: out }],
      run(ins, outs) {
        const src = ins[0]!.data as Float32Array;
        const dst = outs[0]!.data as Float32Array;
        const idx = new Array<number>(rank).fill(0);
        for (let i = 0; i < total; i++) {
          for (let a = 0; a < rank; a++) idx[a] = Math.floor(i / outStrides[a]!) % out[a]!;
          // Sum over the product of per-axis taps.
          let acc = 0;
          const walk = (a: number, off: number, w: number): void => {
            if (a === rank) { acc += w * src[off]!; return; }
            for (const [j, wj] of taps[a]![idx[a]!]!) walk(a + 1, off + j * inStrides[a]!, w * wj);
          };
          walk(0, 0, 1);
          dst[i] = acc;
        }
      },
    };
  },
};

export const resizeOps: Record<string, OpDef> = { Resize: resize, Upsample: resize };
