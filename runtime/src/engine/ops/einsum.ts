import type { OpDef, PrepareContext, RtValue, ValueMeta } from "../op.js";
import type { PackedB } from "../kernels/gemm.js";
import { sizeOf, stridesOf } from "./util.js";

/** An einsum equation with its ellipses expanded: the subscripts of each input and of the output. */
interface Equation {
  inputs: string[][];
  output: string[];
}

/** Parse `equation` for inputs of the given ranks; an ellipsis becomes private subscripts (code points from U+0100). */
function parse(equation: string, ranks: readonly number[], ctx: PrepareContext): Equation {
  const text = equation.replace(/\s+/g, "");
  const [lhs, rhs] = text.split("->") as [string, string | undefined];
  const terms = lhs.split(",");
  if (terms.length !== ranks.length) ctx.fail(`equation '${equation}' has ${terms.length} operands, the node ${ranks.length} inputs`);
  let ellipsisRank = 0;
  const letters = (term: string, rank: number | undefined): string[] => {
    const parts = term.split("...");
    if (parts.length > 2) ctx.fail(`equation '${equation}' has more than one ellipsis in '${term}'`);
    for (const part of parts) if (!/^[a-zA-Z]*$/.test(part)) ctx.fail(`equation '${equation}' has a subscript that is not a letter in '${term}'`);
    const named = parts.join("").length;
    if (parts.length === 1) {
      if (rank !== undefined && named !== rank) ctx.fail(`equation '${equation}': '${term}' has ${named} subscripts for a rank-${rank} input`);
      return [...term];
    }
    const count = rank === undefined ? ellipsisRank : rank - named;
    if (count < 0) ctx.fail(`equation '${equation}': '${term}' has more subscripts than its input's rank ${rank}`);
    ellipsisRank = Math.max(ellipsisRank, count);
    // Right-aligned, as numpy broadcasts: the ellipsis' last axis is always U+0100 + ellipsisRank − 1 … .
    const dots = Array.from({ length: count }, (_, i) => String.fromCharCode(0x100 + 64 - count + i));
    return [...parts[0]!, ...dots, ...parts[1]!];
  };
  const inputs = terms.map((t, i) => letters(t, ranks[i]));
  let output: string[];
  if (rhs !== undefined) {
    output = letters(rhs, undefined);
  } else {
    // Implicit output: the ellipsis' axes, then the letters used once, alphabetically.
    const counts = new Map<string, number>();
    for (const l of inputs.flat()) counts.set(l, (counts.get(l) ?? 0) + 1);
    const dots = [...counts.keys()].filter((l) => l.charCodeAt(0) >= 0x100).sort();
    output = [...dots, ...[...counts].filter(([l, c]) => c === 1 && l.charCodeAt(0) < 0x100).map(([l]) => l).sort()];
  }
  for (const l of output) if (!inputs.some((t) => t.includes(l))) ctx.fail(`equation '${equation}': output subscript '${l}' is on no input`);
  if (new Set(output).size !== output.length) ctx.fail(`equation '${equation}' repeats a subscript in its output`);
  return { inputs, output };
}

/** Each subscript's extent; an axis of extent 1 broadcasts against the others. */
function extents(eq: Equation, metas: readonly ValueMeta[], ctx: PrepareContext): Map<string, number> {
  const size = new Map<string, number>();
  eq.inputs.forEach((term, i) => term.forEach((l, a) => {
    const d = metas[i]!.dims[a]!;
    const prev = size.get(l);
    if (prev !== undefined && prev !== d && prev !== 1 && d !== 1) ctx.fail(`subscript '${l}' has extent ${prev} and ${d}`);
    size.set(l, prev === undefined || prev === 1 ? d : prev);
  }));
  return size;
}

/** Element strides per subscript of an operand (summed where a subscript repeats: a diagonal; 0 where it broadcasts). */
function letterStrides(term: readonly string[], dims: readonly number[], letters: readonly string[]): number[] {
  const own = stridesOf(dims);
  return letters.map((l) => term.reduce((s, t, a) => (t === l && dims[a] !== 1 ? s + own[a]! : s), 0));
}

/** The stride of a group of subscripts that lie in an operand as one axis (each the next one's stride × extent). */
function mergedStride(group: readonly string[], term: readonly string[], dims: readonly number[], size: Map<string, number>): number | undefined {
  if (group.length === 0) return 0;
  const own = stridesOf(dims);
  const strideOf = (l: string) => {
    const a = term.indexOf(l);
    return a < 0 || dims[a] !== size.get(l) ? undefined : own[a]!;
  };
  for (let i = 0; i + 1 < group.length; i++) {
    const s = strideOf(group[i]!);
    const next = strideOf(group[i + 1]!);
    if (s === undefined || next === undefined || s !== next * size.get(group[i + 1]!)!) return undefined;
  }
  return strideOf(group[group.length - 1]!);
}

