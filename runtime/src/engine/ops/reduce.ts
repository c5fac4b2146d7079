import type { OpDef, PrepareContext, RtValue, ValueMeta } from "../op.js";
import { constNumbers, normAxis, reader, requireInput, sizeOf, stridesOf, writer } from "./util.js";
import { indexWords } from "../index-words.js";
import { REDUCE_OPS, type ReduceOp, type RowGeometry } from "../kernels/norm.js";

interface Reduction {
  init: number;
  step(acc: number, x: number): number;
  finish(acc: number, count: number): number;
}

const REDUCTIONS: Record<string, Reduction> = {
  ReduceSum: { init: 0, step: (a, x) => a + x, finish: (a) => a },
  ReduceMean: { init: 0, step: (a, x) => a + x, finish: (a, n) => a / n },
  ReduceMax: { init: -Infinity, step: (a, x) => (x > a || Number.isNaN(x) ? x : a), finish: (a) => a },
  ReduceMin: { init: Infinity, step: (a, x) => (x < a || Number.isNaN(x) ? x : a), finish: (a) => a },
  ReduceProd: { init: 1, step: (a, x) => a * x, finish: (a) => a },
  ReduceSumSquare: { init: 0, step: (a, x) => a + x * x, finish: (a) => a },
  ReduceL1: { init: 0, step: (a, x) => a + Math.abs(x), finish: (a) => a },
  ReduceL2: { init: 0, step: (a, x) => a + x * x, finish: (a) => Math.sqrt(a) },
  ReduceLogSum: { init: 0, step: (a, x) => a + x, finish: (a) => Math.log(a) },
  ReduceLogSumExp: { init: 0, step: (a, x) => a + Math.exp(x), finish: (a) => Math.log(a) },
};

/**
 * The reduced axes as one run [outer][n][inner] when they are adjacent once axes of size 1 are ignored (the usual
 * case: the last axis, or the spatial axes); undefined when kept axes of size > 1 lie between them.
 */
export function rowGeometry(dims: readonly number[], axes: readonly number[]): RowGeometry | undefined {
  const wide = axes.filter((a) => dims[a] !== 1);
  if (wide.length === 0) return { outer: sizeOf(dims), n: 1, inner: 1 };
  const first = wide[0]!;
  const last = wide[wide.length - 1]!;
  for (let d = first; d <= last; d++) if (!axes.includes(d) && dims[d] !== 1) return undefined;
  return { outer: sizeOf(dims.slice(0, first)), n: sizeOf(axes.map((a) => dims[a]!)), inner: sizeOf(dims.slice(last + 1)) };
}

/** For each output element, the input offsets it reduces, as (first offset, offsets relative to it). */
function reductionMaps(dims: readonly number[], axes: readonly number[]): { bases: Int32Array; rel: Int32Array; outDims: number[] } {
  const strides = stridesOf(dims);
  const kept = dims.map((_, i) => i).filter((i) => !axes.includes(i));
  const keptDims = kept.map((i) => dims[i]!);
  const redDims = axes.map((i) => dims[i]!);
  const walk = (sel: number[], ds: number[]) => {
    const total = sizeOf(ds);
    const out = new Int32Array(total);
    const st = stridesOf(ds);
    for (let i = 0; i < total; i++) {
      let off = 0;
      for (let d = 0; d < ds.length; d++) off += (Math.floor(i / st[d]!) % ds[d]!) * strides[sel[d]!]!;
      out[i] = off;
    }
    return out;
  };
  return { bases: walk(kept, keptDims), rel: walk([...axes], redDims), outDims: keptDims };
}

function reduceAxes(x: ValueMeta, inputs: readonly (ValueMeta | undefined)[], ctx: PrepareContext): number[] {
  const rank = x.dims.length;
  // ReduceSum took axes as an input from opset 13, the others from opset 18.
  const fromInput = ctx.node.opType === "ReduceSum" ? ctx.opset >= 13 : ctx.opset >= 18;
  const raw = fromInput ? (inputs[1] ? constNumbers(inputs[1], "axes", ctx) : []) : ctx.node.intsAttribute("axes") ?? [];
  if (raw.length === 0) {
    const noop = ctx.node.intAttribute("noop_with_empty_axes", 0) !== 0;
    return noop ? [] : x.dims.map((_, i) => i);
  }
  return [...new Set(raw.map((a) => normAxis(a, rank, ctx)))].sort((a, b) => a - b);
}

