import type { OpDef, PrepareContext, RtValue, ValueMeta } from "../op.js";
import { arrayFor, type TensorData } from "../tensor.js";
import { normAxis, reader, requireInput, sizeOf } from "./util.js";
import { floatOrder } from "./float-order.js";

/**
 * Operators whose output shapes depend on their input values. Each is an `evaluate` over the inputs' values; the plan
 * runs it between a plan of the graph before it and one of the rest, made for the shapes its outputs take
 * (plan.ts). With constant inputs it is computed once while planning, like any other operator.
 */
function dataDependent(evaluate: (inputs: readonly (RtValue | undefined)[], ctx: PrepareContext) => RtValue[]): OpDef {
  return {
    evaluate,
    prepare(inputs, ctx) {
      const values = inputs.map((m) => (m === undefined ? undefined : { dtype: m.dtype, dims: m.dims, data: m.value! }));
      return { outputs: evaluate(values, ctx).map((o): ValueMeta => ({ dtype: o.dtype, dims: o.dims, value: o.data })) };
    },
  };
}

function int64s(values: readonly number[], dims: number[]): RtValue {
  return { dtype: "int64", dims, data: BigInt64Array.from(values, BigInt) };
}

/** A value of `x`'s type holding the elements of `x` at `picks`, in that order. */
function gather(x: RtValue, picks: readonly number[], dims: number[]): RtValue {
  if (Array.isArray(x.data)) return { dtype: x.dtype, dims, data: picks.map((i) => (x.data as string[])[i]!) };
  const out = arrayFor(x.dtype, picks.length) as unknown as { [i: number]: number | bigint };
  const src = x.data as unknown as ArrayLike<number | bigint>;
  for (let j = 0; j < picks.length; j++) out[j] = src[picks[j]!]!;
  return { dtype: x.dtype, dims, data: out as unknown as TensorData };
}


/** NonZero: the indices of the non-zero elements, one row per axis, in row-major order. */
const nonZero = dataDependent((inputs, ctx) => {
  const x = requireInput(inputs[0], 0, ctx);
  // A scalar counts as one element along one axis, as NumPy's nonzero reads it.
  const dims = x.dims.length === 0 ? [1] : x.dims;
  const r = reader(x.data);
  const hits: number[] = [];
  const n = sizeOf(dims);
  for (let i = 0; i < n; i++) if (r(i) !== 0) hits.push(i);
  const rank = dims.length;
  const out = new Array<number>(rank * hits.length);
  hits.forEach((flat, j) => {
    let rest = flat;
    for (let a = rank - 1; a >= 0; a--) {
      out[a * hits.length + j] = rest % dims[a]!;
      rest = Math.floor(rest / dims[a]!);
    }
  });
  return [int64s(out, [rank, hits.length])];
});

/** Compress: the slices along `axis` (or the elements of the flattened input) whose condition is true. */
const compress = dataDependent((inputs, ctx) => {
  const x = requireInput(inputs[0], 0, ctx);
  const condition = requireInput(inputs[1], 1, ctx);
  if (condition.dims.length !== 1) ctx.fail(`condition must be 1-D, got [${condition.dims.join(", ")}]`);
  const keep = reader(condition.data);
  const axisAttr = ctx.node.attributes.has("axis") ? ctx.node.intAttribute("axis", 0) : undefined;
  if (axisAttr === undefined) {
    const n = Math.min(condition.dims[0]!, sizeOf(x.dims));
    const picks: number[] = [];
    for (let i = 0; i < n; i++) if (keep(i) !== 0) picks.push(i);
    return [gather(x, picks, [picks.length])];
  }
  const axis = normAxis(axisAttr, x.dims.length, ctx);
  const extent = x.dims[axis]!;
  if (condition.dims[0]! > extent) ctx.fail(`condition has ${condition.dims[0]} entries, more than the ${extent} along axis ${axis}`);
  const kept: number[] = [];
  for (let i = 0; i < condition.dims[0]!; i++) if (keep(i) !== 0) kept.push(i);
  const outer = sizeOf(x.dims.slice(0, axis));
  const inner = sizeOf(x.dims.slice(axis + 1));
  const picks: number[] = [];
  for (let o = 0; o < outer; o++) for (const k of kept) for (let q = 0; q < inner; q++) picks.push((o * extent + k) * inner + q);
  return [gather(x, picks, x.dims.map((d, i) => (i === axis ? kept.length : d)))];
});

