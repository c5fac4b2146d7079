import type { OpDef, RtValue, ValueMeta } from "../op.js";
import type { TensorData } from "../tensor.js";
import { indexWords } from "../index-words.js";
import { floatOrder } from "./float-order.js";
import type { DataType } from "../../onnx/data-type.js";
import { arrayFor } from "../tensor.js";
import { constNumbers, copyRun, normAxis, numbers, reader, requireInput, sizeOf, stridesOf, writer, type AnyArray } from "./util.js";


/**
 * Element offset in the data of every element of an index tensor of shape `dims` (same rank as the data): its own
 * coordinates, but `index(i)` along `axis`. An odometer over the coordinates: no division per element.
 */
function alongAxis(dims: readonly number[], dataStrides: readonly number[], axis: number, index: (i: number) => number, axisSize: number): Int32Array {
  const total = sizeOf(dims);
  const rank = dims.length;
  const out = new Int32Array(total);
  const coord = new Array<number>(rank).fill(0);
  const axisStride = dataStrides[axis]!;
  let base = 0;
  for (let i = 0; i < total; i++) {
    let c = index(i);
    if (c < 0) c += axisSize;
    if (c < 0 || c >= axisSize) throw new RangeError(`index ${index(i)} is out of range for a dimension of ${axisSize}`);
    out[i] = base + c * axisStride;
    for (let d = rank - 1; d >= 0; d--) {
      if (++coord[d]! < dims[d]!) {
        if (d !== axis) base += dataStrides[d]!;
        break;
      }
      if (d !== axis) base -= dataStrides[d]! * (dims[d]! - 1);
      coord[d] = 0;
    }
  }
  return out;
}

/**
 * The offsets of an ElementsOp (GatherElements, ScatterElements): computed once when the indices are a constant (a
 * graph network's edges), on every run otherwise.
 */
function elementOffsets(indices: ValueMeta, dataDims: readonly number[], axis: number): (data: TensorData) => Int32Array {
  const strides = stridesOf(dataDims);
  const compute = (data: TensorData) => alongAxis(indices.dims, strides, axis, reader(data), dataDims[axis]!);
  const constant = indices.value;
  if (constant === undefined) return compute;
  // Made on first use: a scatter of whole rows may never need the element offsets.
  let map: Int32Array | undefined;
  return () => (map ??= compute(constant));
}

const gatherElements: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    const idx = requireInput(inputs[1], 1, ctx);
    if (idx.dims.length !== x.dims.length) ctx.fail("indices must have the rank of the data");
    const axis = normAxis(ctx.node.intAttribute("axis", 0), x.dims.length, ctx);
    const offsets = elementOffsets(idx, x.dims, axis);
    return {
      outputs: [{ dtype: x.dtype, dims: idx.dims }],
      run(ins, outs) {
        const map = offsets(ins[1]!.data);
        const src = ins[0]!.data as unknown as AnyArray;
        const dst = outs[0]!.data as unknown as AnyArray;
        for (let i = 0; i < map.length; i++) dst[i] = src[map[i]!];
      },
    };
  },
};

/**
 * When constant indices scatter whole rows along axis 0 (every index the same along its row, the rows as wide as the
 * data's: a graph network's messages summed into their target nodes), each row's element offset in the data; else
 * undefined.
 */
function rowTargets(indices: ValueMeta, dataDims: readonly number[], axis: number): Int32Array | undefined {
  if (indices.value === undefined || axis !== 0 || indices.dims.length !== dataDims.length) return undefined;
  if (indices.dims.some((d, i) => i > 0 && d !== dataDims[i])) return undefined;
  const rows = indices.dims[0]!;
  const cols = sizeOf(dataDims.slice(1));
  if (cols < 4) return undefined;
  const read = reader(indices.value);
  const size = dataDims[0]!;
  const targets = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    const first = read(r * cols);
    for (let c = 1; c < cols; c++) if (read(r * cols + c) !== first) return undefined;
    const row = first < 0 ? first + size : first;
    if (!(row >= 0 && row < size)) return undefined;
    targets[r] = row * cols;
  }
  return targets;
}

type Reduction = "none" | "add" | "mul" | "max" | "min";

