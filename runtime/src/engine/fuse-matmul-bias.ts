import { keptValues } from "../graph/subgraph-scope.js";
import type { Graph } from "../graph/graph.js";
import type { Node } from "../graph/node.js";
import type { ValueMeta } from "./op.js";
import { matmulOp } from "./ops/matmul.js";
import { internal, isCall, type Rewrites } from "./pattern.js";

/** A float32 constant that adds one value per output column: dims [N] or [1, N]. */
function isColumnBias(meta: ValueMeta, N: number): boolean {
  const dims = meta.dims;
  return meta.dtype === "float32" && meta.value !== undefined && dims.length >= 1 && dims.length <= 2 &&
    dims[dims.length - 1] === N && dims.slice(0, -1).every((d) => d === 1);
}

/**
 * A linear layer as exporters write it, MatMul by a constant 2-D weight then Add of a constant bias row, runs as one
 * GEMM that starts from the bias: the product is never written and read back. Only where the MatMul's one user is the
 * Add and the MatMul is no other pattern's (`claimed`).
 */
export function findMatMulBiases(graph: Graph, constant: (n: Node) => ValueMeta, claimed: Rewrites): Rewrites {
  const result: Rewrites = new Map();
  const outputs = keptValues(graph);
  for (const mm of graph.calls("MatMul")) {
    if ((mm.domain !== "" && mm.domain !== "ai.onnx") || claimed.has(mm) || mm.users.size !== 1) continue;
    const add = [...mm.users][0]!;
    if (!isCall(add, "Add") || claimed.has(add) || !internal(mm, new Set([add]), outputs)) continue;
    const [a, w] = mm.args;
    const other = add.args[0] === mm ? add.args[1] : add.args[0];
    if (!a || !w || w.kind !== "parameter" || !other || other.kind !== "parameter" || add.args[0] === add.args[1]) continue;
    const weight = constant(w);
    if (weight.dtype !== "float32" || weight.dims.length !== 2) continue;
    if (!isColumnBias(constant(other), weight.dims[1]!)) continue;
    result.set(mm, "skip");
    result.set(add, { def: matmulOp(), args: [a, w, other] });
  }
  return result;
}
