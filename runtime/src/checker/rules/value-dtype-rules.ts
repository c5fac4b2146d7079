import { SPEC_CLASS } from "../../quantizer/specs.js";
import { describeSlot, isEdge } from "../../quantizer/edge-or-node.js";
import { finding, type Finding } from "../finding.js";
import type { Rule } from "../context.js";

/**
 * Only floating-point tensors are quantized. Exported transformers carry int64 shape arithmetic (Shape → Gather →
 * Concat → Reshape) and token ids next to their activations; a spec put on one of them would feed an observer integers
 * and break calibration. One finding per spec, at the line that made it, however many values it was put on.
 */
export const valueDtypeRules: Rule = ({ uses }) => {
  const findings: Finding[] = [];
  for (const [spec, slots] of uses) {
    const wrong = slots.filter((s) => !(isEdge(s.edgeOrNode) ? s.edgeOrNode[0] : s.edgeOrNode).isFloatValue);
    if (wrong.length === 0) continue;
    const first = wrong[0]!;
    const value = isEdge(first.edgeOrNode) ? first.edgeOrNode[0] : first.edgeOrNode;
    const which = wrong.length === 1 ? `the ${describeSlot(first.edgeOrNode)}` : `${wrong.length} values that are not floating point, e.g. the ${describeSlot(first.edgeOrNode)}`;
    findings.push(finding(
      "non-float-quantized",
      `${SPEC_CLASS[spec.kind]} is put on ${which}, which holds ${value.meta.dtype}; only float tensors are quantized (integer and bool values such as ids, shapes and masks stay as they are): skip nodes whose isFloatValue is false`,
      spec.site ?? first.annotation.site,
      { nodes: [...new Set(wrong.map((s) => s.owner.name))] },
    ));
  }
  return findings;
};
