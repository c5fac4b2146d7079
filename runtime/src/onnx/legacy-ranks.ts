import type { onnx } from "./proto.js";
import { attributeValue } from "./attributes.js";

/**
 * The rank of every value of a graph that the graph's declared types, its initializers and a few rules per operator
 * tell, read from the protobuf before anything else runs. Upgrading a model from opsets 1–6 needs no more than ranks:
 * their broadcasting aligned an operand at an axis, which opset 7 spells as trailing dimensions of size 1.
 */
export function legacyRanks(graph: onnx.IGraphProto, outer: ReadonlyMap<string, number> = new Map()): Map<string, number> {
  const ranks = new Map(outer);
  for (const value of [...(graph.input ?? []), ...(graph.valueInfo ?? []), ...(graph.output ?? [])]) {
    const dims = value.type?.tensorType?.shape?.dim;
    if (value.name && value.type?.tensorType?.shape && dims) ranks.set(value.name, dims.length);
  }
  for (const t of graph.initializer ?? []) if (t.name) ranks.set(t.name, (t.dims ?? []).length);
  for (const node of graph.node ?? []) {
    const rank = nodeRank(node, ranks);
    if (rank === undefined) continue;
    for (const output of node.output ?? []) if (output && !ranks.has(output)) ranks.set(output, rank);
  }
  return ranks;
}

/** Operators whose output has the rank of their first input. */
const SAME_RANK = new Set([
  "Abs", "Acos", "Asin", "Atan", "AveragePool", "BatchNormalization", "Cast", "Ceil", "Clip", "Conv", "ConvTranspose", "Cos",
  "Dropout", "Elu", "Exp", "Floor", "GlobalAveragePool", "GlobalLpPool", "GlobalMaxPool", "HardSigmoid", "Identity",
  "InstanceNormalization", "LRN", "LeakyRelu", "Log", "LogSoftmax", "LpNormalization", "LpPool", "MaxPool", "Neg", "Not",
  "PRelu", "Pad", "Reciprocal", "Relu", "Selu", "Sigmoid", "Sin", "Slice", "Softmax", "Softplus", "Softsign", "Split", "Sqrt",
  "Tan", "Tanh", "ThresholdedRelu", "Tile", "Transpose", "Upsample", "Concat",
]);

/** Operators whose output has the largest rank of their inputs (broadcasting, or equal shapes). */
const MAX_RANK = new Set(["Add", "Sub", "Mul", "Div", "Pow", "And", "Or", "Xor", "Equal", "Greater", "Less", "Max", "Min", "Mean", "Sum", "MatMul"]);

const REDUCTIONS = new Set(["ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceMax", "ReduceMean", "ReduceMin", "ReduceProd", "ReduceSum", "ReduceSumSquare", "ArgMax", "ArgMin"]);

function nodeRank(node: onnx.INodeProto, ranks: ReadonlyMap<string, number>): number | undefined {
  const op = node.opType ?? "";
  const inputs = (node.input ?? []).map((name) => (name ? ranks.get(name) : undefined));
  const attr = (name: string) => {
    const a = node.attribute?.find((x) => x.name === name);
    return a ? attributeValue(a) : undefined;
  };
  const first = inputs[0];
  if (SAME_RANK.has(op)) return first;
  if (MAX_RANK.has(op)) return inputs.some((r) => r === undefined) ? undefined : Math.max(...(inputs as number[]));
  if (op === "Gemm" || op === "Flatten") return 2;
  if (op === "Shape") return 1;
  if (op === "Size") return 0;
  if (op === "Constant") {
    const value = attr("value");
    return value && typeof value === "object" && "dims" in value ? ((value as onnx.ITensorProto).dims ?? []).length : undefined;
  }
  if (op === "Reshape") {
    const shape = attr("shape");
    return Array.isArray(shape) ? shape.length : undefined;
  }
  if (first === undefined) return undefined;
  if (REDUCTIONS.has(op)) {
    const axes = attr("axes");
    const keep = attr("keepdims") ?? 1;
    if (op.startsWith("Arg")) return keep ? first : first - 1;
    return keep ? first : Array.isArray(axes) ? first - axes.length : 0;
  }
  if (op === "Squeeze") {
    const axes = attr("axes");
    return Array.isArray(axes) ? first - axes.length : undefined;
  }
  if (op === "Unsqueeze") {
    const axes = attr("axes");
    return Array.isArray(axes) ? first + axes.length : undefined;
  }
  if (op === "Gather") return inputs[1] === undefined ? undefined : first - 1 + inputs[1];
  return undefined;
}

/** The graph's constant values by name: its initializers and its Constant nodes' outputs. */
export function constantTensors(graph: onnx.IGraphProto): Map<string, onnx.ITensorProto> {
  const constants = new Map<string, onnx.ITensorProto>();
  for (const t of graph.initializer ?? []) if (t.name) constants.set(t.name, t);
  for (const node of graph.node ?? []) {
    if (node.opType !== "Constant" || !node.output?.[0]) continue;
    const value = node.attribute?.find((a) => a.name === "value")?.t;
    if (value) constants.set(node.output[0], value);
  }
  return constants;
}
