import type { Graph } from "../graph/graph.js";
import type { Node } from "../graph/node.js";
import type { ValueMeta } from "./op.js";
import { findDecomposedLayerNorms } from "./fuse-layernorm.js";
import { findMatMulBiases } from "./fuse-matmul-bias.js";
import { findMatMulTransposes } from "./fuse-matmul-transpose.js";
import type { Rewrites } from "./pattern.js";

export type { Rewrite, Rewrites } from "./pattern.js";

/**
 * Plan-time patterns (decomposed LayerNorm, Transposes a MatMul reads or writes in place, a MatMul's bias Add), found
 * once per plan. A node claimed by an earlier pattern is left to it.
 */
export function findRewrites(graph: Graph, constant: (n: Node) => ValueMeta, opset: number): Rewrites {
  const result: Rewrites = new Map();
  for (const found of [findDecomposedLayerNorms(graph, constant, opset), findMatMulTransposes(graph)]) {
    for (const [node, r] of found) if (!result.has(node)) result.set(node, r);
  }
  for (const [node, r] of findMatMulBiases(graph, constant, result)) result.set(node, r);
  return result;
}
