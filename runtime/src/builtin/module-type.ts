import type { Node } from "../graph/node.js";

/**
 * The torch.nn class a module most likely was, from the operator the exporter emitted for it: ONNX keeps module paths
 * in node names but not module classes. Only leaf modules (one operator) are typed.
 */
export function moduleTypeOf(node: Node): string | undefined {
  const spatial = Math.max(1, (node.args[0]?.meta.shape?.length ?? 4) - 2);
  switch (node.opType) {
    case "Conv": return `Conv${spatial}d`;
    case "ConvTranspose": return `ConvTranspose${spatial}d`;
    case "Gemm": return "Linear";
    case "MatMul": return node.args[1]?.kind === "parameter" ? "Linear" : undefined;
    case "Relu": return "ReLU";
    case "Clip": return "ReLU6";
    case "LeakyRelu": return "LeakyReLU";
    case "Sigmoid": return "Sigmoid";
    case "Tanh": return "Tanh";
    case "HardSwish": return "Hardswish";
    case "HardSigmoid": return "Hardsigmoid";
    case "Gelu": return "GELU";
    case "BatchNormalization": return `BatchNorm${spatial}d`;
    case "LayerNormalization": return "LayerNorm";
    case "MaxPool": return `MaxPool${spatial}d`;
    case "AveragePool": return `AvgPool${spatial}d`;
    case "GlobalAveragePool": return `AdaptiveAvgPool${spatial}d`;
    case "Softmax": return "Softmax";
    case "Flatten": return "Flatten";
    default: return undefined;
  }
}
