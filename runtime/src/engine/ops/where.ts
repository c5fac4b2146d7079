import type { OpDef } from "../op.js";
import { broadcastDims, broadcastStrides, requireInput, sizeOf } from "./util.js";
import { broadcastOffsets } from "./broadcast.js";

/**
 * The broadcast of Where's three operands collapsed to rows: adjacent axes merged where all three continue them, the
 * last axis the row, and each operand's start per row (made once, at prepare). An operand steps 1 or 0 along the row:
 * its own elements, or one repeated (a causal mask [1, 1, S, S] against scores [1, H, S, S] is H·S rows of S).
 */
interface WhereRows {
  rows: number;
  n: number;
  starts: [Int32Array, Int32Array, Int32Array];
  steps: [number, number, number];
}

function whereRows(operands: readonly (readonly number[])[], out: readonly number[]): WhereRows {
  const strides = operands.map((d) => broadcastStrides(d, out));
  const dims: number[] = [];
  const merged: number[][] = operands.map(() => []);
  for (let i = 0; i < out.length; i++) {
    if (out[i] === 1) continue;
    const k = dims.length - 1;
    if (k >= 0 && strides.every((s, o) => merged[o]![k] === s[i]! * out[i]!)) {
      dims[k] = dims[k]! * out[i]!;
      strides.forEach((s, o) => { merged[o]![k] = s[i]!; });
      continue;
    }
    dims.push(out[i]!);
    strides.forEach((s, o) => merged[o]!.push(s[i]!));
  }
  const last = dims.length - 1;
  // A row steps by 1 or 0 in each operand; when an operand steps otherwise along the last axis, rows are single elements.
  const rowWise = last >= 0 && merged.every((s) => s[last] === 0 || s[last] === 1);
  const n = last < 0 ? 1 : rowWise ? dims[last]! : 1;
  const outer = rowWise ? dims.slice(0, last) : dims;
  const outerStrides = merged.map((s) => (rowWise ? s.slice(0, last) : s));
  const starts = broadcastOffsets(outer, outerStrides) as [Int32Array, Int32Array, Int32Array];
  return { rows: sizeOf(outer), n, starts, steps: merged.map((s) => (rowWise ? s[last]! : 0)) as [number, number, number] };
}

type Elements = { [i: number]: unknown; length: number };

/** dst[o + i] = cond[c + i·sc] ? x[x0 + i·sx] : y[y0 + i·sy] along each row. */
function selectRows(cond: Uint8Array, xs: Elements, ys: Elements, dst: Elements, g: WhereRows): void {
  const [cs, xst, yst] = g.starts;
  const [sc, sx, sy] = g.steps;
  const n = g.n;
  for (let r = 0, o = 0; r < g.rows; r++, o += n) {
    const c0 = cs[r]!;
    const x0 = xst[r]!;
    const y0 = yst[r]!;
    for (let i = 0; i < n; i++) dst[o + i] = cond[c0 + i * sc] ? xs[x0 + i * sx] : ys[y0 + i * sy];
  }
}

/** Where(condition, X, Y) with numpy broadcasting of all three. */
export const where: OpDef = {
  prepare(inputs, ctx) {
    const c = requireInput(inputs[0], 0, ctx);
    const x = requireInput(inputs[1], 1, ctx);
    const y = requireInput(inputs[2], 2, ctx);
    if (x.dtype !== y.dtype) ctx.fail(`X and Y have different element types (${x.dtype}, ${y.dtype})`);
    const out = broadcastDims(broadcastDims(c.dims, x.dims, ctx), y.dims, ctx);
    const g = whereRows([c.dims, x.dims, y.dims], out);
    if (x.dtype === "float32") {
      // In WebAssembly: the condition is bytes the arena does not hold, so it is copied into kernel memory (once
      // when constant, as a causal mask is; per run otherwise, one byte copy).
      const k = ctx.k;
      const tables = k.eltwise.selectTables(g.starts, ctx.persistentF32);
      const condBytes = k.eltwise.bytes(sizeOf(c.dims), false, ctx.persistentF32) as Uint8Array;
      if (c.value !== undefined) condBytes.set(c.value as Uint8Array);
      return {
        outputs: [{ dtype: x.dtype, dims: out }],
        run(ins, outs) {
          const cond = ins[0]!.data as Uint8Array;
          const [xs, ys, dst] = [ins[1]!.data as Float32Array, ins[2]!.data as Float32Array, outs[0]!.data as Float32Array];
          if (!k.inMemory(xs) || !k.inMemory(ys) || !k.inMemory(dst)) return selectRows(cond, xs, ys, dst, g);
          if (c.value === undefined) condBytes.set(cond);
          k.eltwise.select(condBytes, xs, ys, dst, g.rows, g.n, tables, g.steps);
        },
      };
    }
    return {
      outputs: [{ dtype: x.dtype, dims: out }],
      run(ins, outs) {
        selectRows(ins[0]!.data as Uint8Array, ins[1]!.data as unknown as Elements, ins[2]!.data as unknown as Elements, outs[0]!.data as unknown as Elements, g);
      },
    };
  },
};
