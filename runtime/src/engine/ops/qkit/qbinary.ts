import type { OpDef, PrepareContext, RtValue } from "../../op.js";
import type { Bytes } from "../../kernels/qconv.js";
import type { QbinaryParams } from "../../kernels/qeltwise.js";
import { binaryReciprocalServes } from "../../kernels/binary-reciprocal.js";
import { broadcastDims, broadcastStrides, requireInput, sizeOf } from "../util.js";
import { broadcastOffsets } from "../broadcast.js";
import { qkitInputs } from "../../../qkit-ops/schema.js";
import { BYTE_TYPES, outputClamp, perTensor } from "./qparams.js";

const QBINARY = qkitInputs("QAdd");

/**
 * How a broadcast walks its output: `outer` runs of `inner` elements, each one kernel call in which a steps through
 * `inner` codes and b either steps too or repeats one value (the operands swapped when a is the repeated one).
 */
interface Walk {
  inner: number;
  bRepeats: boolean;
  swap: boolean;
  /** Element offsets of a's and b's run for each outer index (after the swap). */
  aAt: Int32Array;
  bAt: Int32Array;
}

/**
 * The broadcast of a and b into `out` as runs: the innermost axes where both step (or only one does) form the run,
 * the rest are enumerated once while planning. Equal shapes are one run; a per-channel scale (squeeze-excite's
 * [N, C, 1, 1]) is one run per channel.
 */
function walkOf(aDims: readonly number[], bDims: readonly number[], out: readonly number[]): Walk {
  const as = broadcastStrides(aDims, out);
  const bs = broadcastStrides(bDims, out);
  const kind = (d: number) => (out[d] === 1 ? -1 : (as[d] !== 0 ? 1 : 0) | (bs[d] !== 0 ? 2 : 0));
  let axis = out.length;
  let runKind = -1;
  let inner = 1;
  while (axis > 0) {
    const k = kind(axis - 1);
    if (k === -1) { axis--; continue; }
    if (runKind === -1) runKind = k;
    if (k !== runKind) break;
    inner *= out[axis - 1]!;
    axis--;
  }
  if (runKind === -1 || runKind === 0) runKind = 3;
  const swap = runKind === 2;
  const outerDims = out.slice(0, axis);
  const count = sizeOf(outerDims);
  const aAt = new Int32Array(count);
  const bAt = new Int32Array(count);
  const index = new Array<number>(outerDims.length).fill(0);
  for (let o = 0; o < count; o++) {
    let pa = 0;
    let pb = 0;
    for (let d = 0; d < outerDims.length; d++) {
      pa += index[d]! * as[d]!;
      pb += index[d]! * bs[d]!;
    }
    aAt[o] = swap ? pb : pa;
    bAt[o] = swap ? pa : pb;
    for (let d = outerDims.length - 1; d >= 0; d--) {
      if (++index[d]! < outerDims[d]!) break;
      index[d] = 0;
    }
  }
  return { inner, bRepeats: runKind !== 3, swap, aAt, bAt };
}

/** a's codes spread to the output's shape, in session memory: `from` fills it from a run's a and returns it. */
function spreadOf(aDims: readonly number[], out: readonly number[], signed: boolean, ctx: PrepareContext): { from(a: Bytes): Bytes } {
  const n = sizeOf(out);
  const codes = ctx.k.qeltwise.codes(n, signed, ctx.persistentF32);
  const [source] = broadcastOffsets(out, [broadcastStrides(aDims, out)]) as [Int32Array];
  return {
    from(a) {
      for (let i = 0; i < n; i++) codes[i] = a[source[i]!]!;
      return codes;
    },
  };
}

/**
 * com.qkit.QAdd and QMul: y = Q(DQ(a) op DQ(b)) with a fused Relu/Clip, every step in float32 as the reference
 * computes it (bit-exact), with numpy broadcasting; either operand may be a constant, and b a float32 constant used as
 * it is (y = Q(DQ(a) op b)).
 */
function qbinaryOp(op: "Add" | "Mul"): OpDef {
  return {
    prepare(inputs, ctx) {
      const a = requireInput(inputs[QBINARY.a], QBINARY.a, ctx);
      const b = requireInput(inputs[QBINARY.b], QBINARY.b, ctx);
      const aq = perTensor(inputs[QBINARY.aScale], inputs[QBINARY.aZeroPoint], "a", ctx);
      const bq = perTensor(inputs[QBINARY.bScale], inputs[QBINARY.bZeroPoint], "b", ctx);
      const yq = perTensor(inputs[QBINARY.yScale], inputs[QBINARY.yZeroPoint], "output", ctx);
      // b may be a float32 constant taken as it is (a positional embedding added to quantized tokens).
      const floatB = b.dtype === "float32" && b.value !== undefined;
      if (!BYTE_TYPES.has(a.dtype) || !(floatB || BYTE_TYPES.has(b.dtype)) || !BYTE_TYPES.has(yq.dtype)) ctx.unsupported("on types other than uint8 and int8 (and a float32 constant b)");
      const outDims = broadcastDims(a.dims, b.dims, ctx);
      let walk = walkOf(a.dims, b.dims, outDims);
      // The kernel steps a float b only beside a stepping a: where a repeats (an input whose shape was unknown while
      // lowering, the constant larger), a's codes are first spread to the output's shape.
      const spread = floatB && walk.swap ? spreadOf(a.dims, outDims, a.dtype === "int8", ctx) : undefined;
      if (spread) walk = walkOf(outDims, b.dims, outDims);
      const { qlo, qhi } = outputClamp(yq, ctx);
      const k = ctx.k;
      const [first, second] = walk.swap ? [b, a] : [a, b];
      const [fq, sq] = walk.swap ? [bq, aq] : [aq, bq];
      const params: QbinaryParams = { a: fq, b: sq, y: yq, qlo, qhi, signedA: first.dtype === "int8", signedB: second.dtype === "int8", signedY: yq.dtype === "int8", floatB };
      params.reciprocal = binaryReciprocalServes(op, params);
      const { inner, bRepeats, aAt, bAt } = walk;
      const runs = aAt.length;
      // Several runs (a per-channel scale) go to the kernel in one call that walks their offsets.
      const table = runs > 1 ? k.qeltwise.runs(inner, aAt, bAt, ctx.persistentF32) : undefined;
      return {
        outputs: [{ dtype: yq.dtype as never, dims: outDims }],
        runtimeInputs: [QBINARY.a, QBINARY.b],
        run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
          // A constant operand (a bias row) reaches here in kernel memory like any other (the plan copies it once).
          const pa = spread ? spread.from(ins[QBINARY.a]!.data as Bytes) : ins[QBINARY.a]!.data as Bytes;
          const pb = ins[QBINARY.b]!.data as Bytes;
          // Two selections, not a destructured pair: this runs on every run() and must allocate nothing.
          const x = walk.swap ? pb : pa;
          const z = walk.swap ? pa : pb;
          const y = outs[0]!.data as Bytes;
          if (runs === 1) {
            k.qeltwise.binary(op, x, z, y, inner, bRepeats, params);
            return;
          }
          k.qeltwise.binaryRuns(op, x, z, y, table!, bRepeats, params);
        },
      };
    },
  };
}

export const qadd = qbinaryOp("Add");
export const qmul = qbinaryOp("Mul");