/**
 * Einsum. A contraction of two operands whose summed subscripts lie in memory as one axis, and whose row and column
 * subscripts do or end in a run that does ("bij,bjk->bik", "bhqd,bhkd->bhqk", "ij,jk", "bid,dj->bij", "bsd,edh->bseh")
 * runs as one GEMM per batch and looped subscript; anything else (traces, diagonals, sums, transposes, more operands)
 * runs as a plain loop over every subscript.
 */
const einsum: OpDef = {
  prepare(inputs, ctx) {
    const metas: ValueMeta[] = inputs.map((m, i) => m ?? ctx.fail(`input ${i} is required`));
    if (metas.length === 0) ctx.fail("needs at least one input");
    const dtype = metas[0]!.dtype;
    if (dtype !== "float32" && dtype !== "float64" && dtype !== "int32" && dtype !== "int64") ctx.unsupported(`on ${dtype} (float32, float64, int32 and int64 only)`);
    if (metas.some((m) => m.dtype !== dtype)) ctx.fail("inputs have different element types");
    const equation = ctx.node.stringAttribute("equation", "");
    const eq = parse(equation, metas.map((m) => m.dims.length), ctx);
    const size = extents(eq, metas, ctx);
    const outDims = eq.output.map((l) => size.get(l)!);
    const outputs = [{ dtype, dims: outDims }];
    const gemm = dtype === "float32" ? contraction(eq, metas, size, outDims, ctx) : undefined;
    if (gemm) return { outputs, run: gemm.run, runtimeInputs: gemm.runtimeInputs };
    const letters = [...size.keys()];
    const extent = letters.map((l) => size.get(l)!);
    const inStrides = eq.inputs.map((t, i) => letterStrides(t, metas[i]!.dims, letters));
    const outStrides = letterStrides(eq.output, outDims, letters);
    const total = sizeOf(extent);
    return {
      outputs,
      run(ins, outs) {
        const srcs = ins.map((v) => v!.data as ArrayLike<number>);
        const dst = outs[0]!.data as unknown as { [i: number]: number; fill(v: number | bigint): void };
        // int64 in BigInt, wrapping as int64 arithmetic does.
        const wide = dtype === "int64";
        dst.fill(wide ? 0n : 0);
        const idx = new Array<number>(letters.length).fill(0);
        const offs = new Array<number>(srcs.length).fill(0);
        let out = 0;
        for (let n = 0; n < total; n++) {
          if (wide) {
            let p = 1n;
            for (let i = 0; i < srcs.length; i++) p *= srcs[i]![offs[i]!]! as unknown as bigint;
            (dst as unknown as BigInt64Array)[out] = BigInt.asIntN(64, (dst as unknown as BigInt64Array)[out]! + p);
          } else {
            let p = 1;
            for (let i = 0; i < srcs.length; i++) p *= srcs[i]![offs[i]!]!;
            dst[out] = dst[out]! + p;
          }
          // Odometer over the subscripts, moving every offset with it.
          for (let d = letters.length - 1; d >= 0; d--) {
            if (++idx[d]! < extent[d]!) {
              for (let i = 0; i < srcs.length; i++) offs[i]! += inStrides[i]![d]!;
              out += outStrides[d]!;
              break;
            }
            idx[d] = 0;
            for (let i = 0; i < srcs.length; i++) offs[i]! -= inStrides[i]![d]! * (extent[d]! - 1);
            out -= outStrides[d]! * (extent[d]! - 1);
          }
        }
      },
    };
  },
};

/**
 * The shortest tail of `group` (row or column subscripts) that lies as one axis both in its operand and in the output;
 * the subscripts before it are looped over, like batch subscripts of one operand ("bsd,edh->bseh": each expert e is
 * a GEMM of the tokens by that expert's [d, h]).
 */
function mergeableTail(group: string[], term: string[], dims: readonly number[], out: string[], outDims: readonly number[], size: Map<string, number>) {
  for (let p = 0; p <= group.length; p++) {
    const tail = group.slice(p);
    const inOperand = mergedStride(tail, term, dims, size);
    const inOutput = mergedStride(tail, out, outDims, size);
    if (inOperand !== undefined && inOutput !== undefined) return { loop: group.slice(0, p), tail, operandStride: inOperand, outputStride: inOutput };
  }
  return undefined;
}

