import { finding } from "../finding.js";
import type { Rule } from "../context.js";

/** The first opset with QuantizeLinear and DequantizeLinear in ai.onnx. */
const FIRST_QDQ_OPSET = 10;

/**
 * A model older than opset 10 has no QuantizeLinear to export to. ONNX Runtime's com.microsoft Q/DQ exist for it, but
 * its graph optimizer rewrites them into ai.onnx QLinearConv and the like, which such an opset lacks: the model would
 * not load. Said at check time, at the first annotation, rather than after a calibration.
 */
export const opsetRules: Rule = ({ model, annotated, uses }) => {
  const opset = model.opset();
  if (opset === undefined || opset >= FIRST_QDQ_OPSET || uses.size === 0) return [];
  const first = annotated.find((a) => a.annotation.site)?.annotation.site;
  return [finding(
    "opset-before-qdq",
    `the model imports opset ${model.sourceOpset === undefined ? opset : `${model.sourceOpset} (read as opset ${opset})`}, and QuantizeLinear and DequantizeLinear need opset ${FIRST_QDQ_OPSET} or later: re-export the model at opset ${FIRST_QDQ_OPSET} or later (or convert it with onnx.version_converter) to quantize it`,
    first,
    { nodes: annotated.slice(0, 1).map((a) => a.node.name) },
  )];
};
