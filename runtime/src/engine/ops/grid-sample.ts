import type { OpDef, PrepareContext } from "../op.js";
import { requireFloat32, requireInput, sizeOf } from "./util.js";

type Mode = "linear" | "nearest" | "cubic";
type Padding = "zeros" | "border" | "reflection";

/** The mode names of opset 16 (bilinear, bicubic) and their opset-20 names, which the N-D operator took. */
const MODES: Record<string, Record<string, Mode>> = {
  before20: { bilinear: "linear", nearest: "nearest", bicubic: "cubic" },
  since20: { linear: "linear", nearest: "nearest", cubic: "cubic" },
};
const PADDINGS = new Set<string>(["zeros", "border", "reflection"]);
const CUBIC_A = -0.75;

/**
 * GridSample: each output position reads the input at the position its grid entry names (normalised to [-1, 1],
 * the last spatial axis first), by nearest, linear or cubic interpolation, with zeros, border or reflection padding,
 * as ONNX defines it after PyTorch's grid_sample. The taps and weights of each output position are computed once per
 * run and shared by all channels.
 */
const gridSample: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    const grid = requireInput(inputs[1], 1, ctx);
    requireFloat32(x, "X", ctx);
    requireFloat32(grid, "grid", ctx);
    const rank = x.dims.length - 2;
    if (rank < 1) ctx.fail(`X must have at least 3 dimensions, got [${x.dims.join(", ")}]`);
    if (ctx.opset < 20 && rank !== 2) ctx.fail(`X must be 4-D before opset 20, got [${x.dims.join(", ")}]`);
    if (grid.dims.length !== rank + 2 || grid.dims[0] !== x.dims[0] || grid.dims[rank + 1] !== rank) {
      ctx.fail(`grid must be [${x.dims[0]}, …${rank} output sizes…, ${rank}] for X [${x.dims.join(", ")}], got [${grid.dims.join(", ")}]`);
    }
    const modeName = ctx.node.stringAttribute("mode", ctx.opset < 20 ? "bilinear" : "linear");
    const mode = (ctx.opset < 20 ? MODES.before20 : MODES.since20)![modeName];
    if (!mode) ctx.fail(`mode must be one of ${Object.keys(ctx.opset < 20 ? MODES.before20! : MODES.since20!).join(", ")} at opset ${ctx.opset}, got "${modeName}"`);
    const padding = ctx.node.stringAttribute("padding_mode", "zeros");
    if (!PADDINGS.has(padding)) ctx.fail(`padding_mode must be zeros, border or reflection, got "${padding}"`);
    if (mode === "cubic" && rank !== 2) ctx.unsupported(`with cubic interpolation over ${rank} spatial axes (only 2)`);
    const align = ctx.node.intAttribute("align_corners", 0) !== 0;
    const [N, C] = x.dims as [number, number];
    const inSizes = x.dims.slice(2);
    const outSizes = grid.dims.slice(1, rank + 1);
    const points = sizeOf(outSizes);
    const inPlane = sizeOf(inSizes);
    const perAxis = mode === "nearest" ? 1 : mode === "linear" ? 2 : 4;
    const taps = perAxis ** rank;
    // Per output position of one sample: where each tap reads in the input plane (-1: a zero) and its weight.
    const at = new Int32Array(points * taps);
    const weight = new Float64Array(points * taps);
    const sampler = axisSampler(mode, padding as Padding, align, inSizes, ctx);
    return {
      outputs: [{ dtype: "float32", dims: [N, C, ...outSizes] }],
      run(ins, outs) {
        const src = ins[0]!.data as Float32Array;
        const g = ins[1]!.data as Float32Array;
        const dst = outs[0]!.data as Float32Array;
        for (let n = 0; n < N; n++) {
          sampler.taps(g, n * points * rank, points, at, weight);
          for (let c = 0; c < C; c++) {
            const plane = (n * C + c) * inPlane;
            const out = (n * C + c) * points;
            for (let p = 0, t = 0; p < points; p++) {
              let sum = 0;
              for (const end = t + taps; t < end; t++) {
                const i = at[t]!;
                if (i >= 0) sum += weight[t]! * src[plane + i]!;
              }
              dst[out + p] = sum;
            }
          }
        }
      },
    };
  },
};

interface Sampler {
  /** Fills the taps of `points` positions whose normalised coordinates start at grid[offset]. */
  taps(grid: Float32Array, offset: number, points: number, at: Int32Array, weight: Float64Array): void;
}

