import type { OpDef, PrepareContext, RtValue, ValueMeta } from "../op.js";
import { stridedWalk } from "../kernels/strided.js";
import { indexWords } from "../index-words.js";
import { constNumbers, normAxis, reader, requireInput, sizeOf, stridesOf, copyRun, type AnyArray } from "./util.js";
import type { TensorData } from "../tensor.js";
import { pad } from "./pad.js";


/** Output element i reads input element map[i]: the common form of every data-movement operator here. */
function gatherRun(map: Int32Array) {
  return (ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) => {
    const data = ins[0]!.data;
    if (data instanceof Float32Array) return copyMappedF32(data, outs[0]!.data as Float32Array, map);
    const src = data as unknown as AnyArray;
    const dst = outs[0]!.data as unknown as AnyArray;
    for (let i = 0; i < map.length; i++) dst[i] = src[map[i]!];
  };
}

/** The float32 case in a function of its own: a loop that only ever sees Float32Arrays compiles to plain loads. */
function copyMappedF32(src: Float32Array, dst: Float32Array, map: Int32Array): void {
  for (let i = 0; i < map.length; i++) dst[i] = src[map[i]!]!;
}

/**
 * Copy a strided window of the input (a Transpose, a Slice, an Expand with stride 0 along its broadcast axes). Bytes (uint8/int8) in kernel memory move in one strided
 * byte copy in WebAssembly. Otherwise a run at a time: the innermost output axes the input holds contiguously are one
 * run, found at one offset, so a transpose that keeps the last axis or a slice of whole rows copies rows, not elements
 * each through an index.
 */
export function stridedRun(out: readonly number[], strides: readonly number[], base: number, dtype: string, ctx: PrepareContext) {
  if (dtype !== "uint8" && dtype !== "int8") return runsOrGather(out, strides, base, ctx);
  const k = ctx.k;
  const walk = stridedWalk(out, strides);
  let mapped: ReturnType<typeof gatherRun> | undefined;
  return (ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) => {
    const x = ins[0]!.data as Uint8Array;
    const y = outs[0]!.data as Uint8Array;
    if (walk && k.inMemory(x) && k.inMemory(y)) return k.strided.copyBytes(x, y, base, walk);
    // Bytes outside kernel memory, or a walk of more than four axes: through the offset map, made on first use.
    mapped ??= gatherRun(strided(out, strides, base));
    mapped(ins, outs);
  };
}

function runsOrGather(out: readonly number[], strides: readonly number[], base: number, ctx: PrepareContext) {
  let run = 1;
  let axis = out.length;
  while (axis > 0 && (out[axis - 1] === 1 || strides[axis - 1] === run)) run *= out[--axis]!;
  if (run < 4) {
    // Elements one at a time: float32 in kernel memory walks in WebAssembly; anything else through the offset map,
    // made on first use.
    const k = ctx.k;
    const walk = stridedWalk(out, strides);
    let mapped: ReturnType<typeof gatherRun> | undefined;
    return (ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) => {
      const x = ins[0]!.data;
      const y = outs[0]!.data;
      if (walk && x instanceof Float32Array && y instanceof Float32Array && k.inMemory(x) && k.inMemory(y)) return k.strided.copyFloats(x, y, base, walk);
      mapped ??= gatherRun(strided(out, strides, base));
      mapped(ins, outs);
    };
  }
  const starts = strided(out.slice(0, axis), strides.slice(0, axis), base);
  const k = ctx.k;
  // Float tensors in kernel memory copy their runs with memory.copy; the table is kept per session and geometry.
  const table = ctx.once(`runs ${out.join(",")} ${strides.join(",")} ${base}`, () => k.eltwise.runTable(starts, run, ctx.persistentF32));
  return (ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) => {
    const data = ins[0]!.data;
    const y = outs[0]!.data;
    if (data instanceof Float32Array && y instanceof Float32Array && k.inMemory(data) && k.inMemory(y)) return k.eltwise.copyRuns(data, y, table);
    const src = data as unknown as AnyArray;
    const dst = outs[0]!.data as unknown as AnyArray;
    for (let r = 0; r < starts.length; r++) {
      const from = starts[r]!;
      const to = r * run;
      for (let k = 0; k < run; k++) dst[to + k] = src[from + k];
    }
  };
}

