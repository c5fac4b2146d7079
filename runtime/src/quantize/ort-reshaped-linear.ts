import type { Graph } from "../graph/graph.js";
import type { Node } from "../graph/node.js";
import { MICROSOFT_DOMAIN } from "../onnx/qdq-ops.js";

const NARROW_TYPES = new Set(["int8", "uint8", "int16", "uint16"]);

/**
 * In a model of opset 21 or later, put the DequantizeLinear that feeds a quantized linear layer's 3-D (or any
 * non-matrix) input in ONNX Runtime's com.microsoft domain, where it means the same.
 *
 * Why: ONNX Runtime fuses MatMul + bias Add into Gemm, reshaping a non-matrix input to a matrix first, and then
 * propagates the input's DequantizeLinear across that Reshape by inserting a QuantizeLinear. From opset 21 it gives the
 * inserted node an `output_dtype` that contradicts its zero point, and the session fails to load ("output_dtype INT8
 * does not match y_zero_point type UINT8"): every transformer's biased Linear at opset 21+ (a BERT, a diffusion UNet's
 * attention). A com.microsoft DequantizeLinear is propagated with its own domain's QuantizeLinear, which has no
 * `output_dtype`. Only the DequantizeLinear nodes of that pattern move: the rest of the model stays in ai.onnx.
 *
 * Returns how many moved.
 */
export function shieldReshapedLinears(graph: Graph, opset: number): number {
  if (opset < 21) return 0;
  let moved = 0;
  for (const matmul of graph.calls("MatMul")) {
    if (matmul.domain !== "" || !feedsOnlyAnAdd(matmul)) continue;
    const [a, b] = matmul.args as (Node | undefined)[];
    if (!a || a.kind !== "call" || a.opType !== "DequantizeLinear" || a.domain !== "") continue;
    if (b?.meta.shape?.length !== 2 || a.meta.shape === undefined || a.meta.shape.length === 2) continue;
    const codes = a.args[0] as Node | undefined;
    if (!codes?.meta.dtype || !NARROW_TYPES.has(codes.meta.dtype)) continue;
    a.domain = MICROSOFT_DOMAIN;
    moved++;
  }
  return moved;
}

function feedsOnlyAnAdd(node: Node): boolean {
  const users = [...node.users];
  return users.length === 1 && users[0]!.kind === "call" && users[0]!.opType === "Add" && users[0]!.domain === "";
}