/**
 * Unique: the distinct elements (or slices along `axis`), sorted ascending or in order of first occurrence, with
 * the index of each one's first occurrence, each input element's index into them, and their counts.
 */
const unique = dataDependent((inputs, ctx) => {
  const x = requireInput(inputs[0], 0, ctx);
  if (Array.isArray(x.data)) ctx.unsupported("on strings");
  const sorted = ctx.node.intAttribute("sorted", 1) !== 0;
  const axisAttr = ctx.node.attributes.has("axis") ? ctx.node.intAttribute("axis", 0) : undefined;
  const dims = axisAttr === undefined ? [sizeOf(x.dims)] : x.dims;
  const axis = axisAttr === undefined ? 0 : normAxis(axisAttr, x.dims.length, ctx);
  const extent = dims[axis]!;
  const outer = sizeOf(dims.slice(0, axis));
  const inner = sizeOf(dims.slice(axis + 1));
  const src = x.data as unknown as ArrayLike<number | bigint>;
  /** The elements of slice k along the axis, in row-major order. */
  const slice = (k: number) => {
    const out: (number | bigint)[] = [];
    for (let o = 0; o < outer; o++) for (let q = 0; q < inner; q++) out.push(src[(o * extent + k) * inner + q]!);
    return out;
  };
  const slices = Array.from({ length: extent }, (_, k) => slice(k));
  const keyOf = (s: readonly (number | bigint)[]) => s.map(String).join(",");
  const firstOf = new Map<string, number>();
  const counts = new Map<string, number>();
  slices.forEach((s, k) => {
    const key = keyOf(s);
    if (!firstOf.has(key)) firstOf.set(key, k);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  });
  const order = [...firstOf.values()];
  if (sorted) {
    order.sort((a, b) => {
      const sa = slices[a]!;
      const sb = slices[b]!;
      for (let i = 0; i < sa.length; i++) if (sa[i] !== sb[i]) return sa[i]! < sb[i]! ? -1 : 1;
      return 0;
    });
  }
  const position = new Map(order.map((k, j) => [keyOf(slices[k]!), j]));
  const picks: number[] = [];
  for (let o = 0; o < outer; o++) for (const k of order) for (let q = 0; q < inner; q++) picks.push((o * extent + k) * inner + q);
  const yDims = dims.map((d, i) => (i === axis ? order.length : d));
  return [
    gather({ ...x, dims }, picks, yDims),
    int64s(order, [order.length]),
    int64s(slices.map((s) => position.get(keyOf(s))!), [extent]),
    int64s(order.map((k) => counts.get(keyOf(slices[k]!))!), [order.length]),
  ];
});

/**
 * NonMaxSuppression: per batch and class, boxes by descending score (above the score threshold; ties by index), each
 * kept unless it overlaps a kept one by more than the IoU threshold, up to the count per class; as ONNX Runtime.
 */
