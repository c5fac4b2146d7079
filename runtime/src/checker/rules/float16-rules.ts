import { finding } from "../finding.js";
import type { Rule } from "../context.js";
import { dataTypeCode } from "../../onnx/data-type.js";

const HALF = new Set([dataTypeCode("float16"), dataTypeCode("bfloat16")]);

/**
 * A model that computes in float16 cannot take qkit's Q/DQ pairs: a DequantizeLinear gives float32 (float16 scales
 * came only with opset 19), which its float16 operators refuse, so the export would not load. qkit runs such a model
 * (in float32), but quantizes its float32 export. Said at check time, at the first annotation, before a calibration.
 */
export const float16Rules: Rule = ({ model, annotated, uses }) => {
  if (uses.size === 0) return [];
  const graph = model.graph;
  const halfValue = [...graph.placeholders(), ...graph.outputs].find((n) => n.meta.dtype === "float16" || n.meta.dtype === "bfloat16");
  const halfWeight = graph.nodes.find((n) => n.kind === "parameter" && HALF.has(n.tensor?.dataType ?? -1));
  const example = halfValue ?? halfWeight;
  if (example === undefined) return [];
  const type = example.meta.dtype ?? "float16";
  const first = annotated.find((a) => a.annotation.site)?.annotation.site;
  return [finding(
    "float16-model",
    `the model computes in ${type} ('${example.valueName}' is ${type}), and its quantized export would feed DequantizeLinear's float32 into ${type} operators: export the model in float32 to quantize it (qkit run executes the ${type} model as it is)`,
    first,
    { nodes: annotated.slice(0, 1).map((a) => a.node.name) },
  )];
};
