import type { OpDef, PrepareContext, RtValue, ValueMeta } from "../op.js";
import type { DataType } from "../../onnx/data-type.js";
import { broadcastDims, broadcastStrides, reader, requireInput, sizeOf, writer } from "./util.js";
import { broadcastOffsets } from "./broadcast.js";
import { where } from "./where.js";
import { BROADCAST_OPS, broadcastGeometry, type BroadcastOp } from "../kernels/broadcast.js";
import type { UnaryOp } from "../kernels/unary.js";

type Fn = (a: number, b: number) => number;

function intDiv(a: number, b: number): number {
  return Math.trunc(a / b);
}

function arithmetic(op: string, integer: boolean, ctx: PrepareContext): Fn {
  switch (op) {
    case "Add": return (a, b) => a + b;
    case "Sub": return (a, b) => a - b;
    case "Mul": return (a, b) => a * b;
    case "Div": return integer ? intDiv : (a, b) => a / b;
    case "Pow": return (a, b) => Math.pow(a, b);
    case "Min": return (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b));
    case "Max": return (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b));
    case "Mod": {
      const fmod = ctx.node.intAttribute("fmod", 0) !== 0;
      return fmod ? (a, b) => a % b : (a, b) => { const r = a % b; return r !== 0 && (r < 0) !== (b < 0) ? r + b : r; };
    }
    case "Equal": return (a, b) => (a === b ? 1 : 0);
    case "Less": return (a, b) => (a < b ? 1 : 0);
    case "Greater": return (a, b) => (a > b ? 1 : 0);
    case "LessOrEqual": return (a, b) => (a <= b ? 1 : 0);
    case "GreaterOrEqual": return (a, b) => (a >= b ? 1 : 0);
    case "And": return (a, b) => (a && b ? 1 : 0);
    case "Or": return (a, b) => (a || b ? 1 : 0);
    case "Xor": return (a, b) => ((a ? 1 : 0) ^ (b ? 1 : 0));
    case "PRelu": return (a, b) => (a < 0 ? a * b : a);
    case "BitShift": {
      const left = ctx.node.stringAttribute("direction", "") === "LEFT";
      return left ? (a, b) => a * 2 ** b : (a, b) => Math.floor(a / 2 ** b);
    }
    default: return ctx.unsupported("has no implementation");
  }
}

const COMPARISONS = new Set(["Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor"]);

function binary(op: string): OpDef {
  return {
    fusesClamp: op in BROADCAST_OPS,
    prepare(inputs, ctx) {
      const a = requireInput(inputs[0], 0, ctx);
      const b = requireInput(inputs[1], 1, ctx);
      if (a.dtype !== b.dtype && op !== "Pow") ctx.fail(`inputs have different element types (${a.dtype}, ${b.dtype})`);
      if (a.dtype === "string" || a.dtype === "float16" || a.dtype === "bfloat16") ctx.unsupported(`on ${a.dtype}`);
      const out = broadcastDims(a.dims, b.dims, ctx);
      const dtype: DataType = COMPARISONS.has(op) ? "bool" : a.dtype;
      const integer = !(a.dtype === "float32" || a.dtype === "float64" || a.dtype === "float16");
      const fn = arithmetic(op, integer, ctx);
      const lo = ctx.clamp?.lo ?? -Infinity;
      const hi = ctx.clamp?.hi ?? Infinity;
      const k = ctx.k;
      const total = sizeOf(out);
      if (a.dtype === "float32" && b.dtype === "float32" && op in BROADCAST_OPS) {
        const fast = floatKernel(a, b, out, op as BroadcastOp, lo, hi, ctx);
        if (fast) return { outputs: [{ dtype, dims: out }], run: fast };
      }
      const offsets = broadcastOffsets(out, [broadcastStrides(a.dims, out), broadcastStrides(b.dims, out)]);
      if (COMPARISONS.has(op)) {
        const [oa, ob] = offsets as [Int32Array, Int32Array];
        return {
          outputs: [{ dtype, dims: out }],
          run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
            compare(op, ins[0]!.data as unknown as ArrayLike<number>, ins[1]!.data as unknown as ArrayLike<number>, oa, ob, outs[0]!.data as Uint8Array);
          },
        };
      }
      return {
        outputs: [{ dtype, dims: out }],
        run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
          const ra = reader(ins[0]!.data);
          const rb = reader(ins[1]!.data);
          const w = writer(outs[0]!.data);
          const [oa, ob] = offsets as [Int32Array, Int32Array];
          for (let i = 0; i < total; i++) w(i, Math.min(Math.max(fn(ra(oa[i]!), rb(ob[i]!)), lo), hi));
          void k;
        },
      };
    },
  };
}

