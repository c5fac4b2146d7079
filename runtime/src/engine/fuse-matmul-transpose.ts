import { keptValues } from "../graph/subgraph-scope.js";
import type { Graph } from "../graph/graph.js";
import type { Node, NodeArg } from "../graph/node.js";
import { matmulOp, type MatMulPerms } from "./ops/matmul.js";
import { internal, isCall, type Rewrites } from "./pattern.js";

/** A Transpose with an explicit perm (a default one reverses axes of a rank only shapes know). */
function permOf(node: Node): number[] | undefined {
  const perm = node.intsAttribute("perm");
  return perm && perm.length >= 2 ? perm : undefined;
}

/**
 * Transposes around a MatMul that the GEMM reads or writes through strides instead: a Transpose feeding A or B
 * (attention's Kᵀ, heads split out of the sequence) whose only user is the MatMul, and a Transpose of the product
 * that keeps the last axis last (heads merged back). The MatMul (or the Transpose after it) runs as one strided
 * product; the absorbed Transposes never run.
 */
export function findMatMulTransposes(graph: Graph): Rewrites {
  const result: Rewrites = new Map();
  const outputs = keptValues(graph);
  for (const mm of graph.calls("MatMul")) {
    if (mm.domain !== "" && mm.domain !== "ai.onnx") continue;
    const perms: { a?: number[]; b?: number[]; out?: number[] } = {};
    const args: NodeArg[] = [...mm.args];
    const absorbed: Node[] = [];
    mm.args.forEach((arg, i) => {
      if (!isCall(arg, "Transpose") || result.has(arg) || mm.args[0] === mm.args[1]) return;
      const perm = permOf(arg);
      if (!perm || !internal(arg, new Set([mm]), outputs)) return;
      if (i === 0) perms.a = perm;
      else perms.b = perm;
      args[i] = arg.args[0] ?? null;
      absorbed.push(arg);
    });
    const user = mm.users.size === 1 ? [...mm.users][0]! : undefined;
    const outPerm = user && isCall(user, "Transpose") ? permOf(user) : undefined;
    const writesTransposed = outPerm !== undefined && outPerm[outPerm.length - 1] === outPerm.length - 1 && !outputs.has(mm);
    if (writesTransposed) perms.out = outPerm;
    if (absorbed.length === 0 && !writesTransposed) continue;
    for (const t of absorbed) result.set(t, "skip");
    const def = matmulOp(perms as MatMulPerms);
    if (writesTransposed) {
      result.set(mm, "skip");
      result.set(user!, { def, args });
    } else {
      result.set(mm, { def, args });
    }
  }
  return result;
}
