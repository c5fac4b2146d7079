import type { OpDef, PrepareContext, RtValue } from "../op.js";
import { arrayFor } from "../tensor.js";
import type { PadRows } from "../kernels/strided.js";
import { constNumbers, normAxis, reader, requireInput, sizeOf, stridesOf, type AnyArray } from "./util.js";

type Mode = "constant" | "edge" | "reflect" | "wrap";

/** The input index an output index reads along one axis (before = the pad in front), or -1 for the fill value. */
function sourceIndex(i: number, before: number, n: number, mode: Mode): number {
  const c = i - before;
  if (c >= 0 && c < n) return c;
  if (mode === "constant" || n === 0) return -1;
  if (mode === "edge") return c < 0 ? 0 : n - 1;
  if (mode === "wrap") return ((c % n) + n) % n;
  const period = 2 * (n - 1) || 1;
  const r = ((c % period) + period) % period;
  return r >= n ? period - r : r;
}

/**
 * Pad as rows of the last axis: which input row each output row copies (-1: all fill), and the last axis as
 * nLeft edge columns, one block of midLen input columns from midSrc, and the edge columns after it. Tables are
 * per output row, not per element: a 32×98×98 reflect pad is 3136 rows and 4 edge columns.
 */
export function padRows(inDims: readonly number[], before: readonly number[], after: readonly number[], mode: Mode): PadRows {
  const rank = inDims.length;
  const outDims = inDims.map((d, i) => d + before[i]! + after[i]!);
  const last = rank - 1;
  const inW = rank === 0 ? 1 : inDims[last]!;
  const outW = rank === 0 ? 1 : outDims[last]!;
  const outer = outDims.slice(0, Math.max(0, last));
  const inStrides = stridesOf(inDims.slice(0, Math.max(0, last)));
  const empty = sizeOf(inDims) === 0;
  const rows = new Int32Array(sizeOf(outer));
  const idx = outer.map(() => 0);
  for (let r = 0; r < rows.length; r++) {
    let src = empty ? -1 : 0;
    for (let d = 0; d < outer.length && src >= 0; d++) {
      const c = sourceIndex(idx[d]!, before[d]!, inDims[d]!, mode);
      src = c < 0 ? -1 : src + c * inStrides[d]!;
    }
    rows[r] = src;
    for (let d = outer.length - 1; d >= 0; d--) {
      if (++idx[d]! < outer[d]!) break;
      idx[d] = 0;
    }
  }
  const left = rank === 0 ? 0 : before[last]!;
  const nLeft = Math.min(Math.max(0, left), outW);
  const midSrc = Math.max(0, -left);
  const midLen = empty ? 0 : Math.max(0, Math.min(outW, left + inW) - nLeft);
  const columns = new Int32Array(outW - midLen);
  for (let j = 0; j < columns.length; j++) {
    const column = j < nLeft ? j : j + midLen;
    columns[j] = empty ? -1 : sourceIndex(column, left, inW, mode);
  }
  return { rows, columns, inW, outW, nLeft, midSrc, midLen };
}

/** The rows plan run on the host: typed arrays copy their middle blocks with set, strings element by element. */
function padOnHost(src: AnyArray, dst: AnyArray, plan: PadRows, fill: unknown): void {
  const { rows, columns, inW, outW, nLeft, midSrc, midLen } = plan;
  const typed = ArrayBuffer.isView(src);
  for (let r = 0; r < rows.length; r++) {
    const o = r * outW;
    const s = rows[r]!;
    if (s < 0) {
      for (let j = 0; j < outW; j++) dst[o + j] = fill;
      continue;
    }
    const base = s * inW;
    if (typed) (dst as unknown as Float32Array).set((src as unknown as Float32Array).subarray(base + midSrc, base + midSrc + midLen), o + nLeft);
    else for (let j = 0; j < midLen; j++) dst[o + nLeft + j] = src[base + midSrc + j];
    for (let j = 0; j < columns.length; j++) {
      const c = columns[j]!;
      dst[o + (j < nLeft ? j : j + midLen)] = c < 0 ? fill : src[base + c];
    }
  }
}

export const pad: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    const rank = x.dims.length;
    const mode = ctx.node.stringAttribute("mode", "constant") as Mode;
    if (!["constant", "reflect", "edge", "wrap"].includes(mode)) ctx.unsupported(`with mode '${mode as string}'`);
    const legacy = ctx.opset < 11;
    const raw = legacy ? ctx.node.intsAttribute("pads") ?? [] : constNumbers(inputs[1], "pads", ctx);
    const axes = !legacy && inputs[3] ? constNumbers(inputs[3], "axes", ctx).map((a) => normAxis(a, rank, ctx)) : x.dims.map((_, i) => i);
    if (raw.length !== 2 * axes.length) ctx.fail(`pads has ${raw.length} values, expected ${2 * axes.length}`);
    const before = x.dims.map(() => 0);
    const after = x.dims.map(() => 0);
    axes.forEach((a, i) => { before[a] = raw[i]!; after[a] = raw[i + axes.length]!; });
    const out = x.dims.map((d, i) => d + before[i]! + after[i]!);
    if (out.some((d) => d < 0)) ctx.fail(`the pads [${raw.join(", ")}] remove more than the input's dims [${x.dims.join(", ")}] hold`);
    if (!legacy && inputs[2] && inputs[2].value === undefined) ctx.needsValue("with a constant_value computed at run time");
    const fillNumber = legacy ? ctx.node.floatAttribute("value", 0) : inputs[2] && inputs[2].value !== undefined ? reader(inputs[2].value)(0) : 0;
    const plan = padRows(x.dims, before, after, mode);
    const k = ctx.k;
    const fillElement = x.dtype === "string" ? undefined : arrayFor(x.dtype, 1);
    if (fillElement) (fillElement as unknown as { [i: number]: unknown })[0] = fillElement instanceof BigInt64Array || fillElement instanceof BigUint64Array ? BigInt(Math.trunc(fillNumber)) : fillNumber;
    const fill = fillElement ? fillElement[0] : "";
    const tables = ctx.once(`pad ${x.dims.join(",")} ${raw.join(",")} ${mode} ${x.dtype} ${String(fill)}`, () => k.strided.padTables(plan, fillElement, ctx.persistentF32));
    return {
      outputs: [{ dtype: x.dtype, dims: out }],
      run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
        const src = ins[0]!.data;
        const dst = outs[0]!.data;
        if (tables && ArrayBuffer.isView(src) && ArrayBuffer.isView(dst) && k.inMemory(src) && k.inMemory(dst)) return k.strided.pad(src, dst, plan, tables);
        padOnHost(src as unknown as AnyArray, dst as unknown as AnyArray, plan, fill);
      },
    };
  },
};
