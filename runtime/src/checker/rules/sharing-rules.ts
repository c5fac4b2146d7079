import { describeSlot, isEdge, slotKey } from "../../quantizer/edge-or-node.js";
import { differingFields, type Slot } from "../../quantizer/sharing.js";
import type { RangedSpec } from "../../quantizer/specs.js";
import { finding, type Finding } from "../finding.js";
import type { Rule } from "../context.js";

const siteOf = (slot: Slot) => slot.spec.site ?? slot.annotation.site;

/** Rules 1 and 2: shared specs that go round in a circle, point at nothing, or point outside the graph. */
export const sharingStructure: Rule = ({ sharing }) => {
  const findings: Finding[] = [];
  for (const cycle of sharing.cycles) {
    const first = cycle[0]!;
    const chain = [...cycle, first].map((s) => describeSlot(s.edgeOrNode)).join(" → ");
    const message = cycle.length === 1
      ? `the SharedQuantizationSpec for the ${describeSlot(first.edgeOrNode)} shares with itself, so no observer defines its qparams; share with another edge or node that has its own QuantizationSpec`
      : `SharedQuantizationSpecs form a cycle (${chain}), so no observer defines their qparams; give one member a QuantizationSpec of its own`;
    findings.push(finding("shared-spec-cycle", message, siteOf(first), {
      related: cycle.slice(1).map((s) => ({ location: siteOf(s), message: `part of the cycle: the ${describeSlot(s.edgeOrNode)}` })),
      nodes: [...new Set(cycle.map((s) => s.owner.name))],
    }));
  }
  for (const slot of sharing.dangling) {
    if (slot.spec.kind !== "shared") continue;
    const target = slot.spec.edgeOrNode;
    const hint = isEdge(target) ? `put a spec for it in the inputQspecMap of ${target[1].name}` : `give ${target.name} an outputQspec`;
    findings.push(finding("shared-spec-dangling", `the SharedQuantizationSpec for the ${describeSlot(slot.edgeOrNode)} shares with the ${describeSlot(target)}, which has no spec; ${hint}, or share with an annotated edge`, siteOf(slot), { nodes: [slot.owner.name] }));
  }
  for (const { slot, reason } of sharing.invalidTargets) {
    findings.push(finding("edge-not-in-graph", `the SharedQuantizationSpec for the ${describeSlot(slot.edgeOrNode)} names something that is not in this graph: ${reason}`, siteOf(slot), { nodes: [slot.owner.name] }));
  }
  return findings;
};

function describeSpec(spec: RangedSpec): string {
  if (spec.kind === "fixed") return `FixedQParams(scale ${spec.scale}, zeroPoint ${spec.zeroPoint}, ${spec.dtype})`;
  return `an observed ${spec.dtype} spec`;
}

/**
 * Rule 7. Where a tensor flows into an edge, the producer's output qparams and the edge's must agree or a requantize
 * (dq → q) is inserted. Fixed qparams cannot be reconciled with anything else: that is an error. Observed specs that
 * differ in one or two fields are almost always a slip: a warning naming the fields.
 */
export const sharingConflicts: Rule = ({ sharing }) => {
  const findings: Finding[] = [];
  const reported = new Set<string>();
  for (const slot of sharing.slots.values()) {
    if (!isEdge(slot.edgeOrNode)) continue;
    const [producer, consumer] = slot.edgeOrNode;
    const producerKey = slotKey(producer);
    if (!sharing.slots.has(producerKey)) continue;
    if (sharing.groupOf(producerKey) === sharing.groupOf(slot.key)) continue;
    const produced = sharing.definingSpec(producerKey);
    const consumed = sharing.definingSpec(slot.key);
    if (!produced || !consumed || produced.kind === "derived" || consumed.kind === "derived") continue;
    const pair = `${sharing.groupOf(producerKey)}|${sharing.groupOf(slot.key)}`;
    if (reported.has(pair)) continue;
    const producerSlot = sharing.slots.get(producerKey)!;
    const related = [{ location: producerSlot.annotation.site, message: `the output of ${producer.name} is annotated here` }];
    if (producerSlot.spec.site && producerSlot.spec.site.line !== producerSlot.annotation.site?.line) {
      related.push({ location: producerSlot.spec.site, message: `its spec is created here` });
    }
    const nodes = [producer.name, consumer.name];
    const sharedByConsumer = slot.spec.kind === "shared";
    if (produced.kind === "fixed" || consumed.kind === "fixed") {
      const fields = differingFields(produced, consumed);
      if (fields.length === 0) continue;
      if (produced.kind === "fixed" && consumed.kind === "fixed" || sharedByConsumer) {
        reported.add(pair);
        findings.push(finding("fixed-qparams-conflict", `the ${describeSlot(slot.edgeOrNode)} must use ${describeSpec(consumed)}${sharedByConsumer ? " (through its shared spec)" : ""}, but ${producer.name} produces ${describeSpec(produced)}; fixed qparams cannot be shared with different ones: make them equal, or stop sharing this edge`, siteOf(slot), { related, nodes }));
      }
      continue;
    }
    if (!slot.annotation.allowImplicitSharing) continue;
    const fields = differingFields(produced, consumed);
    if (fields.length >= 1 && fields.length <= 2) {
      reported.add(pair);
      const detail = fields.map((f) => `${f} ${String((produced as never)[f])} vs ${String((consumed as never)[f])}`).join(", ");
      findings.push(finding("redundant-requantization", `the output of ${producer.name} and the ${describeSlot(slot.edgeOrNode)} differ only in ${fields.join(" and ")} (${detail}), so a redundant dequantize → quantize pair will be inserted between them; make the ${fields.length === 1 ? "field" : "fields"} equal to share one observer`, siteOf(slot), { related, nodes }));
    }
  }
  return findings;
};
