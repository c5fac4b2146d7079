import { QuantizationAnnotation } from "../../quantizer/annotation.js";
import { isSpec } from "../../quantizer/specs.js";
import { formatName } from "../../graph/print.js";
import { finding, type Finding } from "../finding.js";
import type { Rule } from "../context.js";

/** Rule 6: what an annotation is attached to and keyed by must be part of this graph and make sense there. */
export const annotationStructure: Rule = ({ graph, annotated }) => {
  const findings: Finding[] = [];
  for (const node of graph.nodes) {
    const value = node.meta.quantizationAnnotation;
    if (value !== undefined && !(value instanceof QuantizationAnnotation)) {
      findings.push(finding("not-an-annotation", `node.meta.quantizationAnnotation of ${formatName(node.name)} is not a QuantizationAnnotation; create it with new QuantizationAnnotation({ ... }) from qkit`, undefined, { nodes: [node.name] }));
    }
  }
  for (const { node, annotation } of annotated) {
    const where = annotation.site;
    for (const [input, spec] of annotation.inputQspecMap) {
      if (!input || typeof input !== "object" || !("graph" in input)) {
        findings.push(finding("input-not-an-argument", `the inputQspecMap of ${formatName(node.name)} has a key that is not a graph node (${String(input)}); key it by the input node, e.g. node.args[0]`, where, { nodes: [node.name] }));
        continue;
      }
      if (input.graph !== graph || !graph.has(input)) {
        findings.push(finding("node-from-another-graph", `the inputQspecMap of ${formatName(node.name)} names ${formatName(input.name)}, a node of another graph (or one erased from this one); take nodes from the model passed to annotate()`, where, { nodes: [node.name, input.name] }));
        continue;
      }
      if (!node.args.includes(input)) {
        const inputs = node.args.filter((a) => a).map((a) => formatName(a!.name)).join(", ");
        findings.push(finding("input-not-an-argument", `${formatName(input.name)} is not an input of ${formatName(node.name)}, so the edge ${formatName(input.name)} → ${formatName(node.name)} does not exist; its inputs are ${inputs || "none"}`, where, { nodes: [node.name, input.name] }));
        continue;
      }
      if (!isSpec(spec)) {
        findings.push(finding("not-a-spec", `the inputQspecMap of ${formatName(node.name)} maps ${formatName(input.name)} to something that is not a quantization spec; use QuantizationSpec, SharedQuantizationSpec, FixedQParamsQuantizationSpec or DerivedQuantizationSpec`, where, { nodes: [node.name] }));
        continue;
      }
      if (input.kind === "parameter" && spec.kind === "observed" && spec.isDynamic) {
        findings.push(finding("dynamic-spec-on-parameter", `the edge ${formatName(input.name)} → ${formatName(node.name)} reads parameter ${formatName(input.name)} but its spec is dynamic; a parameter never changes, so quantize it statically (isDynamic: false)`, spec.site ?? where, { nodes: [node.name, input.name] }));
      }
    }
    if (annotation.outputQspec !== undefined && !isSpec(annotation.outputQspec)) {
      findings.push(finding("not-a-spec", `the outputQspec of ${formatName(node.name)} is not a quantization spec; use one of qkit's spec classes`, where, { nodes: [node.name] }));
    }
  }
  return findings;
};