/** dst[map[i]] = reduce(dst[map[i]], upd[i]) in index order, in the data's own arithmetic (float32 sums round as ONNX Runtime's do; int64 wraps). */
function scatterInto(dst: TensorData, map: Int32Array, upd: TensorData, mode: Reduction): void {
  if (dst instanceof BigInt64Array || dst instanceof BigUint64Array) {
    const d = dst as BigInt64Array;
    const u = upd as BigInt64Array;
    for (let i = 0; i < map.length; i++) {
      const m = map[i]!;
      const a = d[m]!;
      const b = u[i]!;
      d[m] = mode === "add" ? a + b : mode === "mul" ? a * b : mode === "max" ? (a > b ? a : b) : mode === "min" ? (a < b ? a : b) : b;
    }
    return;
  }
  const d = dst as unknown as { [i: number]: number };
  const u = upd as unknown as ArrayLike<number>;
  switch (mode) {
    case "add": for (let i = 0; i < map.length; i++) d[map[i]!] += u[i]!; return;
    case "mul": for (let i = 0; i < map.length; i++) d[map[i]!] *= u[i]!; return;
    case "max": for (let i = 0; i < map.length; i++) d[map[i]!] = Math.max(d[map[i]!]!, u[i]!); return;
    case "min": for (let i = 0; i < map.length; i++) d[map[i]!] = Math.min(d[map[i]!]!, u[i]!); return;
    default: for (let i = 0; i < map.length; i++) d[map[i]!] = u[i]!;
  }
}

const REDUCTIONS: readonly string[] = ["none", "add", "mul", "max", "min"];

const scatterElements: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    const idx = requireInput(inputs[1], 1, ctx);
    requireInput(inputs[2], 2, ctx);
    const axis = normAxis(ctx.node.intAttribute("axis", 0), x.dims.length, ctx);
    const reduction = ctx.node.stringAttribute("reduction", "none");
    if (!REDUCTIONS.includes(reduction)) ctx.fail(`reduction '${reduction}' is not one of ${REDUCTIONS.join(", ")}`);
    const offsets = elementOffsets(idx, x.dims, axis);
    const rows = x.dtype === "float32" && (reduction === "add" || reduction === "none") ? rowTargets(idx, x.dims, axis) : undefined;
    const k = ctx.k;
    const table = rows ? k.strided.rowTable(rows.length, ctx.persistentF32) : undefined;
    if (table && rows) table.set(rows);
    return {
      outputs: [{ dtype: x.dtype, dims: x.dims }],
      run(ins, outs) {
        const dst = outs[0]!.data;
        copyRun(dst as unknown as AnyArray, 0, ins[0]!.data as unknown as AnyArray, 0, sizeOf(x.dims));
        const updates = ins[2]!.data;
        if (table && k.inMemory(dst as Float32Array) && k.inMemory(updates as Float32Array)) {
          k.strided.scatterRows(dst as Float32Array, updates as Float32Array, table, sizeOf(x.dims.slice(1)), reduction === "add");
          return;
        }
        scatterInto(dst, offsets(ins[1]!.data), updates, reduction as Reduction);
      },
    };
  },
};

/** Offsets of the slices a GatherND/ScatterND index tuple addresses. */
function ndOffsets(dataDims: readonly number[], idx: (i: number) => number, tuples: number, depth: number, batch: number): Int32Array {
  const strides = stridesOf(dataDims);
  const out = new Int32Array(tuples);
  const perBatch = tuples / Math.max(1, sizeOf(dataDims.slice(0, batch)));
  const batchStride = batch > 0 ? strides[batch - 1]! : 0;
  for (let t = 0; t < tuples; t++) {
    let off = batch > 0 ? Math.floor(t / perBatch) * batchStride : 0;
    for (let d = 0; d < depth; d++) {
      let c = idx(t * depth + d);
      const size = dataDims[batch + d]!;
      if (c < 0) c += size;
      if (c < 0 || c >= size) throw new RangeError(`index ${idx(t * depth + d)} is out of range for a dimension of ${size}`);
      off += c * strides[batch + d]!;
    }
    out[t] = off;
  }
  return out;
}

const gatherND: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    const idx = requireInput(inputs[1], 1, ctx);
    const batch = ctx.node.intAttribute("batch_dims", 0);
    const depth = idx.dims[idx.dims.length - 1]!;
    const tuples = sizeOf(idx.dims.slice(0, -1));
    const slice = sizeOf(x.dims.slice(batch + depth));
    const outDims = [...idx.dims.slice(0, -1), ...x.dims.slice(batch + depth)];
    return {
      outputs: [{ dtype: x.dtype, dims: outDims }],
      run(ins, outs) {
        const offsets = ndOffsets(x.dims, reader(ins[1]!.data), tuples, depth, batch);
        const src = ins[0]!.data as unknown as AnyArray;
        const dst = outs[0]!.data as unknown as AnyArray;
        for (let t = 0; t < tuples; t++) for (let i = 0; i < slice; i++) dst[t * slice + i] = src[offsets[t]! + i];
      },
    };
  },
};