function axisSampler(mode: Mode, padding: Padding, align: boolean, sizes: readonly number[], ctx: PrepareContext): Sampler {
  const rank = sizes.length;
  const strides = sizes.map((_, a) => sizeOf(sizes.slice(a + 1)));
  const perAxis = mode === "nearest" ? 1 : mode === "linear" ? 2 : 4;
  // Scratch per axis: the input index of each of its taps (-1 for a zero) and their weights.
  const index = Array.from({ length: rank }, () => new Int32Array(perAxis));
  const w = Array.from({ length: rank }, () => new Float64Array(perAxis));
  const round = rank === 3 ? roundHalfAway : roundHalfEven;
  if (rank > 3) ctx.unsupported(`over ${rank} spatial axes`);
  return {
    taps(grid, offset, points, at, weight) {
      const taps = perAxis ** rank;
      for (let p = 0; p < points; p++) {
        for (let a = 0; a < rank; a++) {
          const size = sizes[a]!;
          // The grid lists the last spatial axis first.
          let v = denormalize(grid[offset + p * rank + (rank - 1 - a)]!, size, align);
          if (mode === "nearest") v = round(v);
          const lo = align ? 0 : -0.5;
          const hi = align ? size - 1 : size - 0.5;
          // Cubic pads each of its taps instead (PyTorch's bicubic, which ONNX Runtime follows): a coordinate
          // moved to the border first would move all four taps with it.
          if (mode !== "cubic" && (v < lo || v > hi)) {
            if (padding === "border") v = Math.min(Math.max(v, 0), size - 1);
            else if (padding === "reflection") v = reflect(v, lo, hi);
          }
          axisTaps(mode, v, size, padding, lo, hi, index[a]!, w[a]!);
        }
        // The product of the axes' taps, the last axis fastest.
        for (let t = 0; t < taps; t++) {
          let flat = 0;
          let wt = 1;
          let rest = t;
          for (let a = rank - 1; a >= 0; a--) {
            const k = rest % perAxis;
            rest = (rest - k) / perAxis;
            const i = index[a]![k]!;
            if (i < 0) {
              flat = -1;
              break;
            }
            wt *= w[a]![k]!;
            flat += i * strides[a]!;
          }
          at[p * taps + t] = flat;
          weight[p * taps + t] = wt;
        }
      }
    },
  };
}

/** The input index and weight of each tap along one axis at coordinate v (already padded); -1 reads a zero. */
function axisTaps(mode: Mode, v: number, size: number, padding: Padding, lo: number, hi: number, index: Int32Array, w: Float64Array): void {
  if (mode === "nearest") {
    index[0] = pixel(Math.trunc(v), size, padding, lo, hi);
    w[0] = 1;
    return;
  }
  const base = Math.floor(v);
  const t = v - base;
  if (mode === "linear") {
    index[0] = pixel(base, size, padding, lo, hi);
    index[1] = pixel(base + 1, size, padding, lo, hi);
    w[0] = 1 - t;
    w[1] = t;
    return;
  }
  for (let k = 0; k < 4; k++) {
    index[k] = pixel(base - 1 + k, size, padding, lo, hi);
    w[k] = keys(Math.abs(t - (k - 1)));
  }
}

/** Where a tap at integer position i reads: in range as is; outside, a zero, the border, or its reflection. */
function pixel(i: number, size: number, padding: Padding, lo: number, hi: number): number {
  if (i >= 0 && i < size) return i;
  if (padding === "zeros") return -1;
  if (padding === "border") return Math.min(Math.max(i, 0), size - 1);
  return Math.min(Math.max(Math.trunc(reflect(i, lo, hi)), 0), size - 1);
}

function denormalize(n: number, size: number, align: boolean): number {
  return Math.fround(align ? ((n + 1) / 2) * (size - 1) : ((n + 1) * size - 1) / 2);
}

/** Folds v back into [lo, hi] by reflecting at the nearer border as often as it takes. */
function reflect(v: number, lo: number, hi: number): number {
  const range = hi - lo;
  if (range <= 0) return lo;
  if (v < lo) {
    const d = lo - v;
    const folds = Math.trunc(d / range);
    const r = d - folds * range;
    return folds % 2 === 0 ? lo + r : hi - r;
  }
  if (v > hi) {
    const d = v - hi;
    const folds = Math.trunc(d / range);
    const r = d - folds * range;
    return folds % 2 === 0 ? hi - r : lo + r;
  }
  return v;
}

/** Keys' cubic convolution kernel (a = -0.75) at distance s ≥ 0. */
function keys(s: number): number {
  if (s <= 1) return ((CUBIC_A + 2) * s - (CUBIC_A + 3)) * s * s + 1;
  if (s < 2) return ((CUBIC_A * s - 5 * CUBIC_A) * s + 8 * CUBIC_A) * s - 4 * CUBIC_A;
  return 0;
}

/** Half to even, as nearbyint: PyTorch's 2-D grid_sample rounds so. */
function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d !== 0.5) return d < 0.5 ? f : f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/** Half away from zero, as std::round: PyTorch's 3-D grid_sample rounds so. */
function roundHalfAway(v: number): number {
  return v >= 0 ? Math.floor(v + 0.5) : Math.ceil(v - 0.5);
}

export const gridSampleOps: Record<string, OpDef> = { GridSample: gridSample };
