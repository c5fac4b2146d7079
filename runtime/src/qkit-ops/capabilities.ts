/**
 * What the integer operators can take, where the checker's coverage and lower() must agree: the checker says "runs
 * in int8" exactly when lower() will lower the node.
 */

type Dim = number | string;

/**
 * Float operator types lower() replaces by an integer operator (or runs on the integers as they are) when their
 * inputs and output are quantized.
 */
export const LOWERED_OP_TYPES: ReadonlySet<string> = new Set([
  "Conv", "Gemm", "MatMul", "ConvTranspose", "Add", "Mul", "Relu", "Clip", "LeakyRelu", "MaxPool", "AveragePool",
  "GlobalAveragePool", "Concat", "Resize", "Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Slice", "Gather",
  "Expand", "Tile", "DepthToSpace", "SpaceToDepth", "Split", "Pad", "Softmax", "LayerNormalization", "Div", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh",
]);

/**
 * Why QAdd/QMul cannot take inputs of these shapes, or undefined when they can: any shapes that broadcast (equal
 * shapes, a single value, a per-channel factor as squeeze-and-excite multiplies by, a bias row).
 */
export function binaryShapeProblem(a: readonly Dim[] | undefined, b: readonly Dim[] | undefined): string | undefined {
  if (!a || !b) return undefined;
  const rank = Math.max(a.length, b.length);
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (typeof x === "number" && typeof y === "number" && x !== y && x !== 1 && y !== 1) {
      return `its inputs have shapes [${a.join(", ")}] and [${b.join(", ")}], which do not broadcast; the model is inconsistent there, so it runs in float32 as exported`;
    }
  }
  return undefined;
}

/**
 * Whether a float32 constant of shape `c` can be the float operand of QAdd/QMul next to a quantized input of shape
 * `x`: it broadcasts into x without growing it (x has the output's shape), or x's shape is unknown (QAdd/QMul then
 * spread x to the output's shape at run time if the constant is the larger).
 */
export function floatOperandFits(x: readonly Dim[] | undefined, c: readonly Dim[] | undefined): boolean {
  if (!c) return false;
  if (!x) return true;
  if (c.length > x.length) return false;
  return c.every((d, i) => {
    const xd = x[x.length - c.length + i]!;
    return d === 1 || d === xd || typeof xd === "string";
  });
}

/**
 * Why a convolution or pooling stays float32 whatever its quantization, or undefined when its integer operator can
 * take it: the int8 kernels have 1-D and 2-D windows, and QMaxPool one output.
 */
export function windowProblem(opType: string, spatialAxes: number, outputs: number): string | undefined {
  if (opType === "Conv" && spatialAxes > 3) return `a ${spatialAxes}-D convolution runs in float32: qkit's int8 convolutions are 1-D, 2-D and 3-D`;
  if ((opType === "MaxPool" || opType === "AveragePool") && spatialAxes > 2) return "3-D pooling runs in float32: qkit's int8 pooling is 1-D and 2-D";
  if (opType === "MaxPool" && outputs > 1) return "MaxPool with its Indices output runs in float32: qkit's int8 MaxPool has one output";
  return undefined;
}