/** Whether a permutation moves only axes of extent 1 ([1, 197, 192] → [197, 1, 192]): every element stays put, a view. */
function movesOnlyUnitAxes(dims: readonly number[], perm: readonly number[]): boolean {
  const kept = perm.filter((p) => dims[p] !== 1);
  return kept.every((p, i) => i === 0 || p > kept[i - 1]!);
}

/** For every element of `out`, the input offset Σ idx[d]·stride[d] + base. */
function strided(out: readonly number[], strides: readonly number[], base = 0): Int32Array {
  const total = sizeOf(out);
  const map = new Int32Array(total);
  const rank = out.length;
  const idx = new Array<number>(rank).fill(0);
  let off = base;
  for (let i = 0; i < total; i++) {
    map[i] = off;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]!++;
      off += strides[d]!;
      if (idx[d]! < out[d]!) break;
      off -= strides[d]! * out[d]!;
      idx[d] = 0;
    }
  }
  return map;
}

const transpose: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    const rank = x.dims.length;
    const perm = ctx.node.intsAttribute("perm") ?? x.dims.map((_, i) => rank - 1 - i);
    if (perm.length !== rank || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) ctx.fail(`perm [${perm.join(", ")}] is not a permutation of ${rank} axes`);
    const inStrides = stridesOf(x.dims);
    const out = perm.map((p) => x.dims[p]!);
    if (movesOnlyUnitAxes(x.dims, perm)) return { outputs: [{ dtype: x.dtype, dims: out }], alias: 0 };
    return { outputs: [{ dtype: x.dtype, dims: out }], run: stridedRun(out, perm.map((p) => inStrides[p]!), 0, x.dtype, ctx) };
  },
};

const concat: OpDef = {
  prepare(inputs, ctx) {
    const present = inputs.filter((m): m is ValueMeta => m !== undefined);
    if (present.length === 0) ctx.fail("needs at least one input");
    const first = present[0]!;
    const rank = first.dims.length;
    const axis = normAxis(ctx.node.intAttribute("axis", 0), rank, ctx);
    for (const m of present) {
      if (m.dims.length !== rank || m.dims.some((d, i) => i !== axis && d !== first.dims[i])) {
        ctx.fail(`input shapes [${first.dims.join(", ")}] and [${m.dims.join(", ")}] differ outside axis ${axis}`);
      }
      if (m.dtype !== first.dtype) ctx.fail(`inputs have different element types (${first.dtype}, ${m.dtype})`);
    }
    const out = [...first.dims];
    out[axis] = present.reduce((n, m) => n + m.dims[axis]!, 0);
    const outer = sizeOf(first.dims.slice(0, axis));
    const blocks = present.map((m) => sizeOf(m.dims.slice(axis)));
    const row = blocks.reduce((a, b) => a + b, 0);
    const k = ctx.k;
    return {
      outputs: [{ dtype: first.dtype, dims: out }],
      run(ins, outs) {
        const dst = outs[0]!.data as unknown as AnyArray;
        let start = 0;
        let j = 0;
        for (const p of ins) {
          if (p === undefined) continue;
          const src = p.data as unknown as AnyArray;
          const block = blocks[j++]!;
          // Many short rows (boxes of 4 along the last axis): one kernel call for the part, not a copy per row.
          if (outer > 1 && block < 16 && ArrayBuffer.isView(src) && ArrayBuffer.isView(dst) && k.inMemory(src) && k.inMemory(dst as ArrayBufferView)) {
            const es = (src as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
            k.strided.copyRows(src, 0, dst as ArrayBufferView, start * es, outer, block * es, block * es, row * es, undefined, false);
          } else {
            for (let o = 0; o < outer; o++) copyRun(dst, o * row + start, src, o * block, block);
          }
          start += block;
        }
      },
    };
  },
};

const split: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    const axis = normAxis(ctx.node.intAttribute("axis", 0), x.dims.length, ctx);
    const count = ctx.node.outputNames.length;
    const dim = x.dims[axis]!;
    let sizes = ctx.opset >= 13 ? (inputs[1] ? constNumbers(inputs[1], "split", ctx) : undefined) : ctx.node.intsAttribute("split");
    if (!sizes || sizes.length === 0) {
      const n = ctx.node.intAttribute("num_outputs", count);
      const each = Math.ceil(dim / n);
      sizes = Array.from({ length: n }, (_, i) => Math.max(0, Math.min(each, dim - i * each)));
    }
    if (sizes.reduce((a, b) => a + b, 0) !== dim) ctx.fail(`split sizes [${sizes.join(", ")}] do not add up to ${dim}`);
    const outer = sizeOf(x.dims.slice(0, axis));
    const inner = sizeOf(x.dims.slice(axis + 1));
    const outputs = sizes.map((s) => ({ dtype: x.dtype, dims: x.dims.map((d, i) => (i === axis ? s : d)) }));
    return {
      outputs,
      run(ins, outs) {
        const src = ins[0]!.data as unknown as AnyArray;
        let start = 0;
        outs.forEach((out, j) => {
          const block = sizes![j]! * inner;
          const dst = out.data as unknown as AnyArray;
          for (let o = 0; o < outer; o++) copyRun(dst, o * block, src, o * dim * inner + start, block);
          start += block;
        });
      },
    };
  },
};

