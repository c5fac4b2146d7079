import { SPEC_CLASS } from "../../quantizer/specs.js";
import { describeSlot, isEdge } from "../../quantizer/edge-or-node.js";
import { finding, type Finding } from "../finding.js";
import type { Rule } from "../context.js";
import { formatName } from "../../graph/print.js";
import type { Slot } from "../../quantizer/sharing.js";
import type { AnySpec } from "../../quantizer/specs.js";

/**
 * Only floating-point tensors that carry data are quantized. Exported transformers carry int64 shape arithmetic (Shape → Gather →
 * Concat → Reshape) and token ids next to their activations; a spec put on one of them would feed an observer integers
 * and break calibration. One finding per spec, at the line that made it, however many values it was put on.
 */
export const valueDtypeRules: Rule = ({ uses }) => {
  const findings: Finding[] = [];
  for (const [spec, slots] of uses) {
    const valueOf = (s: Slot) => (isEdge(s.edgeOrNode) ? s.edgeOrNode[0] : s.edgeOrNode);
    const shapes = slots.filter((s) => valueOf(s).isFloatValue && valueOf(s).isShapeOperand);
    if (shapes.length > 0) findings.push(shapeOperandFinding(spec, shapes));
    const wrong = slots.filter((s) => !valueOf(s).isFloatValue);
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

/**
 * A float value that only decides shapes (Resize's scales computed from the input's shape): a constant for a given
 * input shape, not an activation. Quantized, it would be rounded, and so would the shape it sets.
 */
function shapeOperandFinding(spec: AnySpec, slots: readonly Slot[]): Finding {
  const first = slots[0]!;
  const value = isEdge(first.edgeOrNode) ? first.edgeOrNode[0] : first.edgeOrNode;
  const which = slots.length === 1 ? `the ${describeSlot(first.edgeOrNode)}` : `${slots.length} values that only decide shapes, e.g. the ${describeSlot(first.edgeOrNode)}`;
  return finding(
    "shape-operand-quantized",
    `${SPEC_CLASS[spec.kind]} is put on ${which}, which only decides shapes (${formatName(value.name)} ends in an operand such as Resize's scales); quantizing it would round the shapes it sets: skip nodes whose isShapeOperand is true`,
    spec.site ?? first.annotation.site,
    { nodes: [...new Set(slots.map((s) => s.owner.name))] },
  );
}
