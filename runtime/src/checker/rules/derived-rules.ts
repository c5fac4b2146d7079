import { describeSlot, isEdge, slotKey } from "../../quantizer/edge-or-node.js";
import { slotProblem } from "../../quantizer/sharing.js";
import { isPerChannel } from "../../quant-types.js";
import { deriveArity } from "../derive-arity.js";
import { finding, type Finding } from "../finding.js";
import type { Rule } from "../context.js";

/** Rule 3: derived specs read observers that exist, as many as their function uses, with an axis when per-channel. */
export const derivedRules: Rule = ({ graph, uses, sharing }) => {
  const findings: Finding[] = [];
  for (const [spec, slots] of uses) {
    if (spec.kind !== "derived") continue;
    const site = spec.site ?? slots[0]?.annotation.site;
    const nodes = [...new Set(slots.map((s) => s.owner.name))];
    const target = slots[0] ? ` for the ${describeSlot(slots[0].edgeOrNode)}` : "";
    const sources = Array.isArray(spec.derivedFrom) ? spec.derivedFrom : [];
    const related = sources.flatMap((source, i) => {
      const from = slotProblem(graph, source) ? undefined : sharing.slots.get(slotKey(source));
      return from ? [{ location: from.spec.site ?? from.annotation.site, message: `derivedFrom[${i}]: the spec of the ${describeSlot(source)}` }] : [];
    });
    const arity = deriveArity(spec.deriveFunction);
    if (arity !== undefined && arity !== sources.length) {
      findings.push(finding("derived-arity-mismatch", `the DerivedQuantizationSpec${target} lists ${sources.length} source${sources.length === 1 ? "" : "s"} in derivedFrom, but deriveQparams reads ${arity} observer${arity === 1 ? "" : "s"}; make derivedFrom and the function's parameter list the same length`, site, { nodes, related }));
    }
    sources.forEach((source, i) => {
      const problem = slotProblem(graph, source);
      if (problem) {
        findings.push(finding("edge-not-in-graph", `derivedFrom[${i}] of the DerivedQuantizationSpec${target} is not in this graph: ${problem}`, site, { nodes }));
        return;
      }
      const key = slotKey(source);
      if (!sharing.slots.has(key)) {
        const hint = isEdge(source) ? `add it to the inputQspecMap of ${source[1].name}` : `give ${source.name} an outputQspec`;
        findings.push(finding("derived-source-unannotated", `derivedFrom[${i}] of the DerivedQuantizationSpec${target} is the ${describeSlot(source)}, which has no spec, so there is no observer to derive from; ${hint}`, site, { nodes }));
      }
    });
    if (spec.qscheme && isPerChannel(spec.qscheme) && spec.chAxis === undefined) {
      findings.push(finding("derived-per-channel-without-axis", `the DerivedQuantizationSpec${target} is ${spec.qscheme} but has no chAxis; set chAxis to the channel dimension (0 for a Conv or Gemm bias)`, site, { nodes }));
    }
  }
  return findings;
};