const slice: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    const rank = x.dims.length;
    const legacy = ctx.opset < 10;
    const starts = legacy ? ctx.node.intsAttribute("starts") ?? [] : constNumbers(inputs[1], "starts", ctx);
    const ends = legacy ? ctx.node.intsAttribute("ends") ?? [] : constNumbers(inputs[2], "ends", ctx);
    const axes = (legacy ? ctx.node.intsAttribute("axes") : inputs[3] ? constNumbers(inputs[3], "axes", ctx) : undefined) ?? starts.map((_, i) => i);
    const steps = (!legacy && inputs[4] ? constNumbers(inputs[4], "steps", ctx) : undefined) ?? starts.map(() => 1);
    const begin = x.dims.map(() => 0);
    const step = x.dims.map(() => 1);
    const out = [...x.dims];
    axes.forEach((rawAxis, i) => {
      const a = normAxis(rawAxis, rank, ctx);
      const dim = x.dims[a]!;
      const st = steps[i]!;
      if (st === 0) ctx.fail("a step is 0");
      let s = starts[i]!;
      let e = ends[i]!;
      if (s < 0) s += dim;
      if (e < 0) e += dim;
      if (st > 0) {
        s = Math.min(Math.max(s, 0), dim);
        e = Math.min(Math.max(e, 0), dim);
        out[a] = Math.max(0, Math.ceil((e - s) / st));
      } else {
        s = Math.min(Math.max(s, 0), dim - 1);
        e = Math.min(Math.max(e, -1), dim - 1);
        out[a] = Math.max(0, Math.ceil((e - s) / st));
      }
      begin[a] = s;
      step[a] = st;
    });
    const inStrides = stridesOf(x.dims);
    const base = begin.reduce((acc, b, d) => acc + b * inStrides[d]!, 0);
    return { outputs: [{ dtype: x.dtype, dims: out }], run: stridedRun(out, step.map((s, d) => s * inStrides[d]!), base, x.dtype, ctx) };
  },
};

