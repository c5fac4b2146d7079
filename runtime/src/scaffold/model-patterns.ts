import type { Graph } from "../graph/graph.js";
import type { Node } from "../graph/node.js";

/** Ops with a weight (and maybe a bias): the input activation, the weight per output channel, an int32 bias. */
export const WEIGHTED_OPS = ["Conv", "ConvTranspose", "Gemm", "MatMul"] as const;
/** Ops of two activations, both quantized with the activation spec. */
export const BINARY_OPS = ["Add", "Mul"] as const;
/** Ops whose output keeps their input's range: the output shares the input's observer. */
export const SHARING_OPS = [
  "Relu", "Clip", "MaxPool", "AveragePool", "GlobalAveragePool", "Flatten", "Reshape", "Transpose", "Squeeze",
  "Unsqueeze",
] as const;

/** The op types of a model a scaffold writes code for, each group in a fixed order, and those it leaves float. */
export interface ModelPatterns {
  weighted: string[];
  binary: string[];
  concat: boolean;
  sharing: string[];
  /** Float operators the scaffold does not quantize, with their counts (named in the file's header). */
  leftFloat: [opType: string, count: number][];
  /** Every float operator with its count, most frequent first. */
  counts: [opType: string, count: number][];
}

/** A value computed at run time that can be quantized: not a constant, a float tensor (never ids or shapes), not one that only decides shapes. */
function isFloatActivation(node: Node | null | undefined): boolean {
  return !!node && node.kind !== "parameter" && node.isFloatValue && !node.isShapeOperand;
}

/** Whether the generated code would annotate this node (the same conditions the generated loops test). */
function quantizable(node: Node): boolean {
  const [first, second] = node.args;
  if ((WEIGHTED_OPS as readonly string[]).includes(node.opType)) {
    return isFloatActivation(first) && (second?.kind === "parameter" || (node.opType === "MatMul" && isFloatActivation(second)));
  }
  if ((BINARY_OPS as readonly string[]).includes(node.opType)) return isFloatActivation(first) && isFloatActivation(second) && node.isFloatValue;
  if (node.opType === "Concat") return node.args.some(isFloatActivation) && node.isFloatValue;
  if ((SHARING_OPS as readonly string[]).includes(node.opType)) return !node.isMultiOutput && isFloatActivation(first) && node.isFloatValue;
  return false;
}

/** Which patterns the model has: only op types with at least one node the generated code would quantize. */
export function modelPatterns(graph: Graph): ModelPatterns {
  const counts = new Map<string, number>();
  const quantized = new Set<string>();
  for (const node of graph.nodes) {
    if (node.kind !== "call") continue;
    counts.set(node.opType, (counts.get(node.opType) ?? 0) + 1);
    if (quantizable(node)) quantized.add(node.opType);
  }
  const present = (ops: readonly string[]) => ops.filter((op) => quantized.has(op));
  const sorted = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return {
    weighted: present(WEIGHTED_OPS),
    binary: present(BINARY_OPS),
    concat: quantized.has("Concat"),
    sharing: present(SHARING_OPS),
    leftFloat: sorted.filter(([op]) => !quantized.has(op)),
    counts: sorted,
  };
}
