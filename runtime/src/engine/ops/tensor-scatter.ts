import type { OpDef, RtValue } from "../op.js";
import { copyInto, copyRun, normAxis, requireInput, sizeOf, type AnyArray } from "./util.js";


/**
 * TensorScatter (opset 24): a key/value cache with `update` written along the sequence axis from each sample's write
 * index (zero without `write_indices`), wrapping around the cache in "circular" mode. Any element type: elements are
 * copied, not computed on.
 */
const tensorScatter: OpDef = {
  prepare(inputs, ctx) {
    const past = requireInput(inputs[0], 0, ctx);
    const update = requireInput(inputs[1], 1, ctx);
    const indices = inputs[2];
    if (update.dtype !== past.dtype) ctx.fail(`update is ${update.dtype}, past_cache is ${past.dtype}`);
    const rank = past.dims.length;
    const axis = normAxis(ctx.node.intAttribute("axis", -2), rank, ctx);
    if (axis === 0) ctx.fail("axis cannot be 0, the batch axis");
    if (update.dims.length !== rank || update.dims.some((d, i) => i !== axis && d !== past.dims[i])) {
      ctx.fail(`update [${update.dims.join(", ")}] must match past_cache [${past.dims.join(", ")}] except along axis ${axis}`);
    }
    const mode = ctx.node.stringAttribute("mode", "linear");
    if (mode !== "linear" && mode !== "circular") ctx.fail(`mode must be "linear" or "circular", got "${mode}"`);
    const B = past.dims[0]!;
    const max = past.dims[axis]!;
    const seq = update.dims[axis]!;
    const perBatch = sizeOf(past.dims.slice(1, axis));
    const inner = sizeOf(past.dims.slice(axis + 1));
    return {
      outputs: [{ dtype: past.dtype, dims: past.dims }],
      run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
        copyInto(outs[0]!, ins[0]!);
        const upd = ins[1]!.data as unknown as AnyArray;
        const dst = outs[0]!.data as unknown as AnyArray;
        const write = indices ? (ins[2]!.data as BigInt64Array) : undefined;
        for (let b = 0; b < B; b++) {
          const start = write ? Number(write[b]!) : 0;
          if (mode === "linear" && (start < 0 || start + seq > max)) {
            throw new RangeError(`TensorScatter: sample ${b} writes positions ${start} to ${start + seq - 1} of a cache of ${max}`);
          }
          for (let p = 0; p < perBatch; p++) {
            for (let s = 0; s < seq; s++) {
              const at = mode === "circular" ? (((start + s) % max) + max) % max : start + s;
              copyRun(dst, ((b * perBatch + p) * max + at) * inner, upd, ((b * perBatch + p) * seq + s) * inner, inner);
            }
          }
        }
      },
    };
  },
};

export const tensorScatterOps: Record<string, OpDef> = { TensorScatter: tensorScatter };
