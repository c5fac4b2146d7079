import type { PrepareContext, ValueMeta } from "../op.js";

/** Gemm's attributes and the product's size: op(A) is M×K, op(B) is K×N. */
export interface GemmShape {
  transA: boolean;
  transB: boolean;
  alpha: number;
  beta: number;
  M: number;
  K: number;
  N: number;
}

export function gemmShape(a: ValueMeta, b: ValueMeta, ctx: PrepareContext): GemmShape {
  if (a.dims.length !== 2 || b.dims.length !== 2) ctx.fail(`A and B must be matrices, got [${a.dims.join(", ")}] and [${b.dims.join(", ")}]`);
  const node = ctx.node;
  const transA = node.intAttribute("transA", 0) !== 0;
  const transB = node.intAttribute("transB", 0) !== 0;
  const [M, K] = transA ? [a.dims[1]!, a.dims[0]!] : [a.dims[0]!, a.dims[1]!];
  const [K2, N] = transB ? [b.dims[1]!, b.dims[0]!] : [b.dims[0]!, b.dims[1]!];
  if (K !== K2) ctx.fail(`A is ${M}×${K} but B is ${K2}×${N}`);
  return { transA, transB, alpha: node.floatAttribute("alpha", 1), beta: node.floatAttribute("beta", 1), M, K, N };
}
