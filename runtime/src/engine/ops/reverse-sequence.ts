import type { OpDef } from "../op.js";
import { normAxis, reader, requireInput, stridesOf } from "./util.js";

/**
 * ReverseSequence: for each batch entry b, the first sequence_lens[b] steps along the time axis in reverse order,
 * the rest as they are (the lengths are read each run).
 */
const reverseSequence: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    const lens = requireInput(inputs[1], 1, ctx);
    if (x.dims.length < 2) ctx.fail(`input must have rank 2 or more, got [${x.dims.join(", ")}]`);
    const batchAxis = normAxis(ctx.node.intAttribute("batch_axis", 1), x.dims.length, ctx);
    const timeAxis = normAxis(ctx.node.intAttribute("time_axis", 0), x.dims.length, ctx);
    if (batchAxis === timeAxis || batchAxis > 1 || timeAxis > 1) ctx.fail(`batch_axis and time_axis must be 0 and 1 in some order, got ${batchAxis} and ${timeAxis}`);
    const batch = x.dims[batchAxis]!;
    const steps = x.dims[timeAxis]!;
    if (lens.dims.length !== 1 || lens.dims[0] !== batch) ctx.fail(`sequence_lens must be [${batch}], got [${lens.dims.join(", ")}]`);
    const strides = stridesOf(x.dims);
    const inner = strides[1]!;
    return {
      outputs: [{ dtype: x.dtype, dims: x.dims }],
      run(ins, outs) {
        const src = ins[0]!.data as unknown as { [i: number]: unknown; length: number };
        const dst = outs[0]!.data as unknown as { [i: number]: unknown };
        const length = reader(ins[1]!.data);
        for (let b = 0; b < batch; b++) {
          const n = length(b);
          if (!Number.isInteger(n) || n < 0 || n > steps) ctx.fail(`sequence_lens[${b}] = ${n} is outside [0, ${steps}]`);
          for (let t = 0; t < steps; t++) {
            const from = t < n ? n - 1 - t : t;
            const at = (step: number) => (timeAxis === 0 ? step * strides[0]! + b * inner : b * strides[0]! + step * inner);
            for (let i = 0; i < inner; i++) dst[at(t) + i] = src[at(from) + i];
          }
        }
      },
    };
  },
};

export const reverseSequenceOps: Record<string, OpDef> = { ReverseSequence: reverseSequence };
