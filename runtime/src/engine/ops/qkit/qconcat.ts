import type { OpDef, RtValue } from "../../op.js";
import { normAxis, sizeOf } from "../util.js";
import { qkitInputs, qkitRepeated } from "../../../qkit-ops/schema.js";
import { BYTE_TYPES, perTensor } from "./qparams.js";
import { sameQuant, tableOf } from "./lut.js";
import type { LutTable } from "../../kernels/qeltwise.js";

const Q = qkitInputs("QConcat");
/** Parts whose rows are shorter than this many bytes are copied in one call for all rows. */
const NARROW = 64;
const QCONCAT = qkitRepeated("QConcat");

/** com.qkit.QConcat: inputs requantized to the output's parameters (a table, or a copy where they agree). */
export const qconcat: OpDef = {
  prepare(inputs, ctx) {
    const yq = perTensor(inputs[Q.yScale], inputs[Q.yZeroPoint], "output", ctx);
    const parts: { dims: number[]; table: LutTable | undefined; signed: boolean; input: number; inner: number }[] = [];
    for (let i = QCONCAT.first; i + QCONCAT.size <= inputs.length; i += QCONCAT.size) {
      const x = inputs[i + QCONCAT.at.x];
      if (!x) return ctx.fail(`input ${i} is required`);
      if (!BYTE_TYPES.has(x.dtype)) ctx.unsupported(`on ${x.dtype} (uint8 and int8 only)`);
      const xq = perTensor(inputs[i + QCONCAT.at.xScale], inputs[i + QCONCAT.at.xZeroPoint], `input ${i}`, ctx);
      const table = sameQuant(xq, yq) ? undefined : ctx.once(`lut${i}`, () => tableOf(ctx, xq, yq, (v) => v));
      parts.push({ dims: x.dims, table, signed: x.dtype === "int8", input: i + QCONCAT.at.x, inner: 0 });
    }
    const first = parts[0]!.dims;
    const axis = normAxis(ctx.node.intAttribute("axis", 0), first.length, ctx);
    const outDims = [...first];
    outDims[axis] = parts.reduce((s, p) => s + p.dims[axis]!, 0);
    const outer = sizeOf(first.slice(0, axis));
    const outInner = sizeOf(outDims.slice(axis));
    for (const p of parts) p.inner = sizeOf(p.dims.slice(axis));
    const k = ctx.k;
    return {
      outputs: [{ dtype: yq.dtype as never, dims: outDims }],
      // A loop over what prepare worked out: no closure, view or offset record per run.
      run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
        const y = outs[0]!.data as Uint8Array;
        let offset = 0;
        for (let j = 0; j < parts.length; j++) {
          const p = parts[j]!;
          const x = ins[p.input]!.data as Uint8Array;
          const inner = p.inner;
          if (outer > 1 && inner < NARROW && k.inMemory(x) && k.inMemory(y)) {
            // Many short rows (a box's 4 coordinates): one call for the part, not one per row.
            k.strided.copyRows(x, 0, y, offset, outer, inner, inner, outInner, p.table?.codes, p.signed);
            offset += inner;
            continue;
          }
          for (let o = 0; o < outer; o++) {
            const dst = o * outInner + offset;
            if (p.table !== undefined) k.qeltwise.lut(x, y, inner, p.table, p.signed, o * inner, dst);
            else if (k.inMemory(x) && k.inMemory(y)) k.strided.copyRun(x, o * inner, y, dst, inner);
            else y.set(x.subarray(o * inner, (o + 1) * inner), dst);
          }
          offset += inner;
        }
      },
    };
  },
};
