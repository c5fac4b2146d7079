/**
 * QuantizeLinear and DequantizeLinear as a model may hold them: in ai.onnx, or as ONNX Runtime's com.microsoft ops,
 * which take the same inputs and the same `axis` and mean the same. Exporters (qkit's too) use com.microsoft where
 * ai.onnx has no such op for the type or opset (16-bit types before opset 21, any type before opset 10), and for one
 * DequantizeLinear ONNX Runtime mishandles from opset 21 (quantize/ort-reshaped-linear.ts).
 */
export const QDQ_OP_TYPES: ReadonlySet<string> = new Set(["QuantizeLinear", "DequantizeLinear"]);

/** ONNX Runtime's contrib domain, where its QuantizeLinear and DequantizeLinear also live. */
export const MICROSOFT_DOMAIN = "com.microsoft";

/** Whether a node of `domain` and `opType` is a QuantizeLinear or DequantizeLinear (of either domain). */
export function isQdqOp(domain: string, opType: string): boolean {
  return QDQ_OP_TYPES.has(opType) && (domain === "" || domain === "ai.onnx" || domain === MICROSOFT_DOMAIN);
}