const scatterND: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    const idx = requireInput(inputs[1], 1, ctx);
    const depth = idx.dims[idx.dims.length - 1]!;
    const tuples = sizeOf(idx.dims.slice(0, -1));
    const slice = sizeOf(x.dims.slice(depth));
    const reduction = ctx.node.stringAttribute("reduction", "none");
    if (!REDUCTIONS.includes(reduction)) ctx.fail(`reduction '${reduction}' is not one of ${REDUCTIONS.join(", ")}`);
    // Every updated element's offset: its slice's, then consecutive.
    const elementMap = (data: TensorData) => {
      const slices = ndOffsets(x.dims, reader(data), tuples, depth, 0);
      const map = new Int32Array(tuples * slice);
      for (let t = 0; t < tuples; t++) for (let i = 0; i < slice; i++) map[t * slice + i] = slices[t]! + i;
      return map;
    };
    const constMap = idx.value !== undefined ? elementMap(idx.value) : undefined;
    return {
      outputs: [{ dtype: x.dtype, dims: x.dims }],
      run(ins, outs) {
        const dst = outs[0]!.data;
        copyRun(dst as unknown as AnyArray, 0, ins[0]!.data as unknown as AnyArray, 0, sizeOf(x.dims));
        scatterInto(dst, constMap ?? elementMap(ins[1]!.data), ins[2]!.data, reduction as Reduction);
      },
    };
  },
};

const oneHot: OpDef = {
  prepare(inputs, ctx) {
    const idx = requireInput(inputs[0], 0, ctx);
    const depth = constNumbers(inputs[1], "depth", ctx)[0]!;
    const values = requireInput(inputs[2], 2, ctx);
    const rank = idx.dims.length + 1;
    const axis = normAxis(ctx.node.intAttribute("axis", -1), rank, ctx);
    const outDims = [...idx.dims.slice(0, axis), depth, ...idx.dims.slice(axis)];
    const outer = sizeOf(idx.dims.slice(0, axis));
    const inner = sizeOf(idx.dims.slice(axis));
    return {
      outputs: [{ dtype: values.dtype, dims: outDims }],
      run(ins, outs) {
        const r = reader(ins[0]!.data);
        const v = reader(ins[2]!.data);
        const w = writer(outs[0]!.data);
        const off = v(0);
        const on = v(1);
        for (let i = 0; i < outer * depth * inner; i++) w(i, off);
        for (let o = 0; o < outer; o++) for (let q = 0; q < inner; q++) {
          let k = Math.trunc(r(o * inner + q));
          if (k < 0) k += depth;
          if (k >= 0 && k < depth) w((o * depth + k) * inner + q, on);
        }
      },
    };
  },
};

const range: OpDef = {
  prepare(inputs, ctx) {
    const [start, limit, delta] = [0, 1, 2].map((i) => constNumbers(inputs[i], ["start", "limit", "delta"][i]!, ctx)[0]!) as [number, number, number];
    const dtype = inputs[0]!.dtype;
    const n = Math.max(0, Math.ceil((limit - start) / delta));
    const data = arrayFor(dtype, n);
    const w = writer(data);
    for (let i = 0; i < n; i++) w(i, start + i * delta);
    return { outputs: [{ dtype, dims: [n], value: data }] };
  },
};

const eyeLike: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    if (x.dims.length !== 2) ctx.fail("input must be 2-D");
    const code = ctx.node.intAttribute("dtype", 0);
    const dtype: DataType = code ? (["", "float32", "uint8", "int8", "uint16", "int16", "int32", "int64", "", "bool", "", "float64"][code] as DataType) || x.dtype : x.dtype;
    const k = ctx.node.intAttribute("k", 0);
    const [rows, cols] = x.dims as [number, number];
    return {
      outputs: [{ dtype, dims: x.dims }],
      run(_ins, outs) {
        const w = writer(outs[0]!.data);
        for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) w(i * cols + j, j - i === k ? 1 : 0);
      },
    };
  },
};

