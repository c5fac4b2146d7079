import { makeTensor } from "../../src/tooling.js";
import { modelBytes, node, valueInfo } from "./build.js";

/**
 * An upsampling whose scales are computed from the input's shape in float, as older PyTorch exports of
 * `interpolate(scale_factor=…)` write them (Shape → Cast → Div → Mul), and a Clip whose bounds are computed too.
 * Only the data inputs of such ops carry activations: quantizing scales or bounds would round them (ONNX Runtime's
 * quantize_static quantizes the first input of Resize, Clip and Pad alone), and float arithmetic on shapes is no
 * activation at all: it only decides shapes (Node.isShapeOperand).
 */
export function computedScalesModel(): Uint8Array {
  return modelBytes({
    name: "computed-scales",
    input: [valueInfo("x", "float32", [1, 2, 4, 4])],
    output: [valueInfo("y", "float32", [1, 3, 8, 8])],
    initializer: [
      makeTensor("w", "float32", [3, 2, 1, 1], Float32Array.of(0.5, -0.25, 1, 0.75, -1, 0.125)),
      makeTensor("b", "float32", [3], Float32Array.of(0.1, 0.2, 0.3)),
      makeTensor("factors", "float32", [4], Float32Array.of(1, 1, 2, 2)),
      makeTensor("bound", "float32", [], Float32Array.of(2)),
    ],
    node: [
      node("Conv", ["x", "w", "b"], ["conv"], [{ name: "kernel_shape", type: 7, ints: [1, 1] }]),
      node("Shape", ["conv"], ["shape"]),
      node("Cast", ["shape"], ["shape_f"], [{ name: "to", type: 2, i: 1 }]),
      node("Div", ["shape_f", "shape_f"], ["ones"]),
      node("Mul", ["ones", "factors"], ["scales"]),
      node("Resize", ["conv", "", "scales"], ["up"], [{ name: "mode", type: 3, s: new TextEncoder().encode("nearest") }]),
      node("Neg", ["bound"], ["low"]),
      node("Clip", ["up", "low", "bound"], ["y"]),
    ],
  }, { opset: 13 });
}

