import type { OpDef, RtValue } from "../op.js";
import type { UnaryOp, UnaryParams } from "../kernels/unary.js";
import { erf } from "./math.js";
import { broadcastDims, reader, requireInput, sizeOf, writer } from "./util.js";

/** An elementwise chain the plan found (fusion-eltwise.ts), run as one function of its one tensor input. */
export interface FusedUnary {
  op: Extract<UnaryOp, "Silu" | "HardSwish" | "Gelu" | "GeluTanh">;
  params?: UnaryParams;
  /** Shapes of the chain's constants, which broadcast into the output's shape (a 0.5 stored as [1, 1, 1]). */
  constantDims: number[][];
}

const sigmoid = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

/** The same function in double precision, for element types other than float32. */
function reference(f: FusedUnary): (x: number) => number {
  const alpha = f.params?.alpha ?? 0;
  const beta = f.params?.beta ?? 0;
  switch (f.op) {
    case "Silu": return (x) => x * sigmoid(x);
    case "HardSwish": return (x) => x * Math.max(0, Math.min(1, alpha * x + beta));
    case "Gelu": return (x) => 0.5 * x * (1 + erf(x / Math.SQRT2));
    case "GeluTanh": return (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
  }
}

/** The operator that runs a fused chain: one pass of the unary kernel on float32 (a fused Relu/Clip included). */
export function fusedUnaryOp(f: FusedUnary): OpDef {
  return {
    fusesClamp: true,
    prepare(inputs, ctx) {
      const x = requireInput(inputs[0], 0, ctx);
      let dims = x.dims;
      for (const c of f.constantDims) dims = broadcastDims(dims, c, ctx);
      if (sizeOf(dims) !== sizeOf(x.dims)) ctx.fail(`a constant of the fused ${f.op} changes the size of its input`);
      const total = sizeOf(dims);
      const lo = ctx.clamp?.lo ?? -Infinity;
      const hi = ctx.clamp?.hi ?? Infinity;
      if (x.dtype === "float32") {
        const k = ctx.k;
        return {
          outputs: [{ dtype: x.dtype, dims }],
          run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
            k.unary.run(f.op, ins[0]!.data as Float32Array, outs[0]!.data as Float32Array, total, f.params, { lo, hi });
          },
        };
      }
      if (x.dtype !== "float64") ctx.unsupported(`on ${x.dtype} (float32/float64 only)`);
      const fn = reference(f);
      return {
        outputs: [{ dtype: x.dtype, dims }],
        run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
          const r = reader(ins[0]!.data);
          const w = writer(outs[0]!.data);
          for (let i = 0; i < total; i++) w(i, Math.min(Math.max(fn(r(i)), lo), hi));
        },
      };
    },
  };
}
