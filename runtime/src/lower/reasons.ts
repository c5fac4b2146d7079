// Why a node of a Q/DQ model stays float32, as a sentence a user can act on: the rule's reason when a rule exists,
// otherwise what kind of node it is (a float island by design, shape arithmetic, or an op without integer kernels).
import type { Node } from "../graph/node.js";

const FLOAT_DTYPES = new Set(["float32", "float16", "bfloat16", "float64"]);

/** Operators that stay float32 between a dequantize and a quantize by design, as PT2E's and ONNX Runtime's int8 models keep them. */
const FLOAT_ISLANDS: Record<string, string> = {
  Softmax: "Softmax runs in float32 between its DequantizeLinear and QuantizeLinear (a float island, as in PT2E's and ONNX Runtime's int8 models): its exponentials need float precision, and its cost is small next to the MatMuls around it",
  ReduceMean: "ReduceMean runs in float32 (qkit has no integer reduction); its input is dequantized and its output quantized again where the quantizer asks",
  LSTM: "LSTM runs in float32 on its dequantized weights (weight-only quantization, as ONNX Runtime's static quantization does)",
  GRU: "GRU runs in float32 on its dequantized weights (weight-only quantization, as ONNX Runtime's static quantization does)",
};

function reads(node: Node, opType: string): boolean {
  return node.args.some((a) => !!a && a.kind === "call" && a.opType === opType);
}

function feeds(node: Node, opType: string): boolean {
  return [...node.users].some((u) => u.kind === "call" && u.opType === opType);
}

/** The reason `node` stays float32; `ruleReason` is its lowering rule's, when it has one. */
export function floatReason(node: Node, ruleReason?: string): string {
  const dtype = node.meta.dtype;
  if (dtype && !FLOAT_DTYPES.has(dtype)) {
    return `it computes ${dtype} values (shapes, indices or masks), which are never quantized; it runs as exported`;
  }
  if (!reads(node, "DequantizeLinear") && !feeds(node, "QuantizeLinear")) {
    return "it is not quantized (none of its inputs or its output is): it runs in float32 as in the original model; annotate it to run it in int8";
  }
  if (ruleReason) return ruleReason;
  const island = FLOAT_ISLANDS[node.opType];
  if (island) return island;
  if (node.domain && node.domain !== "ai.onnx") return `${node.domain}.${node.opType} is not an ONNX operator qkit lowers; it runs as it is`;
  return `qkit has no integer kernel for ${node.opType}, so it runs in float32 between a DequantizeLinear and a QuantizeLinear; leave it unannotated (not quantized) to save those two conversions`;
}