/** The GEMM form of a two-operand einsum, when its subscripts allow it (see einsum). */
function contraction(eq: Equation, metas: readonly ValueMeta[], size: Map<string, number>, outDims: number[], ctx: PrepareContext) {
  if (eq.inputs.length !== 2) return undefined;
  const [ta, tb] = eq.inputs as [string[], string[]];
  const [a, b] = metas as [ValueMeta, ValueMeta];
  const out = eq.output;
  if (new Set(ta).size !== ta.length || new Set(tb).size !== tb.length) return undefined;
  // Every subscript is in the output or summed over both operands; no operand broadcasts.
  if ([...ta, ...tb].some((l) => !out.includes(l) && !(ta.includes(l) && tb.includes(l)))) return undefined;
  if (ta.some((l, i) => a.dims[i] !== size.get(l)) || tb.some((l, i) => b.dims[i] !== size.get(l))) return undefined;
  const batch = out.filter((l) => ta.includes(l) && tb.includes(l));
  const sum = ta.filter((l) => tb.includes(l) && !out.includes(l));
  const rowGroup = mergeableTail(out.filter((l) => ta.includes(l) && !tb.includes(l)), ta, a.dims, out, outDims, size);
  const colGroup = mergeableTail(out.filter((l) => tb.includes(l) && !ta.includes(l)), tb, b.dims, out, outDims, size);
  if (!rowGroup || !colGroup) return undefined;
  const ext = (g: string[]) => g.reduce((p, l) => p * size.get(l)!, 1);
  const [M, N, K] = [ext(rowGroup.tail), ext(colGroup.tail), ext(sum)];
  const aRow = rowGroup.operandStride;
  const aCol = mergedStride(sum, ta, a.dims, size);
  const bRow = mergedStride(sum, tb, b.dims, size);
  const bCol = colGroup.operandStride;
  const yRow = rowGroup.outputStride;
  const yCol = colGroup.outputStride;
  if (aCol === undefined || bRow === undefined) return undefined;
  if (M === 0 || N === 0 || K === 0 || (N > 1 && yCol !== 1)) return undefined;
  // Element offsets of each looped index (batch, then the rows' and the columns' looped subscripts) in A, B and Y.
  const loop = [...batch, ...rowGroup.loop, ...colGroup.loop];
  const count = ext(loop);
  const lt = stridesOf(loop.map((l) => size.get(l)!));
  const offsets = (term: string[], dims: readonly number[]) => {
    const own = stridesOf(dims);
    return Array.from({ length: count }, (_, i) => loop.reduce((off, l, d) => {
      const axis = term.indexOf(l);
      return axis < 0 ? off : off + (Math.floor(i / lt[d]!) % size.get(l)!) * own[axis]!;
    }, 0));
  };
  const aOff = offsets(ta, a.dims);
  const bOff = offsets(tb, b.dims);
  const yOff = offsets(out, outDims);
  const ldc = M > 1 ? yRow : N;
  const k = ctx.k;
  const bSource = (data: Float32Array, offset: number) => ({ data, offset, rowStride: K > 1 ? bRow : 0, colStride: N > 1 ? bCol : 0 });
  // A constant B is packed once per distinct offset (one, or one per looped column subscript: an expert's weights).
  const constB = b.value !== undefined && batch.length === 0
    ? ctx.once("B", () => {
      const packed = new Map<number, PackedB>();
      for (const offset of bOff) {
        if (packed.has(offset)) continue;
        const dst = k.gemm.createB(K, N, ctx.persistentF32);
        k.gemm.packB(dst, bSource(b.value as Float32Array, offset));
        packed.set(offset, dst);
      }
      return bOff.map((offset) => packed.get(offset)!);
    })
    : undefined;
  const packedB: PackedB = constB ? constB[0]! : k.gemm.createB(K, N, ctx.persistentF32);
  const packedA = k.gemm.createA(M, K, ctx.persistentF32);
  return {
    runtimeInputs: constB ? [0] : [0, 1],
    run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
      const A = ins[0]!.data as Float32Array;
      const Y = outs[0]!.data as Float32Array;
      k.count("einsum-gemm");
      // A or B is packed again only where its offset moves (an operand the looped subscript is not on stays).
      let packedAAt = -1;
      let packedBAt = -1;
      for (let i = 0; i < count; i++) {
        if (aOff[i] !== packedAAt) {
          k.gemm.packA(packedA, { data: A, offset: aOff[i]!, rowStride: M > 1 ? aRow : 0, colStride: K > 1 ? aCol : 0 });
          packedAAt = aOff[i]!;
        }
        if (!constB && bOff[i] !== packedBAt) {
          k.gemm.packB(packedB, bSource(ins[1]!.data as Float32Array, bOff[i]!));
          packedBAt = bOff[i]!;
        }
        k.gemm.run(packedA, constB ? constB[i]! : packedB, { y: Y, offset: yOff[i]!, ldc });
      }
    },
  };
}

export const einsumOps: Record<string, OpDef> = { Einsum: einsum };
