import type { Graph } from "./graph.js";
import type { Node } from "./node.js";

/**
 * The operand positions (ai.onnx) whose values set an output's shape rather than its data. Most are int64, which no
 * quantizer touches anyway; Resize's roi and scales and Upsample's scales are float.
 */
export const SHAPE_OPERANDS: Readonly<Record<string, readonly number[]>> = {
  Resize: [1, 2, 3], Upsample: [1], Reshape: [1], Expand: [1], Tile: [1], ConstantOfShape: [0], Slice: [1, 2, 3, 4],
  Pad: [1, 3], Squeeze: [1], Unsqueeze: [1], Split: [1], TopK: [1], OneHot: [1],
  ReduceMean: [1], ReduceSum: [1], ReduceMax: [1], ReduceMin: [1], ReduceProd: [1], ReduceL1: [1], ReduceL2: [1],
  ReduceLogSum: [1], ReduceLogSumExp: [1], ReduceSumSquare: [1],
};

const computed = new WeakMap<Graph, { version: number; values: Set<Node> }>();

/** Node.isShapeOperand: one pass over the graph from its end, kept until the graph changes. */
export function isShapeOperand(node: Node): boolean {
  const graph = node.graph;
  let memo = computed.get(graph);
  if (memo === undefined || memo.version !== graph.version) {
    memo = { version: graph.version, values: shapeOperandValues(graph) };
    computed.set(graph, memo);
  }
  return memo.values.has(node);
}

/** Users come after their arguments, so walking back decides each user before the values it reads. */
function shapeOperandValues(graph: Graph): Set<Node> {
  const values = new Set<Node>();
  const nodes = graph.nodes;
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i]!;
    if (node.kind === "output" || node.users.size === 0) continue;
    const onlyShapes = [...node.users].every((user) => {
      if (values.has(user)) return true;
      const positions = user.kind === "call" && (user.domain === "" || user.domain === "ai.onnx") ? SHAPE_OPERANDS[user.opType] : undefined;
      return positions !== undefined && user.args.every((arg, at) => arg !== node || positions.includes(at));
    });
    if (onlyShapes) values.add(node);
  }
  return values;
}
