import { SPEC_CLASS, SPEC_OPTIONS } from "../../quantizer/specs.js";
import { ANNOTATION_OPTIONS } from "../../quantizer/annotation.js";
import { closestOption } from "../../quantizer/options.js";
import { finding, type Finding } from "../finding.js";
import type { Rule } from "../context.js";

/** An unknown option's message: what was ignored and the option most likely meant. */
export function unknownOptionMessage(owner: string, option: string, known: readonly string[]): string {
  const meant = closestOption(option, known);
  return `${owner} has no option \`${option}\`, so it was ignored; ${meant ? `did you mean \`${meant}\`?` : `its options are ${known.map((k) => `\`${k}\``).join(", ")}`}`;
}

/** Options a spec or an annotation does not have: PT2E's snake_case names, typos. One finding per name and line. */
export const optionRules: Rule = ({ uses, annotated }) => {
  const findings: Finding[] = [];
  for (const [spec, slots] of uses) {
    if (spec.kind === "shared" || !Array.isArray(spec.unknownOptions)) continue;
    const nodes = [...new Set(slots.map((s) => s.owner.name))];
    for (const option of spec.unknownOptions) {
      findings.push(finding("unknown-option", unknownOptionMessage(SPEC_CLASS[spec.kind], option, SPEC_OPTIONS[spec.kind]), spec.site ?? slots[0]?.annotation.site, { nodes }));
    }
  }
  // Annotations are made one per node, often in a loop: one finding per line and option, naming every node.
  const byLine = new Map<string, { option: string; annotation: (typeof annotated)[number]["annotation"]; nodes: string[] }>();
  for (const { node, annotation } of annotated) {
    for (const option of annotation.unknownOptions ?? []) {
      const key = JSON.stringify([annotation.site?.file, annotation.site?.line, annotation.site?.column, option]);
      const entry = byLine.get(key) ?? { option, annotation, nodes: [] };
      entry.nodes.push(node.name);
      byLine.set(key, entry);
    }
  }
  for (const { option, annotation, nodes } of byLine.values()) {
    const count = nodes.length > 1 ? ` (on ${nodes.length} nodes)` : "";
    findings.push(finding("unknown-option", unknownOptionMessage("QuantizationAnnotation", option, ANNOTATION_OPTIONS) + count, annotation.site, { nodes }));
  }
  return findings;
};
