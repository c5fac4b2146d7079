import type { OpDef } from "../op.js";
import { arrayFor } from "../tensor.js";
import { constNumbers, outputDataType, writer } from "./util.js";

/**
 * The window generators of the signal operators (opset 17): `size` values of a cosine sum, periodic (over size
 * points, for spectral analysis; the default) or symmetric (over size − 1). Computed in float64, stored in the output
 * type; a constant size makes them constants of the plan.
 */
function cosineWindow(coefficients: readonly number[]): OpDef {
  return {
    prepare(inputs, ctx) {
      const size = constNumbers(inputs[0], "size", ctx)[0]!;
      if (!Number.isInteger(size) || size < 0) ctx.fail(`size must be a whole number ≥ 0, got ${size}`);
      const dtype = outputDataType(ctx);
      const periodic = ctx.node.intAttribute("periodic", 1) !== 0;
      const N = periodic ? size : size - 1;
      const data = arrayFor(dtype, size);
      const w = writer(data);
      for (let n = 0; n < size; n++) {
        let v = 0;
        coefficients.forEach((a, k) => { v += (k % 2 === 0 ? a : -a) * Math.cos((2 * Math.PI * k * n) / N); });
        w(n, N === 0 ? coefficients.reduce((s, a, k) => s + (k % 2 === 0 ? a : -a), 0) : v);
      }
      return { outputs: [{ dtype, dims: [size], value: data }] };
    },
  };
}

export const windowOps: Record<string, OpDef> = {
  HannWindow: cosineWindow([0.5, 0.5]),
  HammingWindow: cosineWindow([25 / 46, 21 / 46]),
  BlackmanWindow: cosineWindow([0.42, 0.5, 0.08]),
};
