import type { ExportTable } from "./exports.js";
import type { KernelRuntime, OutputClamp } from "./runtime.js";
import { WINDOW_COST } from "./cost.js";

/** kernels/broadcast.ts */
export const BROADCAST_EXPORTS = {
  broadcast: { params: ["op", "a", "b", "y", "r0", "r1", "d1", "d2", "n", "as0", "as1", "as2", "as3", "bs0", "bs1", "bs2", "bs3", "lo", "hi"],
    parallel: true },
} as const satisfies ExportTable;

/** The operations of the `broadcast` kernel, by its op codes. */
export const BROADCAST_OPS = { Add: 0, Sub: 1, Mul: 2, Div: 3, Min: 4, Max: 5, PRelu: 6, Pow: 7, SquaredDifference: 8 } as const;
export type BroadcastOp = keyof typeof BROADCAST_OPS;

/**
 * A broadcast of two operands into an output, collapsed to four axes [d0, d1, d2, n]: adjacent axes merged where
 * both operands step alike, axes of size 1 dropped. Strides are in elements, 0 where an operand repeats.
 */
export interface BroadcastGeometry {
  readonly dims: readonly [number, number, number, number];
  readonly a: readonly [number, number, number, number];
  readonly b: readonly [number, number, number, number];
  readonly total: number;
}

function contiguousStrides(dims: readonly number[], out: readonly number[]): number[] {
  const pad = out.length - dims.length;
  const strides = new Array<number>(out.length).fill(0);
  let acc = 1;
  for (let i = out.length - 1; i >= pad; i--) {
    const d = dims[i - pad]!;
    strides[i] = d === 1 ? 0 : acc;
    acc *= d;
  }
  return strides;
}

/**
 * The collapsed geometry of `a` and `b` broadcast to `out` (numpy rules, already checked), or undefined when more than
 * four axes remain (the caller walks those itself).
 */
export function broadcastGeometry(aDims: readonly number[], bDims: readonly number[], out: readonly number[]): BroadcastGeometry | undefined {
  const sa = contiguousStrides(aDims, out);
  const sb = contiguousStrides(bDims, out);
  const d: number[] = [];
  const A: number[] = [];
  const B: number[] = [];
  for (let i = 0; i < out.length; i++) {
    if (out[i] === 1) continue;
    const k = d.length - 1;
    // Merge into the previous axis when both operands continue it (stride = next stride × next size).
    if (k >= 0 && A[k] === sa[i]! * out[i]! && B[k] === sb[i]! * out[i]!) {
      d[k] = d[k]! * out[i]!;
      A[k] = sa[i]!;
      B[k] = sb[i]!;
      continue;
    }
    d.push(out[i]!);
    A.push(sa[i]!);
    B.push(sb[i]!);
  }
  if (d.length > 4) return undefined;
  while (d.length < 4) {
    d.unshift(1);
    A.unshift(0);
    B.unshift(0);
  }
  const total = d[0]! * d[1]! * d[2]! * d[3]!;
  return { dims: d as unknown as BroadcastGeometry["dims"], a: A as unknown as BroadcastGeometry["a"], b: B as unknown as BroadcastGeometry["b"], total };
}

/** fp32 broadcasting binary operators: one kernel call per operator, whatever the broadcast. */
export class BroadcastKernels {
  constructor(private readonly rt: KernelRuntime) {}

  /** y = clamp(a op b) over the geometry's output. */
  run(op: BroadcastOp, g: BroadcastGeometry, a: Float32Array, b: Float32Array, y: Float32Array, clamp: OutputClamp = {}): void {
    if (g.total === 0) return;
    const rt = this.rt;
    const code = BROADCAST_OPS[op];
    const ap = rt.ptr(a);
    const bp = rt.ptr(b);
    const yp = rt.ptr(y);
    const lo = clamp.lo ?? -Infinity;
    const hi = clamp.hi ?? Infinity;
    // Indexing, not destructuring: an array pattern may allocate an iterator on every call.
    const d = g.dims, A = g.a, B = g.b;
    const d1 = d[1], d2 = d[2], n = d[3];
    const as0 = A[0], as1 = A[1], as2 = A[2], as3 = A[3];
    const bs0 = B[0], bs1 = B[1], bs2 = B[2], bs3 = B[3];
    const work = (op === "Pow" ? 16 : 1) * WINDOW_COST * g.total;
    const rows = d[0] * d1 * d2;
    rt.count("broadcast");
    if (rt.serial(rows === 1 ? Math.ceil(n / 4) : rows, work)) {
      rt.exports.broadcast(code, ap, bp, yp, 0, rows, d1, d2, n, as0, as1, as2, as3, bs0, bs1, bs2, bs3, lo, hi);
      return;
    }
    broadcastShares(rt, code, ap, bp, yp, g, rows, work, lo, hi);
  }
}

// The threaded path, apart: a closure in the method above would make it allocate on its serial path too.
function broadcastShares(rt: KernelRuntime, code: number, ap: number, bp: number, yp: number, g: BroadcastGeometry, rows: number, work: number, lo: number, hi: number): void {
  const [, d1, d2, n] = g.dims;
  const [as0, as1, as2, as3] = g.a;
  const [bs0, bs1, bs2, bs3] = g.b;
  if (rows === 1) {
    // One run: split it in whole vectors.
    rt.parallel("broadcast", Math.ceil(n / 4), work, (v0, v1) => {
      const s = v0 * 4;
      return [code, ap + s * as3 * 4, bp + s * bs3 * 4, yp + s * 4, 0, 1, 1, 1, Math.min(n, v1 * 4) - s, 0, 0, 0, as3, 0, 0, 0, bs3, lo, hi];
    });
    return;
  }
  rt.parallel("broadcast", rows, work, (r0, r1) => [code, ap, bp, yp, r0, r1, d1, d2, n, as0, as1, as2, as3, bs0, bs1, bs2, bs3, lo, hi]);
}
