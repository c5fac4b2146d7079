import { finding } from "../finding.js";
import type { Rule } from "../context.js";
import { dataTypeCode } from "../../onnx/data-type.js";

const FLOAT16 = dataTypeCode("float16");

/**
 * A model that computes in float16 cannot take qkit's Q/DQ pairs: a DequantizeLinear gives float32 (float16 scales
 * came only with opset 19), which its float16 operators refuse, so the export would not load. qkit runs such a model
 * (in float32), but quantizes its float32 export. Said at check time, at the first annotation, before a calibration.
 */
export const float16Rules: Rule = ({ model, annotated, uses }) => {
  if (uses.size === 0) return [];
  const graph = model.graph;
  const halfValue = [...graph.placeholders(), ...graph.outputs].find((n) => n.meta.dtype === "float16");
  const halfWeight = graph.nodes.find((n) => n.kind === "parameter" && n.tensor?.dataType === FLOAT16);
  const example = halfValue?.valueName ?? halfWeight?.valueName;
  if (example === undefined) return [];
  const first = annotated.find((a) => a.annotation.site)?.annotation.site;
  return [finding(
    "float16-model",
    `the model computes in float16 ('${example}' is float16), and its quantized export would feed DequantizeLinear's float32 into float16 operators: export the model in float32 to quantize it (qkit run executes the float16 model as it is)`,
    first,
    { nodes: annotated.slice(0, 1).map((a) => a.node.name) },
  )];
};
