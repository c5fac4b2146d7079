import { finding } from "../finding.js";
import type { Rule } from "../context.js";
import { QDQ_OPSET } from "../../onnx/upgrade-opset-10.js";

/**
 * A model older than opset 10 has no QuantizeLinear to export to. ONNX Runtime's com.microsoft Q/DQ exist for it, but
 * its graph optimizer rewrites them into ai.onnx QLinearConv and the like, which such an opset lacks: the model would
 * not load. Loading rewrites older models into opset 10's form (onnx/upgrade-opset-10.ts), so this is said of one with
 * a node opset 10 cannot express, or of a model built in code; at check time, at the first annotation, rather than
 * after a calibration.
 */
export const opsetRules: Rule = ({ model, annotated, uses }) => {
  const opset = model.opset();
  if (opset === undefined || opset >= QDQ_OPSET || uses.size === 0) return [];
  const first = annotated.find((a) => a.annotation.site)?.annotation.site;
  return [finding(
    "opset-before-qdq",
    `the model imports opset ${model.sourceOpset === undefined ? opset : `${model.sourceOpset} (read as opset ${opset})`}, and QuantizeLinear and DequantizeLinear need opset ${QDQ_OPSET} or later` +
      `${model.opsetUpgradeBlocked ? `; qkit reads older models as opset ${QDQ_OPSET}, but not this one: ${model.opsetUpgradeBlocked}` : ""}` +
      `: re-export the model at opset ${QDQ_OPSET} or later to quantize it`,
    first,
    { nodes: annotated.slice(0, 1).map((a) => a.node.name) },
  )];
};