const gather: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    const indices = requireInput(inputs[1], 1, ctx);
    const axis = normAxis(ctx.node.intAttribute("axis", 0), x.dims.length, ctx);
    const dim = x.dims[axis]!;
    const outer = sizeOf(x.dims.slice(0, axis));
    const inner = sizeOf(x.dims.slice(axis + 1));
    const count = sizeOf(indices.dims);
    const out = [...x.dims.slice(0, axis), ...indices.dims, ...x.dims.slice(axis + 1)];
    const words = indexWords();
    const view = contiguousPick(x, indices, outer, dim, inner, ctx);
    if (view !== undefined) return { outputs: [{ dtype: x.dtype, dims: out }], alias: 0, aliasOffset: view };
    const k = ctx.k;
    // Rows of 64 bytes and up (an embedding's width, a graph network's features): one kernel call copying each row as a
    // block, its table of source rows filled once for constant indices, else per run. Outer rows are walked too.
    const es = x.dtype === "float32" ? 4 : x.dtype === "uint8" || x.dtype === "int8" ? 1 : 0;
    if (es > 0 && inner * es >= 64) {
      const table = k.strided.rowTable(outer * count, ctx.persistentF32);
      const fill = (indices: TensorData) => {
        const idx = words(indices);
        const step = indices instanceof BigInt64Array ? 2 : 1;
        for (let j = 0; j < count; j++) {
          const i = gatherIndex(idx, step, j, dim, indices);
          for (let o = 0; o < outer; o++) table[o * count + j] = (o * dim + i) * inner;
        }
      };
      const constant = indices.value;
      if (constant) fill(constant);
      return {
        outputs: [{ dtype: x.dtype, dims: out }],
        runtimeInputs: constant ? [0] : [0, 1],
        run(ins, outs) {
          const src = ins[0]!.data as Float32Array | Uint8Array;
          const dst = outs[0]!.data as Float32Array | Uint8Array;
          const ids = constant ?? ins[1]!.data;
          if (k.inMemory(src) && k.inMemory(dst)) {
            if (!constant) fill(ids);
            k.strided.gatherRows(src, dst, table, inner, es);
          } else if (es === 4) {
            gatherRows(src as Float32Array, dst as Float32Array, words(ids), ids, count, outer, dim, inner);
          } else {
            gatherByteRows(src as Uint8Array, dst as Uint8Array, words(ids), ids, count, outer, dim, inner);
          }
        },
      };
    }
    if (x.dtype === "float32") {
      return {
        outputs: [{ dtype: x.dtype, dims: out }],
        run(ins, outs) {
          const indices = ins[1]!.data;
          gatherRows(ins[0]!.data as Float32Array, outs[0]!.data as Float32Array, words(indices), indices, count, outer, dim, inner);
        },
      };
    }
    if (x.dtype === "uint8" || x.dtype === "int8") {
      // Embedding lookups on quantized tables: the float loop's twin, typed for bytes.
      return {
        outputs: [{ dtype: x.dtype, dims: out }],
        run(ins, outs) {
          const indices = ins[1]!.data;
          gatherByteRows(ins[0]!.data as Uint8Array, outs[0]!.data as Uint8Array, words(indices), indices, count, outer, dim, inner);
        },
      };
    }
    return {
      outputs: [{ dtype: x.dtype, dims: out }],
      run(ins, outs) {
        const src = ins[0]!.data as unknown as AnyArray;
        const dst = outs[0]!.data as unknown as AnyArray;
        const idx = words(ins[1]!.data);
        const step = ins[1]!.data instanceof BigInt64Array ? 2 : 1;
        for (let j = 0; j < count; j++) {
          // 64-bit indices are read as their low word: the high word must be its sign (any real index fits).
          let i = idx[j * step]!;
          if (step === 2 && idx[j * step + 1] !== i >> 31) i = Number.NaN;
          if (i < 0) i += dim;
          if (!(i >= 0 && i < dim)) throw new RangeError(`Gather index ${String(ins[1]!.data[j])} is out of range for a dimension of ${dim}`);
          for (let o = 0; o < outer; o++) {
            const s = (o * dim + i) * inner;
            const d = (o * count + j) * inner;
            for (let q = 0; q < inner; q++) dst[d + q] = src[s + q];
          }
        }
      },
    };
  },
};

/**
 * Where a Gather's output starts in its input when it is one contiguous run of it (one constant index, nothing outside
 * the gathered axis: attention's q/k/v picked from the stacked projection, a sequence's last step): the output is then
 * a view. Undefined when the Gather must copy.
 */