const nonMaxSuppression = dataDependent((inputs, ctx) => {
  const boxes = requireInput(inputs[0], 0, ctx);
  const scores = requireInput(inputs[1], 1, ctx);
  if (boxes.dims.length !== 3 || boxes.dims[2] !== 4) ctx.fail(`boxes must be [batches, boxes, 4], got [${boxes.dims.join(", ")}]`);
  if (scores.dims.length !== 3 || scores.dims[0] !== boxes.dims[0] || scores.dims[2] !== boxes.dims[1]) {
    ctx.fail(`scores must be [batches, classes, boxes] = [${boxes.dims[0]}, C, ${boxes.dims[1]}], got [${scores.dims.join(", ")}]`);
  }
  const scalar = (v: RtValue | undefined, fallback: number) => (v && sizeOf(v.dims) > 0 ? reader(v.data)(0) : fallback);
  const maxPerClass = scalar(inputs[2], 0);
  const iouThreshold = scalar(inputs[3], 0);
  const scoreThreshold = inputs[4] && sizeOf(inputs[4].dims) > 0 ? reader(inputs[4].data)(0) : undefined;
  if (iouThreshold < 0 || iouThreshold > 1) ctx.fail(`iou_threshold must be in [0, 1], got ${iouThreshold}`);
  const centered = ctx.node.intAttribute("center_point_box", 0) !== 0;
  const [B, N] = [boxes.dims[0]!, boxes.dims[1]!];
  const C = scores.dims[1]!;
  const box = reader(boxes.data);
  const score = reader(scores.data);
  // Per batch, every box's corners (x1 ≤ x2, y1 ≤ y2) and area once; per class, the scores once and the candidates in a
  // typed array sorted on them; kept boxes by index. No array per box.
  const corners = new Float64Array(N * 4);
  const areas = new Float64Array(N);
  const classScores = new Float64Array(N);
  const kept = new Int32Array(N);
  const scoreOrder = floatOrder(N);
  const overlaps = (a: number, b: number) => {
    if (areas[a]! <= 0 || areas[b]! <= 0) return false;
    const w = Math.max(0, Math.min(corners[4 * a + 2]!, corners[4 * b + 2]!) - Math.max(corners[4 * a]!, corners[4 * b]!));
    const h = Math.max(0, Math.min(corners[4 * a + 3]!, corners[4 * b + 3]!) - Math.max(corners[4 * a + 1]!, corners[4 * b + 1]!));
    const inter = w * h;
    return inter > 0 && inter / (areas[a]! + areas[b]! - inter) > iouThreshold;
  };
  const selected: number[] = [];
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < N; i++) {
      const o = (b * N + i) * 4;
      const c = 4 * i;
      if (centered) {
        // [x_center, y_center, width, height]
        corners[c] = box(o) - box(o + 2) / 2;
        corners[c + 1] = box(o + 1) - box(o + 3) / 2;
        corners[c + 2] = box(o) + box(o + 2) / 2;
        corners[c + 3] = box(o + 1) + box(o + 3) / 2;
      } else {
        // [y1, x1, y2, x2], either corner first
        corners[c] = Math.min(box(o + 1), box(o + 3));
        corners[c + 1] = Math.min(box(o), box(o + 2));
        corners[c + 2] = Math.max(box(o + 1), box(o + 3));
        corners[c + 3] = Math.max(box(o), box(o + 2));
      }
      areas[i] = (corners[c + 2]! - corners[c]!) * (corners[c + 3]! - corners[c + 1]!);
    }
    for (let c = 0; c < C; c++) {
      if (maxPerClass <= 0) continue;
      for (let i = 0; i < N; i++) classScores[i] = score((b * C + c) * N + i);
      const order = scoreOrder(classScores, true);
      let keptCount = 0;
      for (let n = 0; n < N && keptCount < maxPerClass; n++) {
        const i = order[n]!;
        // In descending order: the first score at or under the threshold ends the candidates.
        if (scoreThreshold !== undefined && !(classScores[i]! > scoreThreshold)) {
          if (Number.isNaN(classScores[i]!)) continue;
          break;
        }
        let suppressed = false;
        for (let k = 0; k < keptCount && !suppressed; k++) suppressed = overlaps(kept[k]!, i);
        if (suppressed) continue;
        kept[keptCount++] = i;
        selected.push(b, c, i);
      }
    }
  }
  return [int64s(selected, [selected.length / 3, 3])];
});

export const dataDependentOps: Record<string, OpDef> = {
  NonZero: nonZero,
  Compress: compress,
  Unique: unique,
  NonMaxSuppression: nonMaxSuppression,
};