function reduce(op: string): OpDef {
  const r = REDUCTIONS[op]!;
  return {
    prepare(inputs, ctx) {
      const x = requireInput(inputs[0], 0, ctx);
      const axes = reduceAxes(x, inputs, ctx);
      const keep = ctx.node.intAttribute("keepdims", 1) !== 0;
      const outDims = keep ? x.dims.map((d, i) => (axes.includes(i) ? 1 : d)) : x.dims.filter((_, i) => !axes.includes(i));
      const rows = x.dtype === "float32" && axes.length > 0 ? rowGeometry(x.dims, axes) : undefined;
      if (rows && op in REDUCE_OPS) {
        const k = ctx.k;
        return {
          outputs: [{ dtype: x.dtype, dims: outDims }],
          run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
            k.norm.reduce(op as ReduceOp, ins[0]!.data as Float32Array, outs[0]!.data as Float32Array, rows);
          },
        };
      }
      const { bases, rel } = reductionMaps(x.dims, axes);
      return {
        outputs: [{ dtype: x.dtype, dims: outDims }],
        run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
          const get = reader(ins[0]!.data);
          const set = writer(outs[0]!.data);
          for (let o = 0; o < bases.length; o++) {
            let acc = r.init;
            const base = bases[o]!;
            for (let j = 0; j < rel.length; j++) acc = r.step(acc, get(base + rel[j]!));
            set(o, r.finish(acc, rel.length));
          }
        },
      };
    },
  };
}

function argReduce(max: boolean): OpDef {
  return {
    prepare(inputs, ctx) {
      const x = requireInput(inputs[0], 0, ctx);
      const axis = normAxis(ctx.node.intAttribute("axis", 0), x.dims.length, ctx);
      const keep = ctx.node.intAttribute("keepdims", 1) !== 0;
      const last = ctx.node.intAttribute("select_last_index", 0) !== 0;
      const { bases, rel } = reductionMaps(x.dims, [axis]);
      // The int64 result written as its two words (an index fits the low one).
      const words = indexWords();
      const outDims = keep ? x.dims.map((d, i) => (i === axis ? 1 : d)) : x.dims.filter((_, i) => i !== axis);
      return {
        outputs: [{ dtype: "int64", dims: outDims }],
        run(ins, outs) {
          // Elements as they are (numbers, or BigInts of int64 token ids, which compare alike): no reader per element.
          const src = ins[0]!.data as unknown as ArrayLike<number>;
          const dst = words(outs[0]!.data) as Int32Array;
          for (let o = 0; o < bases.length; o++) {
            const base = bases[o]!;
            let best = 0;
            let bestV = src[base]!;
            for (let j = 1; j < rel.length; j++) {
              const v = src[base + rel[j]!]!;
              if (max ? v > bestV || (last && v === bestV) : v < bestV || (last && v === bestV)) { best = j; bestV = v; }
            }
            dst[2 * o] = best;
            dst[2 * o + 1] = 0;
          }
        },
      };
    },
  };
}

/** Softmax / LogSoftmax: along one axis from opset 13, over the flattened trailing axes before. */
function softmax(log: boolean): OpDef {
  return {
    prepare(inputs, ctx) {
      const x = requireInput(inputs[0], 0, ctx);
      if (x.dtype !== "float32" && x.dtype !== "float64") ctx.unsupported(`on ${x.dtype}`);
      const rank = x.dims.length;
      const modern = ctx.opset >= 13;
      const axis = normAxis(ctx.node.intAttribute("axis", modern ? -1 : 1), Math.max(rank, 1), ctx);
      const outer = sizeOf(x.dims.slice(0, axis));
      const n = modern ? x.dims[axis] ?? 1 : sizeOf(x.dims.slice(axis));
      const inner = modern ? sizeOf(x.dims.slice(axis + 1)) : 1;
      if (x.dtype === "float32") {
        const k = ctx.k;
        const rows = { outer, n, inner };
        return {
          outputs: [{ dtype: x.dtype, dims: x.dims }],
          run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
            k.norm.softmax(ins[0]!.data as Float32Array, outs[0]!.data as Float32Array, rows, log);
          },
        };
      }
      return {
        outputs: [{ dtype: x.dtype, dims: x.dims }],
        run(ins, outs) {
          const src = ins[0]!.data as Float32Array;
          const dst = outs[0]!.data as Float32Array;
          for (let o = 0; o < outer; o++) {
            for (let q = 0; q < inner; q++) {
              const base = o * n * inner + q;
              let m = -Infinity;
              for (let i = 0; i < n; i++) m = Math.max(m, src[base + i * inner]!);
              let sum = 0;
              for (let i = 0; i < n; i++) sum += Math.exp(src[base + i * inner]! - m);
              const logSum = Math.log(sum);
              for (let i = 0; i < n; i++) {
                const v = src[base + i * inner]! - m;
                dst[base + i * inner] = log ? v - logSum : Math.exp(v) / sum;
              }
            }
          }
        },
      };
    },
  };
}

export const reduceOps: Record<string, OpDef> = {
  ...Object.fromEntries(Object.keys(REDUCTIONS).map((op) => [op, reduce(op)])),
  ArgMax: argReduce(true),
  ArgMin: argReduce(false),
  Softmax: softmax(false),
  LogSoftmax: softmax(true),
};
