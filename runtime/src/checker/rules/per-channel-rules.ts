import type { Node } from "../../graph/node.js";
import { formatName } from "../../graph/print.js";
import { isPerChannel } from "../../quant-types.js";
import { describeSlot, isEdge } from "../../quantizer/edge-or-node.js";
import { finding, type Finding } from "../finding.js";
import type { Rule } from "../context.js";

/** For a weight read by `consumer` at input `index`: the axis that holds its output channels, and how many there are. */
function outputChannelAxis(consumer: Node, index: number, weightRank: number): { axis: number; channels: number | string } | undefined {
  const out = consumer.meta.shape;
  switch (consumer.opType) {
    case "Conv":
      if (index === 1) return { axis: 0, channels: out?.[1] ?? "?" };
      if (index === 2) return { axis: 0, channels: out?.[1] ?? "?" };
      return undefined;
    case "ConvTranspose":
      // ConvTranspose weights are [C_in, C_out / group, k...]: the output channels are axis 1.
      if (index === 1) return consumer.intAttribute("group", 1) === 1 ? { axis: 1, channels: out?.[1] ?? "?" } : undefined;
      if (index === 2) return { axis: 0, channels: out?.[1] ?? "?" };
      return undefined;
    case "Gemm":
      if (index === 1) return { axis: consumer.intAttribute("transB", 0) ? 0 : 1, channels: out?.[1] ?? "?" };
      if (index === 2 && weightRank === 1) return { axis: 0, channels: out?.[1] ?? "?" };
      return undefined;
    case "MatMul":
      if (index === 1) return { axis: weightRank - 1, channels: out?.[out.length - 1] ?? "?" };
      return undefined;
    default:
      return undefined;
  }
}

/** Rule 5: per-channel specs need an axis the tensor has, belong on weights, and must follow their output channels. */
export const perChannelRules: Rule = ({ sharing }) => {
  const findings: Finding[] = [];
  for (const slot of sharing.slots.values()) {
    const spec = sharing.definingSpec(slot.key);
    if (!spec || spec.kind === "fixed" || slot.spec.kind === "shared" || !spec.qscheme || !isPerChannel(spec.qscheme)) continue;
    const site = slot.spec.site ?? slot.annotation.site;
    const value = isEdge(slot.edgeOrNode) ? slot.edgeOrNode[0] : slot.edgeOrNode;
    const shape = value.meta.shape;
    const axis = spec.chAxis ?? 0;
    const nodes = [slot.owner.name];
    if (shape && (axis < -shape.length || axis >= shape.length)) {
      findings.push(finding("ch-axis-out-of-range", `the ${describeSlot(slot.edgeOrNode)} is quantized per channel along axis ${axis}, but ${formatName(value.name)} has rank ${shape.length} (shape [${shape.join(", ")}]); use an axis from 0 to ${shape.length - 1}`, site, { nodes }));
      continue;
    }
    if (value.kind !== "parameter") {
      findings.push(finding("per-channel-on-activation", `the ${describeSlot(slot.edgeOrNode)} is an activation, but its spec is ${spec.qscheme}; per-channel qparams belong on weights, and the int8 runtime runs activations per tensor`, site, { nodes }));
      continue;
    }
    if (!isEdge(slot.edgeOrNode) || !shape) continue;
    const consumer = slot.edgeOrNode[1];
    const index = consumer.args.indexOf(value);
    const expected = outputChannelAxis(consumer, index, shape.length);
    const normalized = axis < 0 ? axis + shape.length : axis;
    if (expected && normalized !== expected.axis) {
      findings.push(finding("channel-count-mismatch", `${formatName(value.name)} is quantized per channel along axis ${normalized} (${shape[normalized]} channels), but ${formatName(consumer.name)} (${consumer.opType}) has ${expected.channels} output channels along axis ${expected.axis} of this weight; use chAxis: ${expected.axis}`, site, { nodes }));
    }
  }
  return findings;
};
