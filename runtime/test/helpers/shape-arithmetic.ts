import { makeTensor } from "../../src/tooling.js";
import { modelBytes, node, valueInfo } from "./build.js";

/**
 * A linear layer whose input is reshaped by shape arithmetic, as every PyTorch export of a transformer has it:
 * Shape → Gather → Unsqueeze → Concat (int64) → Reshape, an int64 Add on the way, then MatMul + bias Add.
 */
export function shapeArithmeticModel(): Uint8Array {
  const int64 = (name: string, values: bigint[]) => makeTensor(name, "int64", [values.length], BigInt64Array.from(values));
  return modelBytes({
    name: "shape-arithmetic",
    input: [valueInfo("x", "float32", ["batch", 4, 8])],
    output: [valueInfo("y", "float32", ["batch", 32, 3])],
    initializer: [
      makeTensor("zero", "int64", [], BigInt64Array.of(0n)), int64("axes", [0n]), int64("rest", [32n]), int64("one", [1n]),
      makeTensor("scalar_one", "int64", [], BigInt64Array.of(1n)),
      makeTensor("w", "float32", [1, 3], Float32Array.of(0.5, -0.25, 1)),
      makeTensor("b", "float32", [3], Float32Array.of(0.1, 0.2, 0.3)),
    ],
    node: [
      node("Shape", ["x"], ["shape"]),
      node("Gather", ["shape", "zero"], ["batch_dim"], [{ name: "axis", type: 2, i: 0 }]),
      node("Add", ["batch_dim", "scalar_one"], ["batch_plus_one"]),
      node("Sub", ["batch_plus_one", "scalar_one"], ["batch_again"]),
      node("Unsqueeze", ["batch_again", "axes"], ["batch_1d"]),
      node("Concat", ["batch_1d", "rest", "one"], ["new_shape"], [{ name: "axis", type: 2, i: 0 }]),
      node("Reshape", ["x", "new_shape"], ["flat"]),
      node("MatMul", ["flat", "w"], ["mm"]),
      node("Add", ["mm", "b"], ["y"]),
    ],
  });
}

