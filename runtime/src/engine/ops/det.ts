import type { OpDef } from "../op.js";
import { requireInput, sizeOf } from "./util.js";

/**
 * Det: the determinant of each square matrix of the last two axes, by LU decomposition with partial pivoting in
 * float64 (as NumPy's det through LAPACK), stored as the input type.
 */
const det: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    if (x.dtype !== "float32" && x.dtype !== "float64") ctx.unsupported(`on ${x.dtype} (float32 and float64 only)`);
    const rank = x.dims.length;
    if (rank < 2 || x.dims[rank - 1] !== x.dims[rank - 2]) ctx.fail(`input must end in square matrices, got [${x.dims.join(", ")}]`);
    const n = x.dims[rank - 1]!;
    const batch = x.dims.slice(0, -2);
    const count = sizeOf(batch);
    const a = new Float64Array(n * n);
    return {
      outputs: [{ dtype: x.dtype, dims: batch }],
      run(ins, outs) {
        const src = ins[0]!.data as Float32Array | Float64Array;
        const dst = outs[0]!.data as Float32Array | Float64Array;
        for (let m = 0; m < count; m++) {
          a.set(src.subarray(m * n * n, (m + 1) * n * n));
          let d = 1;
          for (let c = 0; c < n; c++) {
            let pivot = c;
            for (let r = c + 1; r < n; r++) if (Math.abs(a[r * n + c]!) > Math.abs(a[pivot * n + c]!)) pivot = r;
            if (a[pivot * n + c] === 0) { d = 0; break; }
            if (pivot !== c) {
              for (let k = 0; k < n; k++) { const t = a[c * n + k]!; a[c * n + k] = a[pivot * n + k]!; a[pivot * n + k] = t; }
              d = -d;
            }
            const p = a[c * n + c]!;
            d *= p;
            for (let r = c + 1; r < n; r++) {
              const f = a[r * n + c]! / p;
              if (f !== 0) for (let k = c + 1; k < n; k++) a[r * n + k] = a[r * n + k]! - f * a[c * n + k]!;
            }
          }
          dst[m] = d;
        }
      },
    };
  },
};

export const detOps: Record<string, OpDef> = { Det: det };
