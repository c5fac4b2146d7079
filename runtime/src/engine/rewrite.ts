import type { Graph } from "../graph/graph.js";
import type { Node, NodeArg } from "../graph/node.js";
import type { OpDef, ValueMeta } from "./op.js";
import { findDecomposedLayerNorms } from "./fuse-layernorm.js";
import { findMatMulTransposes } from "./fuse-matmul-transpose.js";

/** A node run as another operator on other arguments (the last node of a pattern that runs as one kernel). */
export interface Rewrite {
  def: OpDef;
  args: NodeArg[];
}

/** What the plan asks of a pattern: each rewritten node, and "skip" for the nodes the rewrite makes unnecessary. */
export type Rewrites = Map<Node, Rewrite | "skip">;

/** A standard-domain call of the given op type. */
export function isCall(arg: NodeArg | undefined, opType: string): arg is Node {
  return !!arg && arg.kind === "call" && arg.opType === opType && (arg.domain === "" || arg.domain === "ai.onnx");
}

/** Whether a node's value may vanish into a pattern: no graph output, and every user is one of `inside`. */
export function internal(node: Node, inside: ReadonlySet<Node>, outputs: ReadonlySet<Node>): boolean {
  return !outputs.has(node) && [...node.users].every((u) => inside.has(u));
}

/**
 * Plan-time patterns (decomposed LayerNorm, Transposes a MatMul reads or writes in place), found once per plan. A
 * node claimed by an earlier pattern is left to it.
 */
export function findRewrites(graph: Graph, constant: (n: Node) => ValueMeta, opset: number): Rewrites {
  const result: Rewrites = new Map();
  for (const found of [findDecomposedLayerNorms(graph, constant, opset), findMatMulTransposes(graph)]) {
    for (const [node, r] of found) if (!result.has(node)) result.set(node, r);
  }
  return result;
}