/**
 * A comparison or a logical op into bools, one loop per op over the broadcast offsets: attention masks compare and
 * combine whole [batch, heads, query, key] tensors. The elements are read as they are (numbers, or BigInts of int64,
 * which compare alike), never through a conversion closure.
 */
function compare(op: string, a: ArrayLike<number>, b: ArrayLike<number>, oa: Int32Array, ob: Int32Array, y: Uint8Array): void {
  const n = y.length;
  switch (op) {
    case "Equal": for (let i = 0; i < n; i++) y[i] = a[oa[i]!] === b[ob[i]!] ? 1 : 0; return;
    case "Less": for (let i = 0; i < n; i++) y[i] = a[oa[i]!]! < b[ob[i]!]! ? 1 : 0; return;
    case "Greater": for (let i = 0; i < n; i++) y[i] = a[oa[i]!]! > b[ob[i]!]! ? 1 : 0; return;
    case "LessOrEqual": for (let i = 0; i < n; i++) y[i] = a[oa[i]!]! <= b[ob[i]!]! ? 1 : 0; return;
    case "GreaterOrEqual": for (let i = 0; i < n; i++) y[i] = a[oa[i]!]! >= b[ob[i]!]! ? 1 : 0; return;
    case "And": for (let i = 0; i < n; i++) y[i] = a[oa[i]!] && b[ob[i]!] ? 1 : 0; return;
    case "Or": for (let i = 0; i < n; i++) y[i] = a[oa[i]!] || b[ob[i]!] ? 1 : 0; return;
    default: for (let i = 0; i < n; i++) y[i] = (a[oa[i]!] ? 1 : 0) ^ (b[ob[i]!] ? 1 : 0);
  }
}

/** Pow by these constant exponents is one vector instruction or two (exact to the last rounding). */
/** Shared, never written: a call that passes them allocates no option object. */
const NO_PARAMS = {};

const POW_SHORTCUTS = new Map<number, UnaryOp>([[2, "Square"], [3, "Cube"], [0.5, "PowHalf"], [-1, "Reciprocal"]]);

/**
 * float32 in one kernel call: the broadcasting kernel over the collapsed shape, or for Pow by a constant scalar the
 * unary kernel. undefined when the broadcast keeps more than four axes after collapsing.
 */
function floatKernel(
  a: ValueMeta, b: ValueMeta, out: number[], op: BroadcastOp, lo: number, hi: number, ctx: PrepareContext,
): ((ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) => void) | undefined {
  const k = ctx.k;
  const total = sizeOf(out);
  const clamp = { lo, hi };
  if (op === "Pow" && b.value !== undefined && sizeOf(b.dims) === 1 && sizeOf(a.dims) === total && lo === -Infinity && hi === Infinity) {
    const e = (b.value as Float32Array)[0]!;
    const shortcut = POW_SHORTCUTS.get(e);
    return (ins, outs) => {
      const x = ins[0]!.data as Float32Array;
      const y = outs[0]!.data as Float32Array;
      if (shortcut) k.unary.run(shortcut, x, y, total, NO_PARAMS, clamp);
      else k.unary.pow(x, y, total, e);
    };
  }
  const g = broadcastGeometry(a.dims, b.dims, out);
  if (!g) return undefined;
  return (ins, outs) => k.broadcast.run(op, g, ins[0]!.data as Float32Array, ins[1]!.data as Float32Array, outs[0]!.data as Float32Array, clamp);
}