function contiguousPick(x: ValueMeta, indices: ValueMeta, outer: number, dim: number, inner: number, ctx: PrepareContext): number | undefined {
  if (outer !== 1 || x.value !== undefined || indices.value === undefined || indices.value.length !== 1) return undefined;
  if (x.dtype !== "float32" && x.dtype !== "uint8" && x.dtype !== "int8") return undefined;
  const raw = Number(indices.value[0]);
  const i = raw < 0 ? raw + dim : raw;
  if (!(i >= 0 && i < dim)) ctx.fail(`index ${raw} is out of range for a dimension of ${dim}`);
  return i * inner;
}

/** The j-th Gather index, negative ones counted from the end; an index out of range fails. */
function gatherIndex(idx: ArrayLike<number>, step: number, j: number, dim: number, indices: TensorData): number {
  // 64-bit indices are read as their low word: the high word must be its sign (any real index fits).
  let i = idx[j * step]!;
  if (step === 2 && idx[j * step + 1] !== i >> 31) i = Number.NaN;
  if (i < 0) i += dim;
  if (!(i >= 0 && i < dim)) throw new RangeError(`Gather index ${String(indices[j])} is out of range for a dimension of ${dim}`);
  return i;
}

/**
 * Gather of float32 rows (embedding lookups): its own function so the copy loop sees one array type, with the index
 * array read without a per-element conversion closure.
 */
function gatherRows(src: Float32Array, dst: Float32Array, idx: ArrayLike<number>, indices: TensorData, count: number, outer: number, dim: number, inner: number): void {
  const step = indices instanceof BigInt64Array ? 2 : 1;
  for (let j = 0; j < count; j++) {
    const i = gatherIndex(idx, step, j, dim, indices);
    for (let o = 0; o < outer; o++) {
      const s = (o * dim + i) * inner;
      const d = (o * count + j) * inner;
      for (let q = 0; q < inner; q++) dst[d + q] = src[s + q]!;
    }
  }
}

/**
 * gatherRows for byte tensors (int8 read through the same loop: a copy does not look at the values); rows of an
 * embedding's width are copied as blocks.
 */
function gatherByteRows(src: Uint8Array | Int8Array, dst: Uint8Array | Int8Array, idx: ArrayLike<number>, indices: TensorData, count: number, outer: number, dim: number, inner: number): void {
  const step = indices instanceof BigInt64Array ? 2 : 1;
  const from = src as Uint8Array;
  const to = dst as Uint8Array;
  for (let j = 0; j < count; j++) {
    const i = gatherIndex(idx, step, j, dim, indices);
    for (let o = 0; o < outer; o++) {
      const s = (o * dim + i) * inner;
      const d = (o * count + j) * inner;
      if (inner >= 32) to.set(from.subarray(s, s + inner), d);
      else for (let q = 0; q < inner; q++) to[d + q] = from[s + q]!;
    }
  }
}

const tile: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    const reps = constNumbers(inputs[1], "repeats", ctx);
    if (reps.length !== x.dims.length) ctx.fail(`repeats has ${reps.length} values for rank ${x.dims.length}`);
    const out = x.dims.map((d, i) => d * reps[i]!);
    // Each axis as (repeat, element): the repeats read with stride 0, so a tile is a strided copy of twice the rank,
    // rows of whole repeated inner axes as block copies.
    const inStrides = stridesOf(x.dims);
    const walk = x.dims.flatMap((d, i) => [reps[i]!, d]);
    const strides = x.dims.flatMap((_, i) => [0, inStrides[i]!]);
    return { outputs: [{ dtype: x.dtype, dims: out }], run: stridedRun(walk, strides, 0, x.dtype, ctx) };
  },
};

export const layoutOps: Record<string, OpDef> = {
  Transpose: transpose, Concat: concat, Split: split, Slice: slice, Gather: gather, Pad: pad, Tile: tile,
};