const trilu: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    const k = inputs[1] ? constNumbers(inputs[1], "k", ctx)[0]! : 0;
    const upper = ctx.node.intAttribute("upper", 1) !== 0;
    const rows = x.dims[x.dims.length - 2]!;
    const cols = x.dims[x.dims.length - 1]!;
    const total = sizeOf(x.dims);
    return {
      outputs: [{ dtype: x.dtype, dims: x.dims }],
      run(ins, outs) {
        const r = reader(ins[0]!.data);
        const w = writer(outs[0]!.data);
        for (let i = 0; i < total; i++) {
          const j = i % cols;
          const row = Math.floor(i / cols) % rows;
          const keep = upper ? j - row >= k : j - row <= k;
          w(i, keep ? r(i) : 0);
        }
      },
    };
  },
};

/** CumSum, and CumProd (opset 26): the running sum or product along an axis, exclusive and reversed as asked. */
const cumulative = (product: boolean): OpDef => ({
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    const axis = normAxis(constNumbers(inputs[1], "axis", ctx)[0]!, x.dims.length, ctx);
    const exclusive = ctx.node.intAttribute("exclusive", 0) !== 0;
    const reverse = ctx.node.intAttribute("reverse", 0) !== 0;
    const outer = sizeOf(x.dims.slice(0, axis));
    const n = x.dims[axis]!;
    const inner = sizeOf(x.dims.slice(axis + 1));
    // Running values of a whole row of the inner axes at once: the walk along the axis reads contiguous rows.
    const running = new Float64Array(inner);
    const kernels = ctx.k;
    return {
      outputs: [{ dtype: x.dtype, dims: x.dims }],
      run(ins, outs) {
        const data = ins[0]!.data;
        const y = outs[0]!.data;
        if (data instanceof Float32Array && y instanceof Float32Array && kernels.inMemory(data) && kernels.inMemory(y)) {
          kernels.order.cumulate(data, y, outer, n, inner, exclusive, reverse, product);
          return;
        }
        if (!(data instanceof BigInt64Array || data instanceof BigUint64Array)) {
          runNumbers(data as unknown as ArrayLike<number>, outs[0]!.data as unknown as { [i: number]: number }, data instanceof Float32Array);
          return;
        }
        const r = reader(data);
        const w = writer(outs[0]!.data);
        for (let o = 0; o < outer; o++) for (let q = 0; q < inner; q++) {
          let acc = product ? 1 : 0;
          for (let s = 0; s < n; s++) {
            const i = reverse ? n - 1 - s : s;
            const off = (o * n + i) * inner + q;
            const v = r(off);
            if (exclusive) w(off, acc);
            acc = product ? acc * v : acc + v;
            if (!exclusive) w(off, acc);
          }
        }
      },
    };
    /** Numbers read and written as they are; a float32 running value rounded at each step, as a float32 loop sums. */
    function runNumbers(src: ArrayLike<number>, dst: { [i: number]: number }, single: boolean): void {
      for (let o = 0; o < outer; o++) {
        running.fill(product ? 1 : 0);
        for (let s = 0; s < n; s++) {
          const row = (o * n + (reverse ? n - 1 - s : s)) * inner;
          for (let q = 0; q < inner; q++) {
            const v = src[row + q]!;
            let acc = running[q]!;
            if (exclusive) dst[row + q] = acc;
            acc = product ? acc * v : acc + v;
            if (single) acc = Math.fround(acc);
            running[q] = acc;
            if (!exclusive) dst[row + q] = acc;
          }
        }
      }
    }
  },
});

