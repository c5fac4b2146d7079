import { editDistance, supportedOps, type Model } from "qkit/tooling";
import { fix, type Fixer } from "./fix.js";
import { morph } from "./source-edit.js";

/** Up to `count` names closest to a misspelt one, nearest first; none further than half its length. */
export function closestNames(text: string, names: Iterable<string>, count = 3): string[] {
  const limit = Math.max(2, Math.ceil(text.length / 2));
  return [...new Set(names)]
    .map((name) => ({ name, d: editDistance(text.toLowerCase(), name.toLowerCase()) }))
    .filter((c) => c.d <= limit && c.name !== text)
    .sort((a, b) => a.d - b.d || a.name.localeCompare(b.name))
    .slice(0, count)
    .map((c) => c.name);
}

const CANDIDATES: Record<string, (model: Model) => Iterable<string>> = {
  "unknown-node": (model) => model.graph.nodes.map((n) => n.name),
  "unknown-op-type": (model) => [...model.graph.calls().map((n) => n.opType), ...supportedOps()],
};

/** unknown-node, unknown-op-type: replace the string with each of the closest names the model has. */
export const nameFixes: Fixer = (input) => {
  const candidates = input.model && CANDIDATES[String(input.diagnostic.code)]?.(input.model);
  if (!candidates) return [];
  const { Node } = morph();
  const text = input.doc.getText().slice(input.offset + 1, input.doc.offsetAt(input.diagnostic.range.end) - 1);
  return closestNames(text, candidates).flatMap((name, i) =>
    fix(input, `Change to "${name}"`, (sf) => {
      const literal = sf.getDescendantAtPos(input.offset);
      if (!literal || !Node.isStringLiteral(literal)) return false;
      literal.setLiteralValue(name);
    }, i === 0),
  );
};
