import { SPEC_CLASS, type AnySpec } from "../../quantizer/specs.js";
import { describeSlot, isEdge } from "../../quantizer/edge-or-node.js";
import type { Node } from "../../graph/node.js";
import type { Slot } from "../../quantizer/sharing.js";
import { formatName } from "../../graph/print.js";
import { finding, type Finding, type FindingCode } from "../finding.js";
import type { Rule } from "../context.js";

const valueOf = (slot: Slot): Node => (isEdge(slot.edgeOrNode) ? slot.edgeOrNode[0] : slot.edgeOrNode);

/**
 * Only floating-point tensors that carry data are quantized. Exported transformers carry int64 shape arithmetic
 * (Shape → Gather → Concat → Reshape) and token ids next to their activations; a spec put on one of them would feed an
 * observer integers and break calibration. Some exports compute a Resize's scales from the input's shape in float: a
 * constant for a given input shape, not an activation, and quantized it would round the shape it sets. One finding per
 * spec and kind, at the line that made it, however many values it was put on.
 */
export const valueDtypeRules: Rule = ({ uses }) => {
  const findings: Finding[] = [];
  for (const [spec, slots] of uses) {
    const multi = slots.filter((s) => valueOf(s).isMultiOutput);
    const notFloat = slots.filter((s) => !valueOf(s).isMultiOutput && !valueOf(s).isFloatValue);
    const shapes = slots.filter((s) => !valueOf(s).isMultiOutput && valueOf(s).isFloatValue && valueOf(s).isShapeOperand);
    if (multi.length > 0) {
      findings.push(grouped("multi-output-quantized", spec, multi, "operators with several outputs", (v) =>
        `which has several outputs (${v.outputNames.filter(Boolean).join(", ")}): a spec quantizes one value, so put it on the output's getitem node (graph.getitems(node)[i]) instead`));
    }
    if (shapes.length > 0) {
      findings.push(grouped("shape-operand-quantized", spec, shapes, "values that only decide shapes", (v) =>
        `which only decides shapes (${formatName(v.name)} ends in an operand such as Resize's scales); quantizing it would round the shapes it sets: skip nodes whose isShapeOperand is true`));
    }
    if (notFloat.length > 0) {
      findings.push(grouped("non-float-quantized", spec, notFloat, "values that are not floating point", (v) =>
        `which holds ${v.meta.dtype}; only float tensors are quantized (integer and bool values such as ids, shapes and masks stay as they are): skip nodes whose isFloatValue is false`));
    }
  }
  return findings;
};

/** One finding for a spec put on `slots`: the count and a first example, then what is wrong with that value. */
function grouped(code: FindingCode, spec: AnySpec, slots: readonly Slot[], kind: string, why: (value: Node) => string): Finding {
  const first = slots[0]!;
  const which = slots.length === 1 ? `the ${describeSlot(first.edgeOrNode)}` : `${slots.length} ${kind}, e.g. the ${describeSlot(first.edgeOrNode)}`;
  return finding(code, `${SPEC_CLASS[spec.kind]} is put on ${which}, ${why(valueOf(first))}`, spec.site ?? first.annotation.site,
    { nodes: [...new Set(slots.map((s) => s.owner.name))] });
}
