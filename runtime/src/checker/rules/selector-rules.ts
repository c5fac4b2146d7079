import { ComposableQuantizer, reportsUnmatchedSelectors, type Quantizer } from "../../quantizer/quantizer.js";
import { finding, type Finding } from "../finding.js";

/** A configuration call that named a module the model does not have: those nodes fall to the global config. */
export function selectorRules(quantizer: Quantizer): Finding[] {
  const findings: Finding[] = [];
  const visit = (q: Quantizer) => {
    if (q instanceof ComposableQuantizer) q.quantizers.forEach(visit);
    if (!reportsUnmatchedSelectors(q)) return;
    for (const u of q.unmatchedSelectors) {
      const meant = u.meant.length > 0 ? `did you mean ${u.meant.map((m) => JSON.stringify(m)).join(" or ")}?` : "`qkit inspect` lists the model's module paths";
      findings.push(finding("unknown-module", `${u.call} matches no node: the model has no ${u.kind} ${JSON.stringify(u.name)}, so its nodes take the global config; ${meant}`, u.site));
    }
  };
  visit(quantizer);
  return findings;
}
