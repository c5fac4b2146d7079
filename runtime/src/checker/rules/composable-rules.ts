import { formatName } from "../../graph/print.js";
import { ComposableQuantizer, type Quantizer } from "../../quantizer/quantizer.js";
import { finding, type Finding } from "../finding.js";

/** Rule 8: a later quantizer of a ComposableQuantizer must not change what an earlier one annotated. */
export function composableRules(quantizer: Quantizer): Finding[] {
  const findings: Finding[] = [];
  const visit = (q: Quantizer) => {
    if (!(q instanceof ComposableQuantizer)) return;
    q.quantizers.forEach(visit);
    for (const c of q.conflicts) {
      const verb = c.change === "removed" ? "removed" : c.change === "replaced" ? "replaced" : "changed";
      findings.push(finding("composable-overwrite", `${c.later.quantizer} ${verb} the annotation ${c.earlier.quantizer} made on ${formatName(c.node.name)}; in a ComposableQuantizer the first quantizer to annotate a node owns it: skip nodes that already carry an annotation`, c.later.site ?? c.earlier.site ?? q.site, {
        related: [{ location: c.earlier.site, message: `${c.earlier.quantizer} annotated ${c.node.name} here` }],
        nodes: [c.node.name],
      }));
    }
  };
  visit(quantizer);
  return findings;
}
