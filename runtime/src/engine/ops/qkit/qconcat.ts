import type { OpDef, RtValue } from "../../op.js";
import { normAxis, sizeOf } from "../util.js";
import { QCONCAT_FIRST } from "./schema.js";
import { BYTE_TYPES, perTensor } from "./qparams.js";
import { sameQuant, tableOf } from "./lut.js";

/** com.qkit.QConcat: inputs requantized to the output's parameters (a table, or a copy where they agree). */
export const qconcat: OpDef = {
  prepare(inputs, ctx) {
    const yq = perTensor(inputs[0], inputs[1], "output", ctx);
    const parts: { dims: number[]; table: number | undefined; signed: boolean }[] = [];
    for (let i = QCONCAT_FIRST; i + 2 < inputs.length + 1; i += 3) {
      const x = inputs[i];
      if (!x) return ctx.fail(`input ${i} is required`);
      if (!BYTE_TYPES.has(x.dtype)) ctx.unsupported(`on ${x.dtype} (uint8 and int8 only)`);
      const xq = perTensor(inputs[i + 1], inputs[i + 2], `input ${i}`, ctx);
      const table = sameQuant(xq, yq) ? undefined : ctx.once(`lut${i}`, () => tableOf(ctx.k, ctx, xq, yq, (v) => v));
      parts.push({ dims: x.dims, table, signed: x.dtype === "int8" });
    }
    const first = parts[0]!.dims;
    const axis = normAxis(ctx.node.intAttribute("axis", 0), first.length, ctx);
    const outDims = [...first];
    outDims[axis] = parts.reduce((s, p) => s + p.dims[axis]!, 0);
    const outer = sizeOf(first.slice(0, axis));
    const outInner = sizeOf(outDims.slice(axis));
    const k = ctx.k;
    return {
      outputs: [{ dtype: yq.dtype as never, dims: outDims }],
      run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
        const y = outs[0]!.data as Uint8Array;
        let offset = 0;
        parts.forEach((p, j) => {
          const x = ins[QCONCAT_FIRST + 3 * j]!.data as Uint8Array;
          const inner = sizeOf(p.dims.slice(axis));
          for (let o = 0; o < outer; o++) {
            const dst = o * outInner + offset;
            if (p.table === undefined) y.set(x.subarray(o * inner, (o + 1) * inner), dst);
            else k.qlut(k.addr(x) + o * inner, k.addr(y) + dst, inner, p.table, p.signed);
          }
          offset += inner;
        });
      },
    };
  },
};