/** Sum, Mean, Min, Max over any number of inputs, folded pairwise with broadcasting. */
function variadic(op: "Sum" | "Mean" | "Min" | "Max"): OpDef {
  return {
    prepare(inputs, ctx) {
      const present = inputs.filter((m): m is ValueMeta => m !== undefined);
      if (present.length === 0) ctx.fail("needs at least one input");
      let out = present[0]!.dims;
      for (const m of present.slice(1)) out = broadcastDims(out, m.dims, ctx);
      const dtype = present[0]!.dtype;
      if (dtype === "float32" && present.every((m) => m.dtype === "float32")) {
        const fast = variadicKernel(present, out, op === "Sum" || op === "Mean" ? "Add" : op, ctx);
        if (fast && op !== "Mean") return { outputs: [{ dtype, dims: out }], run: fast };
        if (fast && present.length > 1) {
          // The float32 sum, then one scaling pass by 1/n (within an ulp of the division).
          const k = ctx.k;
          const total = sizeOf(out);
          const params = { alpha: 1 / present.length, beta: 0 };
          return {
            outputs: [{ dtype, dims: out }],
            run(ins, outs) {
              fast(ins, outs);
              const y = outs[0]!.data as Float32Array;
              k.unary.run("Affine", y, y, total, params);
            },
          };
        }
      }
      const fn: Fn = op === "Min" ? (a, b) => Math.min(a, b) : op === "Max" ? (a, b) => Math.max(a, b) : (a, b) => a + b;
      const offsets = broadcastOffsets(out, present.map((m) => broadcastStrides(m.dims, out)));
      const total = sizeOf(out);
      return {
        outputs: [{ dtype, dims: out }],
        run(ins, outs) {
          const rs = ins.filter((v): v is RtValue => v !== undefined).map((v) => reader(v.data));
          const w = writer(outs[0]!.data);
          for (let i = 0; i < total; i++) {
            let acc = rs[0]!(offsets[0]![i]!);
            for (let j = 1; j < rs.length; j++) acc = fn(acc, rs[j]!(offsets[j]![i]!));
            w(i, op === "Mean" ? acc / rs.length : acc);
          }
        },
      };
    },
  };
}

/**
 * Sum, Min, Max of float32 inputs as a chain of broadcasting kernel calls folding into the output, in the order the
 * JavaScript loop folds them. A single input is copied (x + 0 would turn -0 into +0; Min(x, x) is x).
 */
function variadicKernel(
  present: ValueMeta[], out: number[], op: "Add" | "Min" | "Max", ctx: PrepareContext,
): ((ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) => void) | undefined {
  const k = ctx.k;
  if (present.length === 1) return (ins, outs) => (outs[0]!.data as Float32Array).set(ins.find((v) => v !== undefined)!.data as Float32Array);
  const first = broadcastGeometry(present[0]!.dims, present[1]!.dims, out);
  const rest = present.slice(2).map((m) => broadcastGeometry(out, m.dims, out));
  if (!first || rest.some((g) => !g)) return undefined;
  return (ins, outs) => {
    const xs = ins.filter((v): v is RtValue => v !== undefined);
    const y = outs[0]!.data as Float32Array;
    k.broadcast.run(op, first, xs[0]!.data as Float32Array, xs[1]!.data as Float32Array, y);
    for (let i = 0; i < rest.length; i++) k.broadcast.run(op, rest[i]!, y, xs[i + 2]!.data as Float32Array, y);
  };
}

export const binaryOps: Record<string, OpDef> = {
  Add: binary("Add"), Sub: binary("Sub"), Mul: binary("Mul"), Div: binary("Div"), Pow: binary("Pow"), Mod: binary("Mod"),
  Equal: binary("Equal"), Less: binary("Less"), Greater: binary("Greater"), LessOrEqual: binary("LessOrEqual"),
  GreaterOrEqual: binary("GreaterOrEqual"), And: binary("And"), Or: binary("Or"), Xor: binary("Xor"),
  PRelu: binary("PRelu"), BitShift: binary("BitShift"),
  Where: where, Sum: variadic("Sum"), Mean: variadic("Mean"), Min: variadic("Min"), Max: variadic("Max"),
};