const topK: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    const k = constNumbers(inputs[1], "K", ctx)[0]!;
    const axis = normAxis(ctx.node.intAttribute("axis", -1), x.dims.length, ctx);
    const largest = ctx.node.intAttribute("largest", 1) !== 0;
    const outer = sizeOf(x.dims.slice(0, axis));
    const n = x.dims[axis]!;
    const inner = sizeOf(x.dims.slice(axis + 1));
    if (k > n) ctx.fail(`K = ${k} exceeds the axis size ${n}`);
    const outDims = x.dims.map((d, i) => (i === axis ? k : d));
    // Per row: the k best through a heap of k whose root is the worst kept (n·log k, not a sort of n), then the heap
    // emptied worst first into the result's end; or, when k is a large part of a float32 row, one native sort of keys.
    // Ties go to the lower index, as ONNX Runtime orders them.
    const vals = new Float64Array(n);
    const best = new Int32Array(Math.max(1, k));
    const sorting = x.dtype === "float32" && k * 8 > n;
    const keep = sorting ? sortedBest(vals, n, k, largest) : heapOf(vals, n, k, largest);
    const words = indexWords();
    // Rows of the last axis sort in the kernel module: a merge sort of keyed floats in the same order as sortedBest.
    const kernels = ctx.k;
    const inKernel = sorting && inner === 1;
    const scratch = inKernel ? kernels.order.topScratch(n, ctx.persistentF32) : -1;
    const indexWordsIn = inKernel ? kernels.order.indexWords(outer * k, ctx.persistentF32) : undefined;
    return {
      outputs: [{ dtype: x.dtype, dims: outDims }, { dtype: "int64", dims: outDims }],
      run(ins, outs) {
        const [xs, ys] = [ins[0]!.data, outs[0]!.data];
        if (indexWordsIn && xs instanceof Float32Array && ys instanceof Float32Array && kernels.inMemory(xs) && kernels.inMemory(ys)) {
          kernels.order.topRows(xs, ys, indexWordsIn, outer, n, k, largest, scratch);
          (words(outs[1]!.data) as Int32Array).set(indexWordsIn);
          return;
        }
        // Numbers read and written as they are, int64 data through BigInt; the indices as their words (a BigInt made
        // per index cost more than the whole heap).
        const data = ins[0]!.data;
        const wide = data instanceof BigInt64Array || data instanceof BigUint64Array;
        const src = data as unknown as ArrayLike<number>;
        const r = reader(data);
        const w = writer(outs[0]!.data);
        const dst = outs[0]!.data as unknown as { [i: number]: number };
        const idx = words(outs[1]!.data) as Int32Array;
        for (let o = 0; o < outer; o++) for (let q = 0; q < inner; q++) {
          for (let i = 0; i < n; i++) vals[i] = wide ? r((o * n + i) * inner + q) : src[(o * n + i) * inner + q]!;
          keep(best);
          for (let j = 0; j < k; j++) {
            const off = (o * k + j) * inner + q;
            if (wide) w(off, vals[best[j]!]!);
            else dst[off] = vals[best[j]!]!;
            idx[2 * off] = best[j]!;
            idx[2 * off + 1] = 0;
          }
        }
      },
    };
  },
};

/** Puts the indices of the row's (`vals`, n values) k best, best first, into `best`. */
type KeepBest = (best: Int32Array) => void;

/** The k best of a float32 row by one native sort (floatOrder): for k a large part of n (a sparsemax sorts whole rows). */
function sortedBest(vals: Float64Array, n: number, k: number, largest: boolean): KeepBest {
  const order = floatOrder(n);
  return (best) => {
    const sorted = order(vals, largest);
    for (let j = 0; j < k; j++) best[j] = sorted[j]!;
  };
}

/** The k best through a heap of k whose root is the worst kept. */
function heapOf(vals: Float64Array, n: number, k: number, largest: boolean): KeepBest {
  const heap = new Int32Array(Math.max(1, k));
  const better = (i: number, j: number) => {
    const a = vals[i]!;
    const b = vals[j]!;
    return (largest ? a > b : a < b) || (a === b && i < j);
  };
  const siftDown = (size: number) => {
    let at = 0;
    for (;;) {
      const l = 2 * at + 1;
      let worst = at;
      if (l < size && better(heap[worst]!, heap[l]!)) worst = l;
      if (l + 1 < size && better(heap[worst]!, heap[l + 1]!)) worst = l + 1;
      if (worst === at) return;
      const t = heap[at]!;
      heap[at] = heap[worst]!;
      heap[worst] = t;
      at = worst;
    }
  };
  return (best) => {
    let size = 0;
    for (let i = 0; i < n; i++) {
      if (size < k) {
        let at = size++;
        heap[at] = i;
        while (at > 0) {
          const parent = (at - 1) >> 1;
          if (!better(heap[parent]!, heap[at]!)) break;
          const t = heap[at]!;
          heap[at] = heap[parent]!;
          heap[parent] = t;
          at = parent;
        }
      } else if (k > 0 && better(i, heap[0]!)) {
        heap[0] = i;
        siftDown(size);
      }
    }
    for (let end = k - 1; end >= 0; end--) {
      best[end] = heap[0]!;
      heap[0] = heap[--size]!;
      siftDown(size);
    }
  };
}

const hardmax: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    const rank = x.dims.length;
    const modern = ctx.opset >= 13;
    const axis = normAxis(ctx.node.intAttribute("axis", modern ? -1 : 1), rank, ctx);
    const outer = sizeOf(x.dims.slice(0, axis));
    const n = modern ? x.dims[axis]! : sizeOf(x.dims.slice(axis));
    const inner = modern ? sizeOf(x.dims.slice(axis + 1)) : 1;
    return {
      outputs: [{ dtype: x.dtype, dims: x.dims }],
      run(ins, outs) {
        const r = reader(ins[0]!.data);
        const w = writer(outs[0]!.data);
        for (let o = 0; o < outer; o++) for (let q = 0; q < inner; q++) {
          let best = 0;
          for (let i = 0; i < n; i++) {
            w((o * n + i) * inner + q, 0);
            if (r((o * n + i) * inner + q) > r((o * n + best) * inner + q)) best = i;
          }
          w((o * n + best) * inner + q, 1);
        }
      },
    };
  },
};

/** DepthToSpace (DCR or CRD) and SpaceToDepth as index maps over NCHW. */
function spaceDepth(toSpace: boolean): OpDef {
  return {
    prepare(inputs, ctx) {
      const x = requireInput(inputs[0], 0, ctx);
      if (x.dims.length !== 4) ctx.fail("input must be 4-D");
      const b = ctx.node.intAttribute("blocksize", 0);
      if (b < 1) ctx.fail("blocksize must be positive");
      const [N, C, H, W] = x.dims as [number, number, number, number];
      const crd = ctx.node.stringAttribute("mode", "DCR") === "CRD";
      const out = toSpace ? [N, C / (b * b), H * b, W * b] : [N, C * b * b, H / b, W / b];
      if (!out.every(Number.isInteger)) ctx.fail(`shape [${x.dims.join(", ")}] does not divide by blocksize ${b}`);
      const [, OC, OH, OW] = out as [number, number, number, number];
      const total = sizeOf(out);
      const map = new Int32Array(total);
      for (let i = 0; i < total; i++) {
        const ox = i % OW, oy = Math.floor(i / OW) % OH, oc = Math.floor(i / (OW * OH)) % OC, n = Math.floor(i / (OW * OH * OC));
        let ic: number, iy: number, ix: number;
        if (toSpace) {
          const by = oy % b, bx = ox % b;
          ic = crd ? oc * b * b + by * b + bx : (by * b + bx) * OC + oc;
          iy = Math.floor(oy / b);
          ix = Math.floor(ox / b);
        } else {
          const c = oc % C;
          const blk = Math.floor(oc / C);
          ic = c;
          iy = oy * b + Math.floor(blk / b);
          ix = ox * b + (blk % b);
        }
        map[i] = ((n * C + ic) * H + iy) * W + ix;
      }
      return {
        outputs: [{ dtype: x.dtype, dims: out }],
        run(ins, outs) {
          const src = ins[0]!.data as unknown as AnyArray;
          const dst = outs[0]!.data as unknown as AnyArray;
          for (let i = 0; i < total; i++) dst[i] = src[map[i]!];
        },
      };
    },
  };
}

/** Dropout at inference: the input unchanged, and an all-true mask when asked for. */
const dropout: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    const training = inputs[2];
    if (training && (training.value === undefined || numbers(training.value)[0])) ctx.unsupported("in training mode");
    const mask = ctx.node.outputNames.length > 1 && ctx.node.outputNames[1] !== "";
    return {
      outputs: [{ dtype: x.dtype, dims: x.dims }, ...(mask ? [{ dtype: "bool" as const, dims: x.dims }] : [])],
      run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
        (outs[0]!.data as unknown as { set(a: ArrayLike<unknown>): void }).set(ins[0]!.data as ArrayLike<unknown>);
        if (outs[1]) (outs[1].data as Uint8Array).fill(1);
      },
    };
  },
};

export const indexingOps: Record<string, OpDef> = {
  GatherElements: gatherElements, ScatterElements: scatterElements, Scatter: scatterElements, GatherND: gatherND, ScatterND: scatterND,
  OneHot: oneHot, Range: range, EyeLike: eyeLike, Trilu: trilu, CumSum: cumulative(false), CumProd: cumulative(true), TopK: topK, Hardmax: hardmax,
  DepthToSpace: spaceDepth(true), SpaceToDepth: spaceDepth(false), Dropout: dropout,
};
